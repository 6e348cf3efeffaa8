/**
 * HostResult: a fleet host that failed, kept small (a fleet holds 50 results in one state): its
 * execution, and the error and the readable cause its own execution ended with, after its own
 * roll-back. The host's execution holds everything else. (A host that succeeded is reported by the
 * fleet task's own ResultSelector, with no Lambda.)
 */
import { instrument } from './lib/logger';

/** What the fleet's Catch put under `result`: the error of the host's execution. */
export interface HostResultEvent {
  hostname: string;
  workflow: 'create' | 'destroy';
  result: { Error?: string; Cause?: string };
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

export const handler = instrument(async (event: HostResultEvent): Promise<HostResult> => failure(event));
