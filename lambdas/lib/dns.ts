import {
  ChangeResourceRecordSetsCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { route53 } from './clients/route53';
import type { RecordType } from './contract';
import { DnsChangeRejected, ZoneNotFound } from './errors';

export interface Zone {
  id: string;
  name: string;
  privateZone: boolean;
}

export interface DnsRecord {
  name: string;
  type: RecordType;
  ttl: number;
  values: string[];
}

/** Route 53 ids come as `/hostedzone/Z…` or `/change/C…`; the API takes either form, logs read better bare. */
export function bareId(id: string): string {
  return id.replace(/^\/(hostedzone|change)\//, '');
}

/**
 * The hosted zone of that name. Where a private and a public zone share the name (split horizon),
 * the private one is taken: instance names are internal.
 */
export async function findZone(name: string, client: Route53Client = route53): Promise<Zone> {
  const out = await client.send(new ListHostedZonesByNameCommand({ DNSName: name, MaxItems: 10 }));
  const matches = (out.HostedZones ?? []).filter((z) => z.Name === `${name}.`);
  if (matches.length === 0) throw new ZoneNotFound(name);
  const zone = matches.find((z) => z.Config?.PrivateZone) ?? matches[0];
  return { id: bareId(zone.Id ?? ''), name, privateZone: zone.Config?.PrivateZone === true };
}

export async function zoneVpcIds(zoneId: string): Promise<string[]> {
  const out = await route53.send(new GetHostedZoneCommand({ Id: zoneId }));
  return (out.VPCs ?? []).map((v) => v.VPCId ?? '').filter(Boolean);
}

function toRecord(set: ResourceRecordSet): DnsRecord {
  return {
    name: (set.Name ?? '').replace(/\.$/, ''),
    type: set.Type as RecordType,
    ttl: set.TTL ?? 0,
    values: (set.ResourceRecords ?? []).map((r) => r.Value ?? ''),
  };
}

/** Every record set at exactly `fqdn` (any type): a name is taken if any exists. */
export async function recordsAt(zoneId: string, fqdn: string): Promise<DnsRecord[]> {
  const out = await route53.send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: fqdn, MaxItems: 10 }),
  );
  return (out.ResourceRecordSets ?? []).filter((s) => s.Name === `${fqdn}.`).map(toRecord);
}

/** The CNAME or A record at `fqdn`, the only types instance-lifecycle manages. */
export async function hostRecord(zoneId: string, fqdn: string): Promise<DnsRecord | undefined> {
  return (await recordsAt(zoneId, fqdn)).find((r) => r.type === 'CNAME' || r.type === 'A');
}

/** CNAME values are compared without the trailing dot Route 53 may add. */
export function sameTarget(a: string, b: string): boolean {
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();
}

/** DELETE must name the record exactly as it is now; returns the change id. */
export async function deleteRecord(zoneId: string, record: DnsRecord, comment: string): Promise<string> {
  const out = await route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Comment: comment,
        Changes: [
          {
            Action: 'DELETE',
            ResourceRecordSet: {
              Name: record.name,
              Type: record.type,
              TTL: record.ttl,
              ResourceRecords: record.values.map((Value) => ({ Value })),
            },
          },
        ],
      },
    }),
  );
  return bareId(out.ChangeInfo?.Id ?? '');
}

/**
 * DELETE the record as it was read; returns the change id, or '' when it is already gone (an
 * earlier attempt whose response was lost removed it). A record changed since it was read is
 * DnsChangeRejected: it is no longer the one this workflow meant to remove.
 */
export async function removeRecord(zoneId: string, record: DnsRecord, comment: string): Promise<string> {
  try {
    return await deleteRecord(zoneId, record, comment);
  } catch (error) {
    if ((error as Error).name !== 'InvalidChangeBatch') throw error;
    if (!(await hostRecord(zoneId, record.name))) return '';
    throw new DnsChangeRejected(`${record.name} changed since it was read: ${(error as Error).message}`);
  }
}
