/**
 * Virtual time for runs of the real synthesized state machines on the local engine: one virtual
 * clock for everything that runs, as a discrete-event simulation. Every Wait state sleeps for the
 * seconds its definition asks for, every Retry for the backoff Step Functions computes (its jitter
 * from a seeded generator), every Lambda invocation takes `lambdaSeconds`, and none of it costs
 * real time. Parallel branches, Map iterations and child executions (a fleet's hosts, each a
 * `startExecution.sync:2`) all run at once on that clock, as on AWS; the emulator answers every
 * call at its now (its Timeline, its rate limits).
 *
 * Time moves only when nothing real is under way: the clock jumps to the next timer once no
 * Lambda invocation is running. Invocations due at the same virtual instant run one after the
 * other in real time, in the order the engine started them, so that a run is deterministic: the
 * same calls reach the emulator's token buckets in the same order every time.
 */
import { seededRandom } from '../emulator/faults';
import type { RunHooks } from '../engine/local-engine';
import { type AslDefinition, allStates, nestedDefinitions, type Workflow } from '../engine/template';

/** One Task or Wait (or a Retry's backoff) on the virtual timeline. */
export interface TimelineEntry {
  state: string;
  kind: 'task' | 'wait' | 'retry';
  /** The execution: `` for the one the run started, the hostname of a fleet's host. */
  execution: string;
  /** The branch it ran in: `` for the top level, `/Provision[0]/HostAndDns[1]` for a nested one. */
  thread: string;
  start: number;
  seconds: number;
}

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** What the engine gets back from a virtual setTimeout, and may hand to clearTimeout. */
interface VirtualHandle {
  timer: Timer;
  ref(): VirtualHandle;
  unref(): VirtualHandle;
  hasRef(): boolean;
}

/** The part of setTimeout the engine's sleeps use. */
type SetTimeout = typeof globalThis.setTimeout;

/** The real one, whatever a capture has put in its place meanwhile. */
const realSetTimeout = globalThis.setTimeout;

export class Simulation {
  readonly timeline: TimelineEntry[] = [];
  /** Virtual seconds since the run started. */
  now = 0;
  /** The state transitions of the child executions (the run's own result counts its own). */
  childTransitions = 0;
  private readonly timers: Timer[] = [];
  private seq = 0;
  /** Lambda invocations started and not yet done (running, or queued behind another). */
  private busy = 0;
  private quiet?: () => void;
  /** Invocations run one at a time, in the order they were started. */
  private lane: Promise<unknown> = Promise.resolve();
  private readonly threads = new Map<Workflow, Map<string, string>>();
  /**
   * A Wait's or a Retry's sleep, or a Task's timeout, about to be asked for: the next setTimeout
   * is its, and virtual. A timeout is not booked on the timeline.
   */
  private capture?: { entry?: Omit<TimelineEntry, 'start' | 'seconds'>; real: SetTimeout; once: SetTimeout };
  private readonly handles = new WeakSet<object>();
  private readonly random: () => number;

  private readonly lambdaSeconds: () => number;

  /**
   * `lambda` is how long each Lambda invocation takes: a fixed number of seconds, or a draw from
   * the run's seeded generator (`random`, from 0 to 1) for each invocation.
   */
  constructor(
    definitions: Partial<Record<Workflow, AslDefinition>>,
    lambda: number | ((random: () => number) => number),
    seed = 1,
  ) {
    this.random = seededRandom(seed);
    const draw = seededRandom(seed ^ 0x5bd1e995);
    this.lambdaSeconds = typeof lambda === 'number' ? () => lambda : () => lambda(draw);
    for (const [workflow, definition] of Object.entries(definitions) as Array<[Workflow, AslDefinition]>) {
      const threads = new Map<string, string>();
      this.mapThreads(definition, '', threads);
      this.threads.set(workflow, threads);
    }
  }

  private mapThreads(definition: AslDefinition, thread: string, into: Map<string, string>): void {
    for (const [name, state] of Object.entries(definition.States)) {
      if (into.has(name)) throw new Error(`state ${name} appears twice: its branch is ambiguous`);
      into.set(name, thread);
      nestedDefinitions(state).forEach((branch, i) => {
        this.mapThreads(branch, `${thread}/${name}[${i}]`, into);
      });
    }
  }

  /** The virtual now of a call, whoever made it: there is one clock. */
  clock = (): number => this.now;

