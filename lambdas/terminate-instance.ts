/** TerminateInstance: TerminateInstances on the instance ResolveHost found, and its lease schedule deleted. */
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './lib/clients/ec2';
import { scheduler } from './lib/clients/scheduler';
import type { DestroyState } from './lib/contract';
import { requireEnv } from './lib/env';
import { deleteLease } from './lib/lease';
import { instrument, logger } from './lib/logger';

export const handler = instrument(
  async (state: DestroyState): Promise<{ instanceId: string; previousState: string; leaseDeleted: boolean }> => {
    const instanceId = state.target.instanceId ?? '';
    const out = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    const previousState = out.TerminatingInstances?.[0]?.PreviousState?.Name ?? 'unknown';
    // A host without a lease has no schedule; one whose lease started this destroy has none left either.
    const leaseDeleted = await deleteLease(scheduler, requireEnv('LEASE_SCHEDULE_GROUP'), instanceId);
    logger.info('termination requested', { instanceId, previousState, leaseDeleted });
    return { instanceId, previousState, leaseDeleted };
  },
);
