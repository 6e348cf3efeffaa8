/**
 * A fleet in virtual time under AWS's request rate limits: one create-vm alone, then a
 * create-fleet of N hosts (every host's execution on the same virtual clock, every call through
 * the emulator's token buckets), then the destroy-fleet that removes them. What each costs, how
 * many calls each host made, and how many AWS refused.
 */
import type { EmulatorProxy } from '../emulator';
import type { LocalEngine } from '../engine/local-engine';
import { type BenchProfile, type SimulatedRun, simulate } from './measure';

export interface FleetFigures {
  hosts: number;
  /** Virtual seconds from the fleet's start until its last host is ready (the fleet's end). */
  simulatedSeconds: number;
  /** One create-vm alone under the same limits. */
  singleHostSeconds: number;
  /** simulatedSeconds / singleHostSeconds. */
  ratio: number;
  /** Hosts whose create failed, and of those, the ones a throttling error failed. */
  failed: number;
  failedByThrottling: number;
  /** The failed hosts' errors, and how many hosts each. */
  failures: Record<string, number>;
  /** Calls the emulator refused with the service's throttling error, by operation. */
  throttled: number;
  throttledByOperation: Record<string, number>;
  /** AWS calls the steps made per host, the fleet's own included, and for a create alone. */
  apiCallsPerHost: number;
  singleHostApiCalls: number;
  /** State transitions per host, the fleet's own included, and for a create alone. */
  transitionsPerHost: number;
  singleHostTransitions: number;
  costUsdPerHost: number;
  singleHostCostUsd: number;
  /** When the last host ran RunInstances, from the fleet's start. */
  lastLaunchSeconds: number;
  /** The destroy-fleet that removed them, in virtual seconds. */
  destroySeconds: number;
}

/** Throttled calls by operation since `before` (the per-step counts left out). */
export function throttledSince(proxy: EmulatorProxy, before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, count] of proxy.rateLimits.throttled) {
    if (key.includes(' ')) continue;
    const n = count - (before.get(key) ?? 0);
    if (n > 0) out[key] = n;
  }
  return out;
}

const THROTTLING = /Throttl|RequestLimitExceeded|Rate exceeded|TooManyRequests/i;

export async function simulateFleet(
  engine: LocalEngine,
  proxy: EmulatorProxy,
  hosts: number,
  zone: string,
  profile: BenchProfile,
  progress: (line: string) => void = () => undefined,
): Promise<{ figures: FleetFigures; single: SimulatedRun; fleet: SimulatedRun }> {
  const wasOn = proxy.rateLimits.enabled;
  proxy.rateLimits.enabled = true;
  try {
    progress('one create-vm alone, under the rate limits…');
    let calls = proxy.stepCallCount;
    const single = await simulate(engine, proxy, 'create', { hostname: 'solo', dnsZone: zone }, profile);
    const singleCalls = proxy.stepCallCount - calls;
    if (single.result.status !== 'SUCCEEDED') throw new Error(`the single create failed: ${single.result.status}`);
    await simulate(engine, proxy, 'destroy', { hostname: 'solo', dnsZone: zone }, profile);

    const hostnames = Array.from({ length: hosts }, (_, i) => `fleet${String(i + 1).padStart(2, '0')}`);
    progress(`create-fleet of ${hosts} hosts, under the rate limits…`);
    const throttledBefore = new Map(proxy.rateLimits.throttled);
    calls = proxy.stepCallCount;
    const fleet = await simulate(engine, proxy, 'createFleet', { hostnames, dnsZone: zone }, profile);
    const fleetCalls = proxy.stepCallCount - calls;
    const throttledByOperation = throttledSince(proxy, throttledBefore);
    const output = fleet.result.status === 'SUCCEEDED' ? (fleet.result.output as FleetOutput) : undefined;
    const failedHosts: FleetOutput['hosts'] =
      output?.hosts.filter((h) => h.status !== 'SUCCEEDED') ??
      hostnames.map((hostname) => ({ hostname, status: 'UNKNOWN' }));
    const launches = fleet.timeline.filter((e) => e.state === 'LaunchInstance').map((e) => e.start);

    progress(`destroy-fleet of ${hosts} hosts…`);
    const destroy = await simulate(engine, proxy, 'destroyFleet', { hostnames, dnsZone: zone }, profile);
    if (destroy.result.status !== 'SUCCEEDED') throw new Error(`the destroy-fleet failed: ${destroy.result.status}`);

    const figures: FleetFigures = {
      hosts,
      simulatedSeconds: fleet.simulatedSeconds,
      singleHostSeconds: single.simulatedSeconds,
      ratio: fleet.simulatedSeconds / single.simulatedSeconds,
      failed: failedHosts.length,
      failures: failedHosts.reduce<Record<string, number>>((acc, h) => {
        const key = `${h.error ?? h.status}: ${(h.cause ?? '').slice(0, 160)}`;
        acc[key] = (acc[key] ?? 0) + 1;
        return acc;
      }, {}),
      failedByThrottling: failedHosts.filter((h) => THROTTLING.test(`${h.error ?? ''} ${h.cause ?? ''}`)).length,
      throttled: Object.values(throttledByOperation).reduce((a, b) => a + b, 0),
      throttledByOperation,
      apiCallsPerHost: fleetCalls / hosts,
      singleHostApiCalls: singleCalls,
      transitionsPerHost: fleet.stateTransitions / hosts,
      singleHostTransitions: single.stateTransitions,
      costUsdPerHost: fleet.costUsd / hosts,
      singleHostCostUsd: single.costUsd,
      lastLaunchSeconds: Math.max(0, ...launches),
      destroySeconds: destroy.simulatedSeconds,
    };
    return { figures, single, fleet };
  } finally {
    proxy.rateLimits.enabled = wasOn;
  }
}

export interface FleetOutput {
  hosts: Array<{ hostname: string; status: string; error?: string; cause?: string }>;
}
