/** RebootInstance: EC2 RebootInstances (permitted only on instances tagged ManagedBy). */
import { RebootInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './lib/clients';
import type { CreateState, RebootRequested } from './lib/contract';
import { log } from './lib/log';

export const handler = async (state: CreateState): Promise<RebootRequested> => {
  const instanceId = state.instance?.instanceId ?? '';
  await ec2.send(new RebootInstancesCommand({ InstanceIds: [instanceId] }));
  log({ step: 'RebootInstance', execution: state.config.executionId }, 'reboot requested', { instanceId });
  return { requestedAt: new Date().toISOString() };
};
