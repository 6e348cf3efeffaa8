/**
 * A lease's schedule: one EventBridge Scheduler one-time schedule per leased instance, named
 * `lease-<instanceId>` in the deployment's lease group, that starts destroy-vm for exactly that
 * instance at the expiry (UTC, no flexible window) and is deleted by the Scheduler once it has.
 * LaunchInstance creates it; RollBack, CleanUpExecution and TerminateInstance delete it (a missing
 * one is fine); extendLease moves it. Every function takes its client, so the CLI can use them too.
 */
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { requireEnv } from './env';

/** Where a deployment keeps its leases, and what they start: the stack's outputs, or a step's environment. */
export interface LeaseSettings {
  /** The schedule group the stack created for leases. */
  readonly group: string;
  /** The role EventBridge Scheduler assumes to start destroy-vm (and nothing else). */
  readonly roleArn: string;
  /** destroy-vm's state machine. */
  readonly destroyStateMachineArn: string;
}

/** What a leased host's schedule destroys: the host by name, only while it is this instance. */
export interface LeasedHost {
  readonly instanceId: string;
  readonly hostname: string;
  readonly dnsZone: string;
}

export const LEASE_PREFIX = 'lease-';

/** `lease-i-0123456789abcdef0`: 25 characters at most, well inside the Scheduler's 64. */
export function leaseScheduleName(instanceId: string): string {
  return `${LEASE_PREFIX}${instanceId}`;
}

/** The instance a lease schedule is for, or undefined for any other schedule name. */
export function instanceOfSchedule(name: string): string | undefined {
  return /^lease-(i-[0-9a-f]{8,17})$/.exec(name)?.[1];
}

/** The Scheduler's one-time expression for a UTC time: `at(2026-12-01T18:00:00)` (time zone UTC apart). */
export function atExpression(expiresAt: string): string {
  return `at(${new Date(expiresAt).toISOString().slice(0, 19)})`;
}

/** When an `at(...)` expression in UTC fires, or undefined for another kind of expression. */
export function timeOfAtExpression(expression: string): Date | undefined {
  const match = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression);
  return match ? new Date(`${match[1]}Z`) : undefined;
}

/** The lease settings a step was deployed with (LEASE_SCHEDULE_GROUP, LEASE_ROLE_ARN, DESTROY_VM_ARN). */
export function leaseSettingsFromEnv(): LeaseSettings {
  return {
    group: requireEnv('LEASE_SCHEDULE_GROUP'),
    roleArn: requireEnv('LEASE_ROLE_ARN'),
    destroyStateMachineArn: requireEnv('DESTROY_VM_ARN'),
  };
}

/** The whole schedule of a lease: CreateSchedule's input, and (less the client token) UpdateSchedule's. */
export function leaseSchedule(
  settings: LeaseSettings,
  host: LeasedHost,
  expiresAt: string,
): CreateScheduleCommandInput {
  return {
    Name: leaseScheduleName(host.instanceId),
    GroupName: settings.group,
    Description: `instance-lifecycle lease: destroys ${host.hostname}.${host.dnsZone} (${host.instanceId}) at ${expiresAt}`,
    ScheduleExpression: atExpression(expiresAt),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Target: {
      Arn: settings.destroyStateMachineArn,
      RoleArn: settings.roleArn,
      Input: JSON.stringify({ hostname: host.hostname, dnsZone: host.dnsZone, instanceId: host.instanceId }),
      // Start destroy-vm for up to a day if Step Functions throttles or fails the call.
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
    },
  };
}

/**
 * Creates the lease's schedule. A schedule of that name already there was made by an earlier
 * attempt of the same launch (the name carries the instance id): it is kept.
 */
export async function createLease(
  client: SchedulerClient,
  settings: LeaseSettings,
  host: LeasedHost,
  expiresAt: string,
): Promise<string> {
  const schedule = leaseSchedule(settings, host, expiresAt);
  try {
    await client.send(new CreateScheduleCommand(schedule));
  } catch (error) {
    if ((error as Error).name !== 'ConflictException') throw error;
  }
  return schedule.Name ?? '';
}

/** Deletes an instance's lease schedule; true if there was one. A missing schedule (or group) is fine. */
export async function deleteLease(client: SchedulerClient, group: string, instanceId: string): Promise<boolean> {
  try {
    await client.send(new DeleteScheduleCommand({ Name: leaseScheduleName(instanceId), GroupName: group }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}
