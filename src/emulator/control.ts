/**
 * The emulator's control API, under `/_emulator/` on the proxy's port: health, state, faults,
 * reset, zones. What tests, scripts and `lifecycle` use to steer a running emulator.
 */
import type { ServerResponse } from 'node:http';
import type { Fault, FaultPlan } from './faults';
import type { RateLimits } from './rate-limits';

/** What the control API steers: the proxy, seen from here. */
export interface Controlled {
  readonly containers?: unknown;
  readonly stack?: { stackName: string };
  readonly machineTimings: { mode: string };
  readonly faults: FaultPlan;
  readonly rateLimits: RateLimits;
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
    case 'POST /_emulator/zones': {
      const { name } = JSON.parse(body) as { name: string };
      return send(200, { name, zoneId: await proxy.seedZone(name) });
    }
    default:
      return send(404, { error: `no emulator route ${route}` });
  }
}
