/**
 * How fast a fleet starts its hosts. What bounds a fleet is AWS's request rate limits, not
 * waiting: EC2 meters RunInstances per account and Region in a token bucket of 5 requests,
 * refilled 2 a second ("Request rate limiting", uncategorized actions:
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). Each host's
 * execution calls RunInstances once, a moment after it starts, so a fleet that starts its hosts
 * 4 at once and then 2 a second never finds the bucket empty. Route 53 (50 requests at once, 10 a
 * second per account: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html)
 * then sees about 5 calls per host, spread over a create, at most 10 a second: its refill rate.
 * An account whose limits AWS raised can start faster (`fleetLaunchesPerSecond`).
 */
export interface FleetPace {
  /** Hosts started at once. */
  burst: number;
  /** Hosts started each second after those; 0 starts every host at once. */
  perSecond: number;
}

/**
 * Four at once, one of the bucket's five kept in hand: a host whose launch comes a moment early
 * (its validation quicker than the host's before it), or a launch by anything else in the account,
 * still finds a token. The last host of fifty starts at the same second as with five at once.
 */
export const DEFAULT_FLEET_PACE: FleetPace = { burst: 4, perSecond: 2 };

/** The pace, with `perSecond` from the stack's `fleetLaunchesPerSecond` when set. */
export function fleetPace(perSecond?: number): FleetPace {
  return { ...DEFAULT_FLEET_PACE, ...(perSecond === undefined ? {} : { perSecond }) };
}

/** A Map state in Inline mode runs at most this many iterations at once (Step Functions' limit). */
export const INLINE_MAP_CONCURRENCY = 40;

/**
 * How the fleet's Map of groups is built for `concurrency` hosts at once: as few groups as the
 * inline limit allows, and hosts at once in each, never more than `concurrency` in all.
 */
export function fleetGroups(concurrency: number): { groups: number; perGroup: number } {
  const groups = Math.ceil(concurrency / INLINE_MAP_CONCURRENCY);
  return { groups, perGroup: Math.floor(concurrency / groups) };
}
