/** RebootInstance: EC2 RebootInstances (permitted only on instances tagged ManagedBy). */
import { RebootInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './lib/clients/ec2';
import type { CreateState, RebootRequested } from './lib/contract';
import { instrument, logger } from './lib/logger';

export const handler = instrument(async (state: CreateState): Promise<RebootRequested> => {
  const instanceId = state.instance?.instanceId ?? '';
  await ec2.send(new RebootInstancesCommand({ InstanceIds: [instanceId] }));
  logger.info('reboot requested', { instanceId });
  return { requestedAt: new Date().toISOString() };
});
