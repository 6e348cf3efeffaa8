/**
 * The emulator's control API, under `/_emulator/` on the proxy's port: health, state, faults,
 * reset, zones, clock. What tests, scripts and `lifecycle` use to steer a running emulator.
 */
import type { ServerResponse } from 'node:http';
import type { FiredSchedule } from '../engine/schedules';
import type { Fault, FaultPlan } from './faults';
import type { RateLimits } from './rate-limits';

/** What the control API steers: the proxy, seen from here. */
export interface Controlled {
  readonly containers?: unknown;
  readonly stack?: { stackName: string };
  readonly machineTimings: { mode: string };
  readonly faults: FaultPlan;
  readonly rateLimits: RateLimits;
  readonly schedules: {
    readonly clock: { now(): Date; readonly offsetSeconds: number };
    advance(change: { advanceSeconds?: number; to?: string }): Promise<FiredSchedule[]>;
  };
  state(): unknown;
  reset(): Promise<void>;
  seedZone(name: string): Promise<string>;
}

export async function control(
  proxy: Controlled,
  method: string,
  path: string,
  body: string,
  res: ServerResponse,
): Promise<void> {
  const send = (status: number, payload: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  };
  const route = `${method} ${path.replace(/\?.*$/, '')}`;
  switch (route) {
    case 'GET /_emulator/health':
      return send(200, {
        ok: true,
        guests: proxy.containers ? 'container' : 'simulated',
        stack: proxy.stack?.stackName,
        timings: proxy.machineTimings.mode,
      });
    case 'GET /_emulator/state':
      return send(200, proxy.state());
    case 'POST /_emulator/faults': {
      const request = JSON.parse(body || '[]') as Fault[] | { faults: Fault[]; seed?: number };
      if (Array.isArray(request)) proxy.faults.set(request);
      else proxy.faults.set(request.faults, request.seed);
      return send(200, proxy.faults.list());
    }
    case 'DELETE /_emulator/faults':
      proxy.faults.clear();
      return send(200, []);
    case 'GET /_emulator/rate-limits':
    case 'POST /_emulator/rate-limits': {
      const { status, payload } = proxy.rateLimits.control(method, body);
      return send(status, payload);
    }
    case 'POST /_emulator/reset':
      await proxy.reset();
      return send(200, { ok: true });
    // The clock EventBridge Scheduler fires schedules on: real time, moved forward by POSTs.
    case 'GET /_emulator/clock':
      return send(200, {
        now: proxy.schedules.clock.now().toISOString(),
        offsetSeconds: proxy.schedules.clock.offsetSeconds,
      });
    // `{"advanceSeconds": 3600}` or `{"to": "2026-12-01T18:00:00Z"}`: the schedules due by then fire
    // (those whose target the Step Functions API runs), and are deleted; the answer lists them.
    case 'POST /_emulator/clock': {
      const change = JSON.parse(body || '{}') as { advanceSeconds?: number; to?: string };
      let fired: FiredSchedule[];
      try {
        fired = await proxy.schedules.advance(change);
      } catch (error) {
        if (error instanceof RangeError) return send(400, { error: error.message });
        throw error;
      }
      return send(200, { now: proxy.schedules.clock.now().toISOString(), fired });
    }
    case 'POST /_emulator/zones': {
      const { name } = JSON.parse(body) as { name: string };
      return send(200, { name, zoneId: await proxy.seedZone(name) });
    }
    default:
      return send(404, { error: `no emulator route ${route}` });
  }
}
