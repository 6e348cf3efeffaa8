/** ReportFleet: the fleet's outcome, host by host (HostResult made each one), and the counts. */
import { instrument, logger } from './lib/logger';
import type { HostResult } from './host-result';

export const handler = instrument(
  async (event: { results: HostResult[] }): Promise<{ hosts: HostResult[]; succeeded: number; failed: number }> => {
    const hosts = event.results;
    const failed = hosts.filter((h) => h.status === 'FAILED').length;
    logger.info('fleet done', { succeeded: hosts.length - failed, failed });
    return { hosts, succeeded: hosts.length - failed, failed };
  },
);
