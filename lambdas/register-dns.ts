/**
 * RegisterDns: Route 53 CREATE, never UPSERT: if somebody else's record appeared since
 * ValidateInput, Route 53 refuses and the execution fails with HostnameTaken, leaving it alone.
 * A CREATE refused because of a record that already points at this instance is this step's own,
 * made by an earlier attempt whose response was lost: that is success, not a conflict.
 */
import { type Change, ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { route53 } from './lib/clients/route53';
import type { CreateState, DnsChange } from './lib/contract';
import { bareId, hostRecord, sameTarget } from './lib/dns';
import { DnsChangeRejected, HostnameTaken } from './lib/errors';
import { instrument, logger } from './lib/logger';

/** CNAME to the EC2 private DNS name (the classic behaviour), or A to the private IP. */
export function recordValue(state: CreateState): string {
  const value = state.config.recordType === 'A' ? state.running?.privateIp : state.running?.privateDnsName;
  if (!value) throw new Error(`the instance has no private ${state.config.recordType === 'A' ? 'IP' : 'DNS name'}`);
  return value;
}

async function change(state: CreateState, action: Change['Action'], value: string): Promise<string> {
  const { config } = state;
  const out = await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: config.zoneId,
      ChangeBatch: {
        Comment: `instance-lifecycle create ${state.instance?.instanceId}`,
        Changes: [
          {
            Action: action,
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
  return bareId(out.ChangeInfo?.Id ?? '');
}

/** Creates the record; returns the change to wait for. */
async function create(state: CreateState, value: string): Promise<string> {
  const { config } = state;
  try {
    return await change(state, 'CREATE', value);
  } catch (error) {
    const e = error as Error;
    if (e.name !== 'InvalidChangeBatch') throw error;
    if (!/already exists/i.test(e.message)) throw new DnsChangeRejected(e.message);
    const existing = await hostRecord(config.zoneId, config.fqdn);
    const ours =
      existing?.type === config.recordType && existing.values.length === 1 && sameTarget(existing.values[0], value);
    if (!ours) throw new HostnameTaken(config.fqdn, 'a record appeared after validation');
    // Re-stating the same record gives a change id; once it is INSYNC, so is the earlier one.
    logger.warn('the record already points at this instance: an earlier attempt made it', { value });
    return change(state, 'UPSERT', value);
  }
}

export const handler = instrument(async (state: CreateState): Promise<DnsChange> => {
  const { config } = state;
  const value = recordValue(state);
  const result: DnsChange = {
    changeId: await create(state, value),
    zoneId: config.zoneId,
    name: config.fqdn,
    type: config.recordType,
    value,
    ttl: config.ttl,
  };
  logger.info('record created', { ...result });
  return result;
});
