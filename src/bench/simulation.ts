/**
 * Virtual time for one run of a real synthesized state machine on the local engine. Every Wait
 * state sleeps for the seconds its definition asks for, on a virtual clock, and costs nothing in
 * real time; every Lambda invocation takes `lambdaSeconds`. Parallel branches keep clocks of their
 * own, and a branch's AWS calls are answered at its own now: the emulator's Timeline asks
 * `now(step)`, with the step that made the call (its SDK user agent). A retry's backoff is not
 * simulated: the benchmark runs without faults, and a retry would only count its transition.
 */
import type { RunHooks } from '../engine/local-engine';
import { type AslDefinition, allStates, nestedDefinitions } from '../engine/template';

/** One Task or Wait on the virtual timeline. */
export interface TimelineEntry {
  state: string;
  kind: 'task' | 'wait';
  /** The branch it ran in: `` for the top level, `/Provision[0]/HostAndDns[1]` for a nested one. */
  thread: string;
  start: number;
  seconds: number;
}

export class Simulation {
  readonly timeline: TimelineEntry[] = [];
  /** AWS calls the emulator could not place on a branch's clock: no step, or no such task running. */
  unattributedCalls = 0;
  private readonly threadOf = new Map<string, string>();
  private readonly parentOf = new Map<string, string | undefined>([['', undefined]]);
  private readonly clocks = new Map<string, number>();
  /** Task state name → the virtual time its invocation started. */
  private readonly inFlight = new Map<string, number>();
  private waitHookInstalled = false;

  constructor(
    definition: AslDefinition,
    readonly lambdaSeconds: number,
  ) {
    this.mapThreads(definition, '');
  }

  private mapThreads(definition: AslDefinition, thread: string): void {
    for (const [name, state] of Object.entries(definition.States)) {
      if (this.threadOf.has(name)) throw new Error(`state ${name} appears twice: its branch is ambiguous`);
      this.threadOf.set(name, thread);
      // A Map's iterations share one clock: the benchmark runs single-host workflows only.
      nestedDefinitions(state).forEach((branch, i) => {
        const child = `${thread}/${name}[${i}]`;
        this.parentOf.set(child, thread);
        this.mapThreads(branch, child);
      });
    }
  }

  /** Virtual seconds since the execution started: the furthest any branch has got. */
  get elapsed(): number {
    return Math.max(0, ...this.clocks.values());
  }

  /** The virtual now of a call made by `step`; an unknown step gets the furthest clock. */
  now(step: string | undefined): number {
    const started = step === undefined ? undefined : this.inFlight.get(step);
    if (started !== undefined) return started;
    this.unattributedCalls += 1;
    return this.elapsed;
  }

  /**
   * A branch's clock as it acts: not before its parent's (a branch starts when its Parallel does),
   * and not before any branch nested in it (a Parallel ends when its last branch does).
   */
  private advanceTo(thread: string): number {
    let t = this.ownClock(thread);
    for (const [other, clock] of this.clocks) {
      if (other.startsWith(`${thread}/`)) t = Math.max(t, clock);
    }
    this.clocks.set(thread, t);
    return t;
  }

  /** A branch's clock, not before its parent's: what it would read if it acted now. */
  private ownClock(thread: string): number {
    const parent = this.parentOf.get(thread);
    return Math.max(this.clocks.get(thread) ?? 0, parent === undefined ? 0 : this.ownClock(parent));
  }

  private thread(state: string): string {
    const thread = this.threadOf.get(state);
    if (thread === undefined) throw new Error(`simulation: ${state} is not a state of this definition`);
    return thread;
  }

  private async task(state: string, invoke: () => Promise<unknown>): Promise<unknown> {
    const thread = this.thread(state);
    const start = this.advanceTo(thread);
    if (this.inFlight.has(state)) throw new Error(`simulation: ${state} runs twice at once`);
    this.inFlight.set(state, start);
    try {
      return await invoke();
    } finally {
      this.inFlight.delete(state);
      this.clocks.set(thread, start + this.lambdaSeconds);
      this.timeline.push({ state, kind: 'task', thread, start, seconds: this.lambdaSeconds });
    }
  }

  private wait(state: string, seconds: number): void {
    const thread = this.thread(state);
    const start = this.advanceTo(thread);
    this.clocks.set(thread, start + seconds);
    this.timeline.push({ state, kind: 'wait', thread, start, seconds });
  }

  /**
   * Catches the duration the engine computes for a Wait state. The engine reads the state's
   * override, then synchronously evaluates Seconds or SecondsPath and calls setTimeout with it (or
   * nothing for 0 s). Reading the override installs a one-shot setTimeout that books the duration
   * on the branch's clock and fires at once; a microtask removes it if the wait was 0 s.
   */
  private beforeWait(state: string): void {
    if (this.waitHookInstalled) throw new Error(`simulation: ${state} waits while another wait is being read`);
    const real = globalThis.setTimeout;
    this.waitHookInstalled = true;
    const restore = () => {
      globalThis.setTimeout = real;
      this.waitHookInstalled = false;
    };
    const once = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      restore();
      this.wait(state, (ms ?? 0) / 1000);
      return real(callback, 0, ...args);
    }) as typeof setTimeout;
    globalThis.setTimeout = once;
    queueMicrotask(() => {
      if (globalThis.setTimeout !== once) return;
      restore();
      this.wait(state, 0);
    });
  }

  hooks(): RunHooks {
    return {
      task: (state, invoke) => this.task(state, invoke),
      waits: (definition) => {
        const names = new Set(
          allStates(definition)
            .filter(([, state]) => state.Type === 'Wait')
            .map(([name]) => name),
        );
        // No override (undefined) for any Wait: the engine computes the real duration, caught above.
        return new Proxy({} as Record<string, number>, {
          get: (_target, key) => {
            if (typeof key === 'string' && names.has(key)) this.beforeWait(key);
            return undefined;
          },
        });
      },
    };
  }
}
