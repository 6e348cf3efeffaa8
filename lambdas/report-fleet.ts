/**
 * ReportFleet: each host's result, as one output: what succeeded (with its output) and what
 * failed (with the error and cause its own execution ended with, after its own roll-back).
 */
import { instrument, logger } from './lib/logger';

export interface HostResult {
  hostname: string;
  status: 'SUCCEEDED' | 'FAILED';
  executionArn?: string;
  output?: unknown;
  error?: string;
  cause?: string;
}

/** A failed child execution arrives as States.TaskFailed with its DescribeExecution as the cause. */
function childFailure(result: HostResult): HostResult {
  try {
    const child = JSON.parse(result.cause ?? '') as { Error?: string; Cause?: string; ExecutionArn?: string };
    if (child.Error)
      return { ...result, error: child.Error, cause: child.Cause ?? '', executionArn: child.ExecutionArn };
  } catch {
    // not a child execution's description: keep what Step Functions said
  }
  return result;
}

export const handler = instrument(
  async (event: { results: HostResult[] }): Promise<{ hosts: HostResult[]; succeeded: number; failed: number }> => {
    const hosts = event.results.map((r) => (r.status === 'FAILED' ? childFailure(r) : r));
    const failed = hosts.filter((h) => h.status === 'FAILED').length;
    logger.info('fleet done', { succeeded: hosts.length - failed, failed });
    return { hosts, succeeded: hosts.length - failed, failed };
  },
);
