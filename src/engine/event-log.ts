/**
 * aws-local-stepfunctions' event log, read as the console's event list: one StepEvent per finished
 * state (Succeeded, Retried, Caught, Failed), the state transitions Step Functions bills, the
 * failure event, and every state's payload size (for the 256 KiB limit).
 */
import { type LargestPayload, PAYLOAD_LIMIT_BYTES, payloadBytes } from './payload';
import type { StepEvent } from './types';

export interface RawEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
}

export interface EventLogSummary {
  failed?: RawEvent;
  /** Every state entered, in branches too, and every retry. */
  transitions: number;
  largestPayload: LargestPayload;
}

export async function followEvents(
  events: AsyncIterable<RawEvent>,
  onStep: ((event: StepEvent) => void) | undefined,
  /** Called once, for the first state whose input or output passes the payload limit. */
  onOverLimit: (state: string, bytes: number) => void,
): Promise<EventLogSummary> {
  const entered = new Map<string, { timestamp: number; input: unknown }>();
  const caught = new Set<string>();
  let failed: RawEvent | undefined;
  let transitions = 0;
  const largestPayload: LargestPayload = { state: '', bytes: 0 };
  let over = false;
  const measure = (state: string, value: unknown) => {
    const bytes = payloadBytes(value);
    if (bytes > largestPayload.bytes) Object.assign(largestPayload, { state, bytes });
    if (bytes > PAYLOAD_LIMIT_BYTES && !over) {
      over = true;
      onOverLimit(state, bytes);
    }
  };
  for await (const event of events) {
    if (event.type === 'ExecutionFailed') failed = event;
    const state = event.state;
    if (!state) continue;
    if (event.type === 'StateEntered' || event.type === 'StateRetried') transitions += 1;
    if (event.type === 'StateEntered') {
      measure(state.name, state.input);
      entered.set(state.name, { timestamp: event.timestamp, input: state.input });
      caught.delete(state.name);
      continue;
    }
    if (event.type === 'StateExited') measure(state.name, state.output);
    if (event.type === 'StateCaught') caught.add(state.name);
    // After a Catch the library also reports the state as exited; the console does not.
    if (event.type === 'StateExited' && caught.has(state.name)) continue;
    const status = (
      { StateExited: 'Succeeded', StateFailed: 'Failed', StateRetried: 'Retried', StateCaught: 'Caught' } as const
    )[event.type as 'StateExited'];
    if (!status || !onStep) continue;
    onStep({
      name: state.name,
      type: state.type,
      status,
      durationMs: event.timestamp - (entered.get(state.name)?.timestamp ?? event.timestamp),
      input: entered.get(state.name)?.input,
      error: event.Error,
      cause: event.Cause === undefined ? undefined : String(event.Cause),
    });
  }
  return { failed, transitions, largestPayload };
}
