/**
 * ReportFleet: the fleet's outcome, host by host, and the counts. The Map of groups hands it one
 * list per group: a host that succeeded as its task's ResultSelector put it, one that failed as
 * HostResult read it.
 */

import type { HostResult } from './host-result';
import { instrument, logger } from './lib/logger';

/** A host that succeeded, as the fleet's task selected it from the execution's output. */
interface Selected {
  hostname: string;
  status: 'SUCCEEDED';
  executionArn: string;
  instanceId?: string;
  fqdn?: string;
  privateIp?: string;
  /** destroy-vm's output: what it removed. */
  removed?: { instanceId?: string; fqdn?: string };
}

export interface ReportFleetEvent {
  results: Array<Array<Selected | HostResult>>;
  workflow: 'create' | 'destroy';
}

function hostResult(result: Selected | HostResult): HostResult {
  if (result.status === 'FAILED' || !('removed' in result)) return result;
  const { removed, ...rest } = result;
  return { ...rest, instanceId: removed?.instanceId, fqdn: removed?.fqdn };
}

export const handler = instrument(
  async (event: ReportFleetEvent): Promise<{ hosts: HostResult[]; succeeded: number; failed: number }> => {
    const hosts = event.results.flat().map(hostResult);
    const failed = hosts.filter((h) => h.status === 'FAILED').length;
    logger.info('fleet done', { succeeded: hosts.length - failed, failed });
    return { hosts, succeeded: hosts.length - failed, failed };
  },
);
