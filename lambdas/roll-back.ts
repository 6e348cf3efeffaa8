/**
 * RollBack: the create workflow's compensation, run on any failure after ValidateInput. It trusts
 * no partial state: it finds what this execution launched by its execution tag, removes the record
 * only if it points at one of those instances (never somebody else's), and terminates them.
 */
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './lib/clients/ec2';
import { type CaughtError, type CreateConfig, EXECUTION_TAG } from './lib/contract';
import { hostRecord, removeRecord, sameTarget } from './lib/dns';
import { liveInstances } from './lib/instances';
import { instrument, logger } from './lib/logger';

export interface RollBackEvent {
  config: CreateConfig;
  error: CaughtError;
}

export interface RollBackResult {
  terminated: string[];
  removedRecord?: { name: string; type: string; values: string[] };
}

export const handler = instrument(async (event: RollBackEvent): Promise<RollBackResult> => {
  const { config } = event;
  const launched = await liveInstances([{ Name: `tag:${EXECUTION_TAG}`, Values: [config.executionId] }]);
  const addresses = launched.flatMap((i) => [i.PrivateDnsName ?? '', i.PrivateIpAddress ?? '']).filter(Boolean);

  let removedRecord: RollBackResult['removedRecord'];
  const record = await hostRecord(config.zoneId, config.fqdn);
  if (record?.values.some((v) => addresses.some((a) => sameTarget(v, a)))) {
    await removeRecord(config.zoneId, record, `instance-lifecycle roll back ${config.executionId}`.slice(0, 256));
    removedRecord = { name: record.name, type: record.type, values: record.values };
  }

  const terminated = launched.map((i) => i.InstanceId ?? '').filter(Boolean);
  if (terminated.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: terminated }));
  logger.info('rolled back', { error: event.error.Error, terminated, removedRecord });
  return { terminated, removedRecord };
});
