/**
 * Moving a lease, for `lifecycle extend HOST --by 2h` (or `--to TIME`): find the live managed
 * instance behind the hostname, move its schedule (GetSchedule, then UpdateSchedule with the whole
 * schedule, as UpdateSchedule replaces every field), rewrite its `lifecycle:expiresAt` tag, and say
 * the new expiry. A host without a lease gets one. The same calls work on AWS (the stack's outputs
 * give the settings: `leaseSettingsOf`) and on the emulator (`localLeaseSettings` for --local).
 */
import { CreateTagsCommand, DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { EXPIRES_AT_TAG, FQDN_TAG, LIVE_STATES, MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../lambdas/lib/contract';
import { HostNotFound, InvalidInput } from '../../lambdas/lib/errors';
import {
  checkLeaseLength,
  formatDuration,
  formatUtcTime,
  fqdnOf,
  parseDuration,
  parseHostname,
  parseUtcTime,
  parseZone,
} from '../../lambdas/lib/input';
import {
  atExpression,
  createLease,
  type LeaseSettings,
  leaseSchedule,
  leaseScheduleName,
  timeOfAtExpression,
} from '../../lambdas/lib/lease';
import type { LocalDeployment } from '../engine/template';

export type { LeaseSettings } from '../../lambdas/lib/lease';

/** Where leases are and what they may call: the clients (the caller's credentials) and the deployment's settings. */
export interface LeaseTarget {
  ec2: EC2Client;
  scheduler: SchedulerClient;
  settings: LeaseSettings;
}

export interface ExtendRequest {
  hostname: string;
  zone: string;
  /** A duration added to the current expiry (to now, for a host without a lease): `2h`, `1d`. */
  by?: string;
  /** The new expiry, a UTC time in ISO 8601: earlier than the current one shortens the lease. */
  to?: string;
  /** The deployment's longest lease (`expiresIn` of its stored defaults): no expiry past now plus it. */
  longest?: string;
  /** @default now */
  now?: Date;
}

export interface ExtendedLease {
  instanceId: string;
  fqdn: string;
  /** The new expiry: `2026-12-01T18:00:00Z`. */
  expiresAt: string;
  /** The expiry before, or null: the host had no lease. */
  previous: string | null;
  /** The schedule's name (in settings.group). */
  schedule: string;
  /** True when the host had no lease and got one. */
  created: boolean;
}

/** The lease settings from a deployed stack's outputs (DescribeStacks). */
export function leaseSettingsOf(outputs: Record<string, string>): LeaseSettings {
  const settings = {
    group: outputs.LeaseScheduleGroupName,
    roleArn: outputs.LeaseRoleArn,
    destroyStateMachineArn: outputs.DestroyVmStateMachineArn,
  };
  if (!settings.group || !settings.roleArn || !settings.destroyStateMachineArn) {
    throw new Error(
      'the stack has no LeaseScheduleGroupName/LeaseRoleArn/DestroyVmStateMachineArn outputs: redeploy it',
    );
  }
  return settings;
}

/** The lease settings the local engine gives its steps (its template's LaunchInstance environment). */
export function localLeaseSettings(deployment: LocalDeployment): LeaseSettings {
  const launch = Object.values(deployment.tasks)
    .flatMap((tasks) => [...tasks.values()])
    .find((t) => 'file' in t && t.environment.LEASE_ROLE_ARN);
  const env = launch && 'file' in launch ? launch.environment : {};
  return leaseSettingsOf({
    LeaseScheduleGroupName: env.LEASE_SCHEDULE_GROUP,
    LeaseRoleArn: env.LEASE_ROLE_ARN,
    DestroyVmStateMachineArn: env.DESTROY_VM_ARN,
  });
}

/** The live instance-lifecycle instance that carries the fqdn. */
async function leasedInstance(ec2: EC2Client, fqdn: string): Promise<Instance> {
  const out = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${FQDN_TAG}`, Values: [fqdn] },
        { Name: `tag:${MANAGED_BY_TAG}`, Values: [MANAGED_BY_VALUE] },
        { Name: 'instance-state-name', Values: LIVE_STATES },
      ],
    }),
  );
  const instances = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  if (instances.length === 0) throw new HostNotFound(fqdn);
  if (instances.length > 1) {
    const ids = instances.map((i) => i.InstanceId).join(', ');
    throw new InvalidInput('hostname', `${fqdn} is carried by several live instances (${ids})`);
  }
  return instances[0];
}

/** Moves the lease of `hostname.zone` (or gives it one) and rewrites its tag; the new expiry. */
export async function extendLease(target: LeaseTarget, request: ExtendRequest): Promise<ExtendedLease> {
  const now = request.now ?? new Date();
  const hostname = parseHostname(request.hostname);
  const dnsZone = parseZone(request.zone, 'zone');
  const fqdn = fqdnOf(hostname, dnsZone);
  if ((request.by === undefined) === (request.to === undefined)) {
    throw new InvalidInput('by', 'give either by (a duration) or to (a UTC time)');
  }
  const by = request.by === undefined ? undefined : parseDuration(request.by, 'by');
  const to = request.to === undefined ? undefined : parseUtcTime(request.to, 'to');

  const instance = await leasedInstance(target.ec2, fqdn);
  const instanceId = instance.InstanceId ?? '';
  const { group } = target.settings;
  const name = leaseScheduleName(instanceId);
  let current: GetScheduleCommandOutput | undefined;
  try {
    current = await target.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  const previousTime = current ? timeOfAtExpression(String(current.ScheduleExpression)) : undefined;
  const previous = previousTime ? formatUtcTime(previousTime) : null;

  const base = Math.max(previousTime?.getTime() ?? now.getTime(), now.getTime());
  const next = to ?? new Date(base + (by ?? 0) * 1000);
  const field = to ? 'to' : 'by';
  const seconds = Math.floor((next.getTime() - now.getTime()) / 1000);
  if (seconds <= 0)
    throw new InvalidInput(field, `${formatUtcTime(next)} is not in the future (now: ${formatUtcTime(now)})`);
  checkLeaseLength(field, seconds, `the new expiry ${formatUtcTime(next)} is ${formatDuration(seconds)} from now`);
  if (request.longest !== undefined && seconds > parseDuration(request.longest, 'longest')) {
    throw new InvalidInput(
      field,
      `the new expiry ${formatUtcTime(next)} is later than the longest lease this deployment allows (expiresIn ${request.longest} in the stored defaults) from now`,
    );
  }
  const expiresAt = formatUtcTime(next);

  if (current) {
    // UpdateSchedule replaces the whole schedule: everything as it is, but the time.
    const whole = leaseSchedule(target.settings, { instanceId, hostname, dnsZone }, expiresAt);
    await target.scheduler.send(
      new UpdateScheduleCommand({
        Name: name,
        GroupName: group,
        Description: whole.Description,
        ScheduleExpression: atExpression(expiresAt),
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: current.FlexibleTimeWindow ?? { Mode: 'OFF' },
        ActionAfterCompletion: current.ActionAfterCompletion ?? 'DELETE',
        State: current.State ?? 'ENABLED',
        StartDate: current.StartDate,
        EndDate: current.EndDate,
        KmsKeyArn: current.KmsKeyArn,
        Target: current.Target ?? whole.Target,
      }),
    );
  } else {
    await createLease(target.scheduler, target.settings, { instanceId, hostname, dnsZone }, expiresAt);
  }
  // The volumes carry the launch's tags too: an inventory of either shows the same expiry.
  const volumes = (instance.BlockDeviceMappings ?? []).map((m) => m.Ebs?.VolumeId ?? '').filter(Boolean);
  await target.ec2.send(
    new CreateTagsCommand({ Resources: [instanceId, ...volumes], Tags: [{ Key: EXPIRES_AT_TAG, Value: expiresAt }] }),
  );
  return { instanceId, fqdn, expiresAt, previous, schedule: name, created: !current };
}
