/**
 * The benchmark's simulation: real synthesized state machines, every Wait and every AWS delay in
 * virtual time. These tests keep it honest: the time it books is what the definition asked for,
 * the emulator's delays are what the profile says, and the design holds when AWS is slower.
 */
import { simulateFleet } from '../src/bench/fleet';
import { REFERENCE_PROFILE, type SimulatedRun, simulate } from '../src/bench/measure';
import type { StepEvent } from '../src/engine/local-engine';
import { allStates } from '../src/engine/template';
import { Harness, ZONE } from '../src/harness';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

/** `$.a.b` on a value: the only JSONPath shape the definitions use for SecondsPath. */
function at(value: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}

async function simulated(
  workflow: 'create' | 'destroy',
  hostname: string,
  profile = REFERENCE_PROFILE,
): Promise<{ run: SimulatedRun; steps: StepEvent[] }> {
  const steps: StepEvent[] = [];
  const run = await simulate(h.engine, h.emulator.proxy, workflow, { hostname, dnsZone: ZONE }, profile, (e) =>
    steps.push(e),
  );
  if (run.result.status !== 'SUCCEEDED') throw new Error(`${run.result.error}: ${run.result.cause}`);
  return { run, steps };
}

/** Seconds booked per Wait state, in order, by the simulation and by the definition on each Wait's input. */
function waitSeconds(run: SimulatedRun, steps: StepEvent[], definition: ReturnType<typeof h.engine.definition>) {
  const states = new Map(allStates(definition));
  const booked: Record<string, number[]> = {};
  const asked: Record<string, number[]> = {};
  for (const entry of run.timeline.filter((e) => e.kind === 'wait')) {
    booked[entry.state] = [...(booked[entry.state] ?? []), entry.seconds];
  }
  for (const step of steps.filter((s) => s.type === 'Wait' && s.status === 'Succeeded')) {
    const state = states.get(step.name);
    const seconds = state?.Seconds ?? at(step.input, String(state?.SecondsPath));
    asked[step.name] = [...(asked[step.name] ?? []), Number(seconds)];
  }
  return { booked, asked };
}

test('the simulated create books, state by state, exactly the Wait seconds the definition asked for', async () => {
  const { run, steps } = await simulated('create', 'sim1');
  const { booked, asked } = waitSeconds(run, steps, h.engine.definition('create'));
  expect(booked).toEqual(asked);
  // Every Wait of the create path ran, the reboot probe's short wait included.
  expect(Object.keys(booked).sort()).toEqual([
    'WaitForDnsSync (first wait)',
    'WaitForHostname (first wait)',
    'WaitUntilManaged (first wait)',
    'WaitUntilRebooted (first wait)',
    'WaitUntilRebooted (wait)',
    'WaitUntilRunning (first wait)',
  ]);
});

test('the timeline adds up: each branch runs its states back to back, the host branch sets the total', async () => {
  const { run } = await simulated('create', 'sim2');
  const byThread = new Map<string, typeof run.timeline>();
  for (const entry of run.timeline) byThread.set(entry.thread, [...(byThread.get(entry.thread) ?? []), entry]);
  for (const entries of byThread.values()) {
    entries.sort((a, b) => a.start - b.start);
    for (let i = 1; i < entries.length; i++) {
      expect(entries[i].start).toBeCloseTo(entries[i - 1].start + entries[i - 1].seconds, 6);
    }
  }
  const end = Math.max(...run.timeline.map((e) => e.start + e.seconds));
  expect(run.simulatedSeconds).toBeCloseTo(end, 6);
  const host = byThread.get('/Provision[0]/HostAndDns[0]') ?? [];
  const dns = byThread.get('/Provision[0]/HostAndDns[1]') ?? [];
  // The branches start together, when the instance runs; DNS is done long before the host.
  expect(host[0].start).toBeCloseTo(dns[0].start, 6);
  const last = (entries: typeof host) => entries[entries.length - 1];
  expect(last(dns).start + last(dns).seconds).toBeLessThan(last(host).start + last(host).seconds);
});

test('the emulator answers on the virtual clock: nothing is ready before the profile says', async () => {
  const { run } = await simulated('create', 'sim3');
  const starts = (state: string) => run.timeline.filter((e) => e.state === state).map((e) => e.start);
  const [launched] = starts('LaunchInstance');
  const [rebootedAt] = starts('RebootInstance');
  // One check each when the first wait is the expected time: the work was done when it looked.
  expect(starts('WaitUntilRunning')).toHaveLength(1);
  expect(starts('WaitUntilManaged')[0]).toBeGreaterThanOrEqual(launched + REFERENCE_PROFILE.agentOnline);
  expect(starts('WaitUntilRebooted')[0]).toBeGreaterThanOrEqual(rebootedAt + REFERENCE_PROFILE.agentAfterReboot);
  expect(run.stateTransitions).toBeLessThanOrEqual(60);
  expect(run.costUsd).toBeLessThanOrEqual(0.0015);
  expect(run.simulatedSeconds - run.lowerBoundSeconds).toBeLessThanOrEqual(5);
});