  /**
   * Runs `work` (an execution started with `hooks()`) to its end on the virtual clock. Step
   * Functions' retry jitter draws from the seeded generator meanwhile.
   */
  async drive<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => {
      settled = true;
    });
    done.catch(() => undefined);
    const random = Math.random;
    const clear = globalThis.clearTimeout;
    Math.random = this.random;
    // A virtual timer the engine clears (a task's timeout once it is done, a stopped execution's sleep) is dropped.
    globalThis.clearTimeout = ((handle?: unknown) => {
      if (typeof handle === 'object' && handle !== null && this.handles.has(handle)) {
        const i = this.timers.indexOf((handle as VirtualHandle).timer);
        if (i >= 0) this.timers.splice(i, 1);
        return;
      }
      clear(handle as NodeJS.Timeout);
    }) as typeof clearTimeout;
    try {
      while (!settled) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (settled) break;
        if (this.busy > 0) {
          await new Promise<void>((resolve) => {
            this.quiet = resolve;
          });
          continue;
        }
        const next = this.timers.shift();
        if (!next) {
          // Nothing due and nothing running: something real (the engine's own bookkeeping) is under way.
          await new Promise<void>((resolve) => realSetTimeout(resolve, 1));
          continue;
        }
        this.now = Math.max(this.now, next.at);
        next.fire();
      }
    } finally {
      Math.random = random;
      globalThis.clearTimeout = clear;
    }
    return work;
  }

  /** Resolves `seconds` from now on the virtual clock. */
  private sleep(seconds: number): Promise<void> {
    return new Promise((resolve) => this.schedule(seconds, resolve));
  }

  private schedule(seconds: number, fire: () => void): Timer {
    const timer = { at: this.now + seconds, seq: this.seq++, fire };
    let i = this.timers.length;
    while (
      i > 0 &&
      (this.timers[i - 1].at > timer.at || (this.timers[i - 1].at === timer.at && this.timers[i - 1].seq > timer.seq))
    )
      i--;
    this.timers.splice(i, 0, timer);
    return timer;
  }

  private threadOf(workflow: Workflow, state: string): string {
    const thread = this.threads.get(workflow)?.get(state);
    if (thread === undefined) throw new Error(`simulation: ${state} is not a state of ${workflow}`);
    return thread;
  }

  private async task(
    workflow: Workflow,
    execution: string,
    state: string,
    invoke: () => Promise<unknown>,
    child: boolean,
  ): Promise<unknown> {
    const thread = this.threadOf(workflow, state);
    // The engine arms the task's timeout as soon as this returns its promise: on the virtual clock.
    this.beforeSleep(undefined);
    if (child) {
      // A child execution runs on the clock by its own states; the task lasts as long as it does.
      const start = this.now;
      try {
        return await invoke();
      } finally {
        this.timeline.push({ state, kind: 'task', execution, thread, start, seconds: this.now - start });
      }
    }
    this.busy += 1;
    const turn = this.lane.then(async () => {
      const start = this.now;
      let outcome: { value?: unknown; error?: unknown; failed: boolean };
      try {
        outcome = { value: await invoke(), failed: false };
      } catch (error) {
        outcome = { error, failed: true };
      }
      // Its end is booked before the clock may move on.
      const seconds = this.lambdaSeconds();
      const end = this.sleep(seconds);
      this.timeline.push({ state, kind: 'task', execution, thread, start, seconds });
      return { outcome, end };
    });
    this.lane = turn.catch(() => undefined);
    const { outcome, end } = await turn.finally(() => {
      this.busy -= 1;
      if (this.busy === 0) this.quiet?.();
    });
    await end;
    if (outcome.failed) throw outcome.error;
    return outcome.value;
  }

  /**
   * Catches the timer the engine sets next: it reads a Wait's (or a Retry's) override, then
   * synchronously computes the duration and calls setTimeout with it, or nothing for 0 s; it arms a
   * Task's timeout right after the task's handler returns its promise. Each installs a one-shot
   * setTimeout that puts the timer on the virtual clock (and books a sleep on the timeline); the
   * next capture, or a microtask, removes it if no timer came.
   */
  private beforeSleep(entry: Omit<TimelineEntry, 'start' | 'seconds'> | undefined): void {
    if (this.capture) {
      // A Retry's override is read twice before its sleep; a Wait's once.
      const held = this.capture.entry;
      const same = held && entry && held.state === entry.state && held.execution === entry.execution;
      if (same && entry?.kind === 'retry') return;
      this.settleCapture(0);
    }
    const real = globalThis.setTimeout;
    const once = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const seconds = (ms ?? 0) / 1000;
      this.settleCapture(seconds);
      const handle: VirtualHandle = {
        timer: this.schedule(seconds, () => callback(...args)),
        ref: () => handle,
        unref: () => handle,
        hasRef: () => false,
      };
      this.handles.add(handle);
      return handle as unknown as NodeJS.Timeout;
    }) as unknown as SetTimeout;
    this.capture = { entry, real, once };
    globalThis.setTimeout = once;
    queueMicrotask(() => {
      if (this.capture?.once === once) this.settleCapture(0);
    });
  }

  private settleCapture(seconds: number): void {
    const capture = this.capture;
    if (!capture) return;
    globalThis.setTimeout = capture.real;
    this.capture = undefined;
    if (!capture.entry || (capture.entry.kind === 'retry' && seconds === 0)) return;
    this.timeline.push({ ...capture.entry, start: this.now, seconds });
  }

  /** Hooks for one execution of `workflow`; a child execution gets its own, named `execution`. */
  hooks(workflow: Workflow, execution = ''): RunHooks {
    const sleeps = (definition: AslDefinition, type: 'Wait' | 'Task', kind: 'wait' | 'retry') => {
      const names = new Set(
        allStates(definition)
          .filter(([, state]) => state.Type === type)
          .map(([name]) => name),
      );
      // No override (undefined) for any state: the engine computes the real duration, caught above.
      return new Proxy({} as Record<string, number>, {
        get: (_target, key) => {
          if (typeof key === 'string' && names.has(key)) {
            this.beforeSleep({ state: key, kind, execution, thread: this.threadOf(workflow, key) });
          }
          return undefined;
        },
      });
    };
    return {
      task: (state, invoke, target) => this.task(workflow, execution, state, invoke, target?.child !== undefined),
      waits: (definition) => sleeps(definition, 'Wait', 'wait'),
      retries: (definition) => sleeps(definition, 'Task', 'retry'),
      child: (child, input) => this.hooks(child, String((input as { hostname?: unknown })?.hostname ?? child)),
      ended: (result) => {
        if (execution === '') return;
        this.childTransitions += result.stateTransitions;
      },
    };
  }
}
