/**
 * ExpandFleet: a fleet input (`hostnames` plus the fields every host shares) checked host by host,
 * so a bad one stops the fleet before anything is created. The shared fields stay one object: the
 * Map merges each hostname into them as it starts that host, so no state carries a copy per host.
 */
import { type FleetRequest, parseFleetRequest } from './lib/input';
import { instrument, logger } from './lib/logger';

export interface ExpandFleetEvent {
  input: unknown;
  workflow: 'create' | 'destroy';
  executionId: string;
}

export type ExpandedFleet = FleetRequest;

export const handler = instrument(async (event: ExpandFleetEvent): Promise<ExpandedFleet> => {
  const fleet = parseFleetRequest(event.input, event.workflow);
  logger.info('fleet expanded', { hosts: fleet.hostnames });
  return fleet;
});
