/**
 * EventBridge Scheduler's clock, for the schedules moto stores: moto keeps them but never fires
 * them. The emulator has a clock of its own (real time plus an offset that tests and scripts move
 * forward through `POST /_emulator/clock`), and a ticker that fires the schedules due on it whose
 * target is a state machine of the Step Functions API (the loaded stack's destroy-vm, for a
 * lease): StartExecution, then the schedule is deleted (ActionAfterCompletion DELETE). Schedules
 * whose target the API does not know are left alone: the local engine, which runs its own
 * machines, fires those (src/engine/local-engine.ts).
 */
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeStateMachineCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type FiredSchedule, fireDueSchedules } from '../engine/schedules';
import { clientConfig } from './account';

/** The emulator's now: real time, moved forward by `advance` (never back past real time). */
export class EmulatorClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }

  advance(seconds: number): Date {
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new RangeError(`advanceSeconds must be 0 or more, got ${seconds}`);
    this.offsetMs += seconds * 1000;
    return this.now();
  }

  /** To a time in the clock's future. */
  set(to: Date): Date {
    const change = (t: Date) => (Number.isNaN(t.getTime()) ? 'that' : t.toISOString());
    const offset = to.getTime() - Date.now();
    if (Number.isNaN(offset) || offset < this.offsetMs)
      throw new RangeError(`${change(to)} is not a time after the clock's now`);
    this.offsetMs = offset;
    return this.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }
}

export class ScheduleRunner {
  readonly clock = new EmulatorClock();
  /** Every schedule fired since the last reset, in order. */
  readonly fired: FiredSchedule[] = [];
  private readonly scheduler: SchedulerClient;
  private readonly sfn: SFNClient;
  private readonly done = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running: Promise<FiredSchedule[]> = Promise.resolve([]);

  /**
   * @param beforeStart what the emulator does before any StartExecution (its timings), since the
   * executions started here go to moto directly.
   */
  constructor(
    motoUrl: string,
    private readonly beforeStart: (stateMachineArn: string) => Promise<void> = async () => {},
    private readonly intervalMs = 1000,
  ) {
    this.scheduler = new SchedulerClient(clientConfig(motoUrl));
    this.sfn = new SFNClient(clientConfig(motoUrl));
  }

  start(): void {
    this.timer = setInterval(() => void this.tick().catch(() => undefined), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running.catch(() => undefined);
  }

  reset(): void {
    this.clock.reset();
    this.fired.length = 0;
    this.done.clear();
  }

  /** Moves the clock forward, then fires what is due: what it fired. */
  async advance(change: { advanceSeconds?: number; to?: string }): Promise<FiredSchedule[]> {
    if (change.to !== undefined) this.clock.set(new Date(change.to));
    else this.clock.advance(change.advanceSeconds ?? 0);
    return this.tick();
  }

  /** Fires the schedules due now, one look at a time. */
  tick(): Promise<FiredSchedule[]> {
    const next = this.running.catch(() => []).then(() => this.fire());
    this.running = next;
    return next;
  }

  private async fire(): Promise<FiredSchedule[]> {
    const fired = await fireDueSchedules(
      this.scheduler,
      this.clock.now(),
      (arn, input, name) => this.startExecution(arn, input, name),
      this.done,
    );
    this.fired.push(...fired);
    return fired;
  }

  /** StartExecution on moto, if moto has that state machine; named per schedule and time, so never twice. */
  private async startExecution(stateMachineArn: string, input: unknown, name: string): Promise<string | undefined> {
    try {
      await this.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    } catch (error) {
      if ((error as Error).name === 'StateMachineDoesNotExist') return undefined;
      throw error;
    }
    await this.beforeStart(stateMachineArn);
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    try {
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
    return executionArn;
  }
}
