/**
 * RegisterDns: Route 53 CREATE, never UPSERT: if somebody else's record appeared since
 * ValidateInput, Route 53 refuses and the execution fails with HostnameTaken, leaving it alone.
 */
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { route53 } from './lib/clients';
import type { CreateState, DnsChange } from './lib/contract';
import { bareId } from './lib/dns';
import { DnsChangeRejected, HostnameTaken } from './lib/errors';
import { log } from './lib/log';

/** CNAME to the EC2 private DNS name (the classic behaviour), or A to the private IP. */
export function recordValue(state: CreateState): string {
  const value = state.config.recordType === 'A' ? state.running?.privateIp : state.running?.privateDnsName;
  if (!value) throw new Error(`the instance has no private ${state.config.recordType === 'A' ? 'IP' : 'DNS name'}`);
  return value;
}

export const handler = async (state: CreateState): Promise<DnsChange> => {
  const { config } = state;
  const value = recordValue(state);
  try {
    const out = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: config.zoneId,
        ChangeBatch: {
          Comment: `instance-lifecycle create ${state.instance?.instanceId}`,
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: config.fqdn,
                Type: config.recordType,
                TTL: config.ttl,
                ResourceRecords: [{ Value: value }],
              },
            },
          ],
        },
      }),
    );
    const change: DnsChange = {
      changeId: bareId(out.ChangeInfo?.Id ?? ''),
      zoneId: config.zoneId,
      name: config.fqdn,
      type: config.recordType,
      value,
      ttl: config.ttl,
    };
    log({ step: 'RegisterDns', execution: config.executionId }, 'record created', { ...change });
    return change;
  } catch (error) {
    const e = error as Error;
    if (e.name !== 'InvalidChangeBatch') throw error;
    if (/already exists/i.test(e.message)) throw new HostnameTaken(config.fqdn, 'a record appeared after validation');
    throw new DnsChangeRejected(e.message);
  }
};
