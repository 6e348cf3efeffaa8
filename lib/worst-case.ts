/**
 * The longest a state machine can run before it ends by its own states, read from its ASL: every
 * Wait its seconds; every Task what `taskSeconds` says (a Lambda step: its function's timeout);
 * every poll loop its first wait, a check, its time bound (lib/poll.ts) and one more check; the
 * longest branch of a Parallel or a Choice; and after a state with a Catch, the catcher's path as
 * if the state failed at its very end. What it leaves out is AWS misbehaving: a step retried for
 * throttling or a Lambda service error takes longer, and the clean-up (lib/clean-up.ts) covers an
 * execution the state machine's own timeout ends.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ELAPSED_FIELD } from './poll';

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Seconds?: number;
  SecondsPath?: string;
  Branches?: Definition[];
  Choices?: Rule[];
  Default?: string;
  Catch?: Array<{ Next: string }>;
  [key: string]: unknown;
}

interface Rule {
  Next?: string;
  Variable?: string;
  NumericGreaterThanEquals?: number;
  And?: Rule[];
  Or?: Rule[];
}

export interface Definition {
  StartAt: string;
  States: Record<string, unknown>;
}

/** Seconds a Task state can take, by its name and definition. */
export type TaskSeconds = (name: string, state: Record<string, unknown>) => number;

/** The poll fragment's time bound, from the rule that sends its Choice to `X timed out`. */
function pollBound(rule: Rule): number | undefined {
  const conditions = [rule, ...(rule.And ?? []), ...(rule.And ?? []).flatMap((r) => r.Or ?? []), ...(rule.Or ?? [])];
  const bound = conditions.find((c) => c.Variable?.endsWith(`.${ELAPSED_FIELD}`));
  return bound?.NumericGreaterThanEquals;
}

export function worstCaseSeconds(definition: Definition, taskSeconds: TaskSeconds): number {
  const states = definition.States as Record<string, State>;
  const on = new Set<string>();

  const from = (name: string | undefined): number => {
    if (!name) return 0;
    const state = states[name];
    if (!state) throw new Error(`worst case: no state ${name}`);
    if (on.has(name)) throw new Error(`worst case: ${name} loops back outside a poll fragment`);
    on.add(name);
    try {
      return here(name, state);
    } finally {
      on.delete(name);
    }
  };

  const afterwards = (state: State, own: number): number => {
    const normal = own + (state.End ? 0 : from(state.Next));
    const caught = (state.Catch ?? []).map((c) => own + from(c.Next));
    return Math.max(normal, ...caught);
  };

  const here = (name: string, state: State): number => {
    switch (state.Type) {
      case 'Task':
        return afterwards(state, taskSeconds(name, state));
      case 'Wait':
        if (state.Seconds === undefined) throw new Error(`worst case: ${name} waits an input-given time`);
        return afterwards(state, state.Seconds);
      case 'Pass':
        return afterwards(state, 0);
      case 'Parallel':
        return afterwards(state, Math.max(...(state.Branches ?? []).map((b) => worstCaseSeconds(b, taskSeconds))));
      case 'Choice': {
        const rules = state.Choices ?? [];
        const timeout = rules.find((r) => r.Next?.endsWith(' timed out') && pollBound(r) !== undefined);
        if (!timeout) return Math.max(...[...rules.map((r) => r.Next), state.Default].map(from));
        // A poll's Choice: the loop runs to its bound, then one more check decides.
        const check = name.replace(/\?$/, '');
        const loop = rules.filter((r) => r.Next === `${check} (wait)`);
        const exits = [...rules.filter((r) => !loop.includes(r)).map((r) => r.Next), state.Default];
        const bound = (pollBound(timeout) ?? 0) + taskSeconds(check, states[check]);
        return bound + Math.max(...exits.map(from));
      }
      case 'Succeed':
      case 'Fail':
        return 0;
      default:
        throw new Error(`worst case: ${name} is a ${state.Type} state, which this analysis does not time`);
    }
  };

  return from(definition.StartAt);
}

/** A chain's ASL as the state machine will render it, before it is bound to one. */
export function renderedAsl(start: sfn.State): Definition {
  const states = sfn.State.findReachableStates(start, { includeErrorHandlers: true });
  return { StartAt: start.stateId, States: Object.fromEntries(states.map((s) => [s.stateId, s.toStateJson()])) };
}
