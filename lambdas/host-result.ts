/**
 * HostResult: one fleet host's outcome, kept small (a fleet holds 50 of them in one state): its
 * execution, and what it made or removed; or the error and the readable cause its own execution
 * ended with, after its own roll-back. The host's execution holds everything else.
 */
import { instrument } from './lib/logger';

/** What the fleet's Map task put under `result`: the child's output, or the error a Catch caught. */
export interface HostResultEvent {
  hostname: string;
  workflow: 'create' | 'destroy';
  result: { output?: unknown; executionArn?: string; Error?: string; Cause?: string };
}

export interface HostResult {
  hostname: string;
  status: 'SUCCEEDED' | 'FAILED';
  executionArn?: string;
  instanceId?: string;
  fqdn?: string;
  privateIp?: string;
  error?: string;
  cause?: string;
}

const CAUSE_CHARS = 1000;

/** A Lambda error's cause is the runtime's JSON: its message is what a person reads. */
function readable(cause: string | undefined): string {
  try {
    const parsed = JSON.parse(cause ?? '') as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: already readable
  }
  return cause ?? '';
}

/** A failed child execution arrives as States.TaskFailed with its description (input included) as the cause. */
function failure(event: HostResultEvent): HostResult {
  const { Error: error = 'Unknown', Cause: cause } = event.result;
  let child: { Error?: string; Cause?: string; ExecutionArn?: string } = {};
  try {
    child = JSON.parse(cause ?? '');
  } catch {
    // not a child execution's description: keep what Step Functions said
  }
  return {
    hostname: event.hostname,
    status: 'FAILED',
    executionArn: child.ExecutionArn,
    error: child.Error ?? error,
    cause: readable(child.Error ? child.Cause : cause).slice(0, CAUSE_CHARS),
  };
}

function success(event: HostResultEvent): HostResult {
  const output = (event.result.output ?? {}) as {
    instanceId?: string;
    fqdn?: string;
    privateIp?: string;
    removed?: { instanceId?: string; fqdn?: string };
  };
  const made = event.workflow === 'create' ? output : (output.removed ?? {});
  return {
    hostname: event.hostname,
    status: 'SUCCEEDED',
    executionArn: event.result.executionArn,
    instanceId: made.instanceId,
    fqdn: made.fqdn,
    privateIp: event.workflow === 'create' ? output.privateIp : undefined,
  };
}

export const handler = instrument(
  async (event: HostResultEvent): Promise<HostResult> =>
    event.result.Error === undefined ? success(event) : failure(event),
);
