/**
 * `instance-lifecycle hosts`: the hosts that exist, as EC2 and Route 53 see them (not as the
 * executions remember them): every live instance with the ManagedBy tag, its record's state, its
 * lease, the execution that made it; with --orphans, the A and CNAME records that point at no live
 * managed instance. Read-only: DescribeInstances, ListHostedZones(ByName), ListResourceRecordSets.
 */
import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import {
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import {
  EXECUTION_TAG,
  EXPIRES_AT_TAG,
  FQDN_TAG,
  LIVE_STATES,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
} from '../../../lambdas/lib/contract';
import { bareId, findZone, type Zone } from '../../../lambdas/lib/dns';
import { ZoneNotFound } from '../../../lambdas/lib/errors';
import type { Io } from '../io';
import type { HostsOptions } from '../program';
import { clientsFor } from './commands';

export type RecordState = 'ok' | 'missing' | 'elsewhere';

export interface Host {
  hostname: string;
  fqdn: string;
  instanceId: string;
  state: string;
  privateIp?: string;
  launchedAt?: string;
  ageSeconds?: number;
  execution?: string;
  expiresAt?: string;
  /** ok: the record points at this instance; missing: no A/CNAME at the FQDN; elsewhere: it points at something else. */
  record: RecordState;
  recordValue?: string;
}

export interface OrphanRecord {
  name: string;
  type: string;
  value: string;
  zone: string;
}

export interface Inventory {
  hosts: Host[];
  orphans?: OrphanRecord[];
}

function tag(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((t) => t.Key === key)?.Value;
}

async function managedInstances(ec2: EC2Client): Promise<Instance[]> {
  const instances: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${MANAGED_BY_TAG}`, Values: [MANAGED_BY_VALUE] },
          { Name: 'instance-state-name', Values: LIVE_STATES },
        ],
        NextToken,
      }),
    );
    instances.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return instances;
}

/** The hosted zone of that name as create finds it (the private one of a split horizon), if any. */
async function zoneNamed(route53: Route53Client, name: string): Promise<Zone | undefined> {
  try {
    return await findZone(name, route53);
  } catch (error) {
    if (error instanceof ZoneNotFound) return undefined;
    throw error;
  }
}

async function allZones(route53: Route53Client): Promise<Zone[]> {
  const zones: Zone[] = [];
  let Marker: string | undefined;
  do {
    const page = await route53.send(new ListHostedZonesCommand({ Marker }));
    for (const z of page.HostedZones ?? []) {
      zones.push({
        id: bareId(z.Id ?? ''),
        name: (z.Name ?? '').replace(/\.$/, ''),
        privateZone: !!z.Config?.PrivateZone,
      });
    }
    Marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (Marker);
  return zones;
}

async function recordSets(route53: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const sets: ResourceRecordSet[] = [];
  let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type'] } = {};
  for (;;) {
    const page = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...start }));
    sets.push(...(page.ResourceRecordSets ?? []));
    if (!page.IsTruncated) return sets;
    start = { StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType };
  }
}

/** Where the instance can be reached: the values a record of ours holds for it. */
function targetsOf(instance: Instance): string[] {
  return [instance.PrivateDnsName, instance.PrivateIpAddress].filter((v): v is string => !!v);
}

function recordValueOf(set: ResourceRecordSet): string {
  return (set.ResourceRecords ?? []).map((r) => (r.Value ?? '').replace(/\.$/, '')).join(',');
}

export async function inventory(
  clients: { ec2: EC2Client; route53: Route53Client },
  options: { orphans?: boolean; zones?: string[]; now?: Date } = {},
): Promise<Inventory> {
  const now = options.now ?? new Date();
  const instances = await managedInstances(clients.ec2);
  const zonesByName = new Map<string, Zone | undefined>();
  const recordsByZone = new Map<string, ResourceRecordSet[]>();
  const recordsOf = async (zone: Zone) => {
    if (!recordsByZone.has(zone.id)) recordsByZone.set(zone.id, await recordSets(clients.route53, zone.id));
    return recordsByZone.get(zone.id) ?? [];
  };

  const hosts: Host[] = [];
  for (const instance of instances) {
    const hostname = tag(instance, 'Name') ?? '';
    const fqdn = tag(instance, FQDN_TAG) ?? '';
    const zoneName = fqdn.startsWith(`${hostname}.`) ? fqdn.slice(hostname.length + 1) : '';
    if (zoneName && !zonesByName.has(zoneName)) zonesByName.set(zoneName, await zoneNamed(clients.route53, zoneName));
    const zone = zonesByName.get(zoneName);
    const record = zone
      ? (await recordsOf(zone)).find((s) => s.Name === `${fqdn}.` && (s.Type === 'A' || s.Type === 'CNAME'))
      : undefined;
    const value = record ? recordValueOf(record) : undefined;
    const launched = instance.LaunchTime ? new Date(instance.LaunchTime) : undefined;
    hosts.push({
      hostname,
      fqdn,
      instanceId: instance.InstanceId ?? '',
      state: instance.State?.Name ?? 'unknown',
      privateIp: instance.PrivateIpAddress,
      launchedAt: launched?.toISOString(),
      ageSeconds: launched ? Math.max(0, Math.round((now.getTime() - launched.getTime()) / 1000)) : undefined,
      execution: tag(instance, EXECUTION_TAG),
      expiresAt: tag(instance, EXPIRES_AT_TAG),
      record: !record ? 'missing' : targetsOf(instance).includes(value ?? '') ? 'ok' : 'elsewhere',
      recordValue: value,
    });
  }
  hosts.sort((a, b) => a.fqdn.localeCompare(b.fqdn));
  if (!options.orphans) return { hosts };

  // Records that point at no live managed instance, in the zones named, or in every zone.
  const targets = new Set(instances.flatMap(targetsOf));
  const zones = options.zones?.length
    ? (await Promise.all(options.zones.map((z) => zoneNamed(clients.route53, z)))).filter((z): z is Zone => !!z)
    : await allZones(clients.route53);
  const orphans: OrphanRecord[] = [];
  for (const zone of zones) {
    for (const set of await recordsOf(zone)) {
      if (set.Type !== 'A' && set.Type !== 'CNAME') continue;
      if (set.AliasTarget) continue;
      const value = recordValueOf(set);
      if (!targets.has(value))
        orphans.push({ name: (set.Name ?? '').replace(/\.$/, ''), type: set.Type, value, zone: zone.name });
    }
  }
  return { hosts, orphans };
}

/** 3d4h, 5h12m, 7m, 40s: how long a host has lived. */
export function age(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m`;
  return `${seconds}s`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
}

export async function hostsCommand(v: HostsOptions, io: Io): Promise<number> {
  const aws = clientsFor(v);
  const found = await inventory(aws, { orphans: v.orphans, zones: v.zone });
  if (v.json) {
    io.out(JSON.stringify(found, null, 2));
    return 0;
  }
  if (found.hosts.length === 0) io.err('no live hosts managed by instance-lifecycle');
  else {
    const rows = [
      ['FQDN', 'INSTANCE', 'STATE', 'PRIVATE IP', 'AGE', 'EXPIRES', 'RECORD', 'EXECUTION'],
      ...found.hosts.map((h) => [
        h.fqdn || h.hostname,
        h.instanceId,
        h.state,
        h.privateIp ?? '-',
        age(h.ageSeconds),
        h.expiresAt ?? '-',
        h.record === 'elsewhere' ? `elsewhere (${h.recordValue})` : h.record,
        h.execution ? h.execution.slice(h.execution.lastIndexOf(':') + 1) : '-',
      ]),
    ];
    for (const line of table(rows)) io.out(line);
  }
  if (found.orphans) {
    io.out('');
    if (found.orphans.length === 0) io.out('no orphan records');
    else {
      io.out(`${found.orphans.length} orphan record(s): they point at no live managed instance`);
      for (const line of table([['RECORD', 'TYPE', 'VALUE'], ...found.orphans.map((o) => [o.name, o.type, o.value])]))
        io.out(line);
    }
  }
  return 0;
}
