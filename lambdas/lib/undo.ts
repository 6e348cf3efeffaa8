/**
 * Removes what one create-vm execution made, trusting no state but AWS's: the instances tagged
 * with the execution, the record at their FQDN only if it points at one of them (never
 * somebody else's), and their lease schedules. Safe to run again: what is gone stays gone.
 * RollBack runs it from inside the execution; CleanUpExecution after an execution that no Catch
 * saw end.
 */
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './clients/ec2';
import { scheduler } from './clients/scheduler';
import { EXECUTION_TAG, FQDN_TAG } from './contract';
import { findZone, hostRecord, removeRecord, sameTarget } from './dns';
import { requireEnv } from './env';
import { findInstances, LIVE_STATES, tagOf } from './instances';
import { deleteLease, leaseScheduleName } from './lease';

export interface Undone {
  terminated: string[];
  removedRecord?: { name: string; type: string; values: string[] };
  /** Lease schedules deleted. */
  removedLeases: string[];
}

/** Where the execution's record is, when the caller knows (RollBack: from its config). */
export interface RecordPlace {
  zoneId: string;
  fqdn: string;
}

/** The record's place from the instances' own FQDN tag: `web1.example.internal` is in `example.internal`. */
async function placeFromTags(fqdns: string[]): Promise<RecordPlace | undefined> {
  const fqdn = fqdns.find(Boolean);
  if (!fqdn) return undefined;
  try {
    const zone = await findZone(fqdn.slice(fqdn.indexOf('.') + 1));
    return { zoneId: zone.id, fqdn };
  } catch (error) {
    if ((error as Error).name === 'ZoneNotFound') return undefined;
    throw error;
  }
}

export async function undoExecution(executionId: string, known?: RecordPlace): Promise<Undone> {
  // Terminated ones too: an instance EC2 ended at launch may have its lease schedule already.
  const all = await findInstances([{ Name: `tag:${EXECUTION_TAG}`, Values: [executionId] }]);
  const launched = all.filter((i) => LIVE_STATES.includes(i.State?.Name ?? ''));
  const addresses = launched.flatMap((i) => [i.PrivateDnsName ?? '', i.PrivateIpAddress ?? '']).filter(Boolean);

  let removedRecord: Undone['removedRecord'];
  const place = known ?? (await placeFromTags(launched.map((i) => tagOf(i, FQDN_TAG) ?? '')));
  const record = place ? await hostRecord(place.zoneId, place.fqdn) : undefined;
  if (place && record?.values.some((v) => addresses.some((a) => sameTarget(v, a)))) {
    await removeRecord(place.zoneId, record, `instance-lifecycle undo ${executionId}`.slice(0, 256));
    removedRecord = { name: record.name, type: record.type, values: record.values };
  }

  const terminated = launched.map((i) => i.InstanceId ?? '').filter(Boolean);
  if (terminated.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: terminated }));

  const removedLeases: string[] = [];
  const group = requireEnv('LEASE_SCHEDULE_GROUP');
  for (const instanceId of all.map((i) => i.InstanceId ?? '').filter(Boolean)) {
    if (await deleteLease(scheduler, group, instanceId)) removedLeases.push(leaseScheduleName(instanceId));
  }
  return { terminated, removedRecord, removedLeases };
}
