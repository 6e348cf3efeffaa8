/**
 * EventBridge Scheduler, as far as the leases need it locally: one-time `at(...)` schedules in UTC
 * whose target is a state machine. Whoever runs state machines (the emulator's Step Functions API,
 * the local engine) fires the schedules that are due on its clock and whose target it runs:
 * StartExecution with the target's input, then, as ActionAfterCompletion DELETE says, the schedule
 * is deleted. Recurring (`rate`, `cron`) schedules and other time zones are not modelled.
 */
import {
  DeleteScheduleCommand,
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  paginateListScheduleGroups,
  paginateListSchedules,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { timeOfAtExpression } from '../../lambdas/lib/lease';

/** Starts a target's execution, if this engine runs that state machine: its ARN, else undefined. */
export type StartTarget = (stateMachineArn: string, input: unknown, name: string) => Promise<string | undefined>;

export interface FiredSchedule {
  group: string;
  name: string;
  /** When it was due. */
  at: string;
  target: string;
  executionArn: string;
}

/** Every schedule of every group, described in full. */
export async function allSchedules(client: SchedulerClient): Promise<GetScheduleCommandOutput[]> {
  const described: GetScheduleCommandOutput[] = [];
  for await (const groups of paginateListScheduleGroups({ client }, {})) {
    for (const group of groups.ScheduleGroups ?? []) {
      for await (const page of paginateListSchedules({ client }, { GroupName: group.Name })) {
        for (const schedule of page.Schedules ?? []) {
          try {
            described.push(await client.send(new GetScheduleCommand({ Name: schedule.Name, GroupName: group.Name })));
          } catch (error) {
            if ((error as Error).name !== 'ResourceNotFoundException') throw error; // deleted meanwhile
          }
        }
      }
    }
  }
  return described;
}

/** When a schedule fires, if it is a one-time schedule this emulation models. */
export function dueTime(schedule: GetScheduleCommandOutput): Date | undefined {
  if (schedule.State === 'DISABLED') return undefined;
  if ((schedule.ScheduleExpressionTimezone ?? 'UTC') !== 'UTC') return undefined;
  return timeOfAtExpression(schedule.ScheduleExpression ?? '');
}

/** `lease-i-0abc-20261201T180000Z`: one name per schedule and due time, so a second firing starts nothing. */
function executionNameOf(schedule: string, at: Date): string {
  const when = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${schedule.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64)}-${when}`;
}

/**
 * Fires every schedule due at `now` whose target `start` runs, deleting each after (as
 * ActionAfterCompletion DELETE does; a NONE one stays, and is not fired again). What it fired.
 */
export async function fireDueSchedules(
  client: SchedulerClient,
  now: Date,
  start: StartTarget,
  fired: Set<string> = new Set(),
): Promise<FiredSchedule[]> {
  const done: FiredSchedule[] = [];
  for (const schedule of await allSchedules(client)) {
    const at = dueTime(schedule);
    const target = schedule.Target?.Arn ?? '';
    const key = `${schedule.Arn} ${schedule.ScheduleExpression}`;
    if (!at || at > now || fired.has(key) || !target.includes(':states:')) continue;
    const input = JSON.parse(schedule.Target?.Input ?? '{}');
    const executionArn = await start(target, input, executionNameOf(schedule.Name ?? '', at));
    if (executionArn === undefined) continue; // another engine's state machine
    fired.add(key);
    done.push({
      group: schedule.GroupName ?? 'default',
      name: schedule.Name ?? '',
      at: at.toISOString(),
      target,
      executionArn,
    });
    if (schedule.ActionAfterCompletion === 'DELETE') {
      try {
        await client.send(new DeleteScheduleCommand({ Name: schedule.Name, GroupName: schedule.GroupName }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceNotFoundException') throw error;
      }
    }
  }
  return done;
}
