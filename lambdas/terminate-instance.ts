/** TerminateInstance: TerminateInstances on the instance ResolveHost found. */
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './lib/clients/ec2';
import type { DestroyState } from './lib/contract';
import { instrument, logger } from './lib/logger';

export const handler = instrument(
  async (state: DestroyState): Promise<{ instanceId: string; previousState: string }> => {
    const instanceId = state.target.instanceId ?? '';
    const out = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    const previousState = out.TerminatingInstances?.[0]?.PreviousState?.Name ?? 'unknown';
    logger.info('termination requested', { instanceId, previousState });
    return { instanceId, previousState };
  },
);