test('when AWS is slower than expected, the short polls find it within one interval', async () => {
  const slow = { ...REFERENCE_PROFILE, agentOnline: 60, agentAfterReboot: 55 };
  const { run } = await simulated('create', 'slow1', slow);
  const checks = run.timeline.filter((e) => e.state === 'WaitUntilManaged');
  // 27 s first wait, then 5 s polls until the agent is Online at 60 s.
  expect(checks.length).toBeGreaterThan(1);
  const online = run.timeline.find((e) => e.state === 'LaunchInstance')?.start ?? 0;
  const found = checks[checks.length - 1].start;
  expect(found - (online + slow.agentOnline)).toBeGreaterThanOrEqual(0);
  expect(found - (online + slow.agentOnline)).toBeLessThan(5);
  expect(run.simulatedSeconds - run.lowerBoundSeconds).toBeLessThan(2 * 5 + 1);
});

test('the simulated destroy tears down instance and record side by side', async () => {
  await simulated('create', 'sim4');
  const { run, steps } = await simulated('destroy', 'sim4');
  const { booked, asked } = waitSeconds(run, steps, h.engine.definition('destroy'));
  expect(booked).toEqual(asked);
  expect(booked).toEqual({
    'WaitUntilTerminated (first wait)': [REFERENCE_PROFILE.terminated],
    'WaitForDnsSync (first wait)': [REFERENCE_PROFILE.dnsInSync],
  });
  expect(run.simulatedSeconds).toBeLessThan(REFERENCE_PROFILE.terminated + REFERENCE_PROFILE.dnsInSync);
  expect(await h.host('sim4')).toMatchObject({ live: [], records: [] });
});

test("a Step Functions Retry's backoff is booked on the virtual clock, and the step runs again after it", async () => {
  // Both SDK attempts of the one RunInstances refused: the Lambda fails, Step Functions retries it.
  h.faults([{ kind: 'throttle', operation: 'RunInstances', step: 'LaunchInstance', times: 2 }]);
  const { run } = await simulated('create', 'retry1');
  const launches = run.timeline.filter((e) => e.state === 'LaunchInstance');
  expect(launches.map((e) => e.kind)).toEqual(['task', 'retry', 'task']);
  const [first, backoff, again] = launches;
  expect(backoff.start).toBeCloseTo(first.start + first.seconds, 6);
  // The first retry waits up to IntervalSeconds (1 s), full jitter: drawn from the seeded generator.
  expect(backoff.seconds).toBeGreaterThan(0);
  expect(backoff.seconds).toBeLessThanOrEqual(1);
  expect(again.start).toBeCloseTo(backoff.start + backoff.seconds, 6);
  // Seeded: the same jitter every run.
  await h.reset();
  h.faults([{ kind: 'throttle', operation: 'RunInstances', step: 'LaunchInstance', times: 2 }]);
  const { run: rerun } = await simulated('create', 'retry1');
  expect(rerun.timeline.find((e) => e.kind === 'retry')?.seconds).toBe(backoff.seconds);
});

test("a fleet runs every host's execution on one virtual clock, under AWS's rate limits, the same each run", async () => {
  const hosts = 12;
  const once = async () => {
    await h.reset();
    return simulateFleet(h.engine, h.emulator.proxy, hosts, ZONE, REFERENCE_PROFILE);
  };
  const { figures, fleet, single } = await once();
  expect(figures).toMatchObject({ hosts, failed: 0, throttled: 0 });
  // Each host started at its turn: by second t at most 4 + 2t launches, one of RunInstances' 5 kept in hand.
  const launches = fleet.timeline.filter((e) => e.state === 'LaunchInstance').map((e) => e.start);
  expect(launches).toHaveLength(hosts);
  for (const at of launches) expect(launches.filter((t) => t <= at).length).toBeLessThanOrEqual(5 + 2 * at);
  // Every host is a create alone, shifted by its turn (the 12th starts after 4 s); the fleet ends with the last.
  const last = Math.max(...launches) - Math.min(...launches);
  expect(last).toBeCloseTo(4, 6);
  expect(fleet.simulatedSeconds).toBeCloseTo(single.simulatedSeconds + last + 0.2, 1);
  // Hosts outlast the interpreter's 60 s task default: they run as long as their execution may.
  expect(single.simulatedSeconds).toBeGreaterThan(60);
  expect(figures.transitionsPerHost).toBeLessThan(figures.singleHostTransitions * 1.1);
  const again = await once();
  expect(again.figures).toEqual(figures);
}, 120_000);
