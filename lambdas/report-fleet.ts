/** ReportFleet: the fleet's outcome, host by host (HostResult made each one), and the counts. */

import type { HostResult } from './host-result';
import { instrument, logger } from './lib/logger';

export const handler = instrument(
  async (event: { results: HostResult[] }): Promise<{ hosts: HostResult[]; succeeded: number; failed: number }> => {
    const hosts = event.results;
    const failed = hosts.filter((h) => h.status === 'FAILED').length;
    logger.info('fleet done', { succeeded: hosts.length - failed, failed });
    return { hosts, succeeded: hosts.length - failed, failed };
  },
);
