/**
 * Step Functions execution history → the CLI's step lines, the same as local mode prints: one line
 * per finished state (Succeeded, Retried, Caught, Failed) with its duration. Events arrive in
 * pages and in several polls; `HistoryReader` keeps what it needs between them.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { StepEvent } from '../../engine/types';

const ENTERED = /^(\w+?)StateEntered$/;
const EXITED = /^(\w+?)StateExited$/;
/** Events that end a task attempt with an error. */
const TASK_FAILURES = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
]);
const EXECUTION_ENDS = new Set(['ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']);

interface Open {
  name: string;
  type: string;
  entered: number;
  failure?: { error?: string; cause?: string };
  /** A Parallel or Map whose own *StateFailed event has come: what fails next is the one around it. */
  failed?: boolean;
}

function detailsOf(event: HistoryEvent): { error?: string; cause?: string } {
  for (const value of Object.values(event)) {
    if (value && typeof value === 'object' && ('error' in value || 'cause' in value)) {
      const d = value as { error?: string; cause?: string };
      return { error: d.error, cause: d.cause };
    }
  }
  return {};
}

export class HistoryReader {
  private readonly byId = new Map<number, HistoryEvent>();
  /** Entered-event id → the state it opened, until it exits. */
  private readonly open = new Map<number, Open>();
  private lastId = 0;

  /** Reads events (any order within the batch, duplicates ignored); returns the lines they finish. */
  read(events: HistoryEvent[]): StepEvent[] {
    const out: StepEvent[] = [];
    for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
      const id = event.id ?? 0;
      if (id <= this.lastId) continue;
      this.lastId = id;
      this.byId.set(id, event);
      out.push(...this.apply(event));
    }
    return out;
  }

  /** The id of the *StateEntered event this event belongs to, following previousEventId. */
  private stateOf(event: HistoryEvent): number | undefined {
    let current: HistoryEvent | undefined = event;
    for (let hops = 0; current && hops < 10_000; hops += 1) {
      const id = current.id ?? 0;
      if (this.open.has(id)) return id;
      current = this.byId.get(current.previousEventId ?? 0);
    }
    return undefined;
  }

  private line(state: Open, status: StepEvent['status'], at: number, failure?: Open['failure']): StepEvent {
    return {
      name: state.name,
      type: state.type,
      status,
      durationMs: Math.max(0, at - state.entered),
      error: failure?.error,
      cause: failure?.cause,
    };
  }

  private apply(event: HistoryEvent): StepEvent[] {
    const type = event.type ?? '';
    const at = event.timestamp ? new Date(event.timestamp).getTime() : 0;
    const entered = ENTERED.exec(type);
    if (entered) {
      this.open.set(event.id ?? 0, {
        name: event.stateEnteredEventDetails?.name ?? '?',
        type: entered[1],
        entered: at,
      });
      return [];
    }
    const exited = EXITED.exec(type);
    if (exited) {
      const name = event.stateExitedEventDetails?.name;
      const entry = [...this.open].reverse().find(([, s]) => s.name === name);
      if (!entry) return [];
      this.open.delete(entry[0]);
      const [, state] = entry;
      return [this.line(state, state.failure ? 'Caught' : 'Succeeded', at, state.failure)];
    }
    const stateId = this.stateOf(event);
    const state = stateId === undefined ? undefined : this.open.get(stateId);
    if (state && TASK_FAILURES.has(type)) {
      state.failure = detailsOf(event);
      return [];
    }
    if (state?.failure && (type === 'TaskScheduled' || type === 'LambdaFunctionScheduled')) {
      const retried = this.line(state, 'Retried', at, state.failure);
      state.failure = undefined;
      return [retried];
    }
    if (type === 'ParallelStateFailed' || type === 'MapStateFailed') {
      // The innermost open Parallel (or Map) that has not failed yet failed: with nested ones, an
      // inner one fails first, then the one around it. The states still open inside end with it.
      const kind = type === 'ParallelStateFailed' ? 'Parallel' : 'Map';
      const [parallelId, parallel] = [...this.open].reverse().find(([, s]) => s.type === kind && !s.failed) ?? [];
      if (parallelId === undefined || !parallel) return [];
      const inner = [...this.open].filter(([id]) => id > parallelId);
      for (const [id] of inner) this.open.delete(id);
      parallel.failed = true;
      parallel.failure = inner.find(([, s]) => s.failure)?.[1].failure ?? detailsOf(event);
      return inner.map(([, s]) => this.line(s, 'Failed', at, s.failure));
    }
    if (EXECUTION_ENDS.has(type)) {
      const ending = detailsOf(event);
      const failed = [...this.open.values()].map((s) => this.line(s, 'Failed', at, s.failure ?? ending));
      this.open.clear();
      return failed;
    }
    return [];
  }
}

/** How an execution ended, from its history: the failing state's error and cause when there is one. */
export function failureOf(events: HistoryEvent[]): { error: string; cause: string } | undefined {
  const end = events.find((e) => EXECUTION_ENDS.has(e.type ?? ''));
  if (!end) return undefined;
  const details = detailsOf(end);
  return { error: details.error ?? end.type ?? 'Failed', cause: details.cause ?? '' };
}
