/**
 * ExpandFleet: a fleet input (`hostnames` plus the fields every host shares) checked host by host,
 * so a bad one stops the fleet before anything is created. The shared fields stay one object: the
 * Map merges each hostname into them as it starts that host, so no state carries a copy per host.
 */
import { InvalidInput } from './lib/errors';
import { parseCreateRequest, parseDestroyRequest, parseHostname } from './lib/input';
import { instrument, logger } from './lib/logger';

export const MAX_FLEET = 50;

export interface ExpandFleetEvent {
  input: unknown;
  workflow: 'create' | 'destroy';
  executionId: string;
}

export interface ExpandedFleet {
  hostnames: string[];
  /** Every field but the hostnames, as each host's execution gets it. */
  shared: Record<string, unknown>;
}

export const handler = instrument(async (event: ExpandFleetEvent): Promise<ExpandedFleet> => {
  const input = event.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInput('input', 'must be a JSON object with hostnames');
  }
  const { hostnames, ...shared } = input as Record<string, unknown>;
  if ('hostname' in shared || 'instanceId' in shared) {
    throw new InvalidInput('hostnames', 'a fleet takes hostnames, not hostname or instanceId');
  }
  if (!Array.isArray(hostnames) || hostnames.length === 0 || hostnames.length > MAX_FLEET) {
    throw new InvalidInput('hostnames', `must be a list of 1 to ${MAX_FLEET} hostnames`);
  }
  const names = hostnames.map((h, i) => parseHostname(h, `hostnames[${i}]`));
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new InvalidInput('hostnames', `${twice} is listed twice`);
  const parse = event.workflow === 'create' ? parseCreateRequest : parseDestroyRequest;
  for (const hostname of names) parse({ ...shared, hostname });
  logger.info('fleet expanded', { hosts: names });
  return { hostnames: names, shared };
});
