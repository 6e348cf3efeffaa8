/**
 * ExpandFleet: a fleet input (`hostnames` plus the fields every host shares) checked host by host,
 * so a bad one stops the fleet before anything is created. The shared fields stay one object: the
 * Map merges each hostname into them as it starts that host, so no state carries a copy per host.
 *
 * It also plans the start: the hosts are split into `groups` (an inline Map runs at most 40
 * iterations at once, so a fleet runs more through a Map of groups), and each host of the first
 * wave gets `startAfter` seconds, so that the fleet's launches arrive as fast as EC2's RunInstances
 * bucket refills and no faster (`fleetPace`).
 */
import { type FleetPace, fleetPace } from './lib/fleet';
import { parseFleetRequest } from './lib/input';
import { instrument, logger } from './lib/logger';

export interface ExpandFleetEvent {
  input: unknown;
  workflow: 'create' | 'destroy';
  executionId: string;
  /** How many groups the fleet's Map of groups has, and hosts at once in each: fixed by the definition. */
  groups: number;
  concurrency: number;
  /** Launches the account's RunInstances bucket takes at once, and per second after. */
  pace: FleetPace;
}

export interface FleetHost {
  hostname: string;
  /** Seconds the host's Map iteration waits before it starts the host's execution. */
  startAfter: number;
}

export interface ExpandedFleet {
  groups: FleetHost[][];
  /** Every field but the hostnames, as each host's execution gets it. */
  shared: Record<string, unknown>;
}

export const handler = instrument(async (event: ExpandFleetEvent): Promise<ExpandedFleet> => {
  const fleet = parseFleetRequest(event.input, event.workflow);
  const groups = planFleet(fleet.hostnames, event.groups, event.concurrency, event.pace ?? fleetPace());
  logger.info('fleet expanded', {
    hosts: fleet.hostnames,
    groups: groups.length,
    lastStartAfter: Math.max(...groups.flat().map((h) => h.startAfter)),
  });
  return { groups, shared: fleet.shared };
});

/**
 * Splits the hosts into at most `groups` groups in order, and gives each host of the first wave
 * (the first `concurrency` of each group, which its Map starts at once) its place in the launch
 * order: the first `pace.burst` start at once, then `pace.perSecond` more each second. A host of a
 * later wave starts when one of its group's ends, which the first wave's pace has spread already.
 */
export function planFleet(hostnames: string[], groups: number, concurrency: number, pace: FleetPace): FleetHost[][] {
  const count = Math.max(1, Math.min(groups, hostnames.length));
  const size = Math.ceil(hostnames.length / count);
  const wave = Math.min(size, concurrency);
  const out: FleetHost[][] = [];
  for (let g = 0; g < count; g++) {
    out.push(
      hostnames.slice(g * size, (g + 1) * size).map((hostname, j) => {
        const rank = j < wave ? g * wave + j : undefined;
        return { hostname, startAfter: rank === undefined ? 0 : startAfter(rank, pace) };
      }),
    );
  }
  return out.filter((group) => group.length > 0);
}

/** The whole second from which the host `rank` (0-based) in launch order finds a launch left. */
export function startAfter(rank: number, pace: FleetPace): number {
  if (pace.perSecond <= 0 || rank < pace.burst) return 0;
  return Math.ceil((rank + 1 - pace.burst) / pace.perSecond);
}
