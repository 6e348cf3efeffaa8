/**
 * `npm run soak`: many concurrent creates of distinct hostnames, then as many destroys, through the
 * local engine on one emulator that throttles a share of every AWS call. Every host is leased. Every
 * execution must succeed, no hostname may get a second instance, and nothing may be left at the
 * end: no instance, no record, no lease schedule.
 *
 * With `--fleet`: one create-fleet of all the hosts, then one destroy-fleet, under AWS's default
 * request rate limits (the emulator's token buckets) in virtual time, AWS taking the times the
 * workflows expect and each Lambda invocation 50 ms to 1 s, drawn from the seed; `--throttle` adds
 * random throttling on top (default 0 then).
 *
 *   npm run soak -- [--hosts 50] [--throttle 0.1] [--seed 1] [--json]
 *   npm run soak -- --fleet [--hosts 50] [--throttle 0] [--seed 1] [--json]
 *
 * Exit code 0 when every promise held, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { MAX_FLEET } from '../lambdas/lib/input';
import { type FleetOutput, throttledSince } from '../src/bench/fleet';
import { REFERENCE_PROFILE, simulate } from '../src/bench/measure';
import { startEmulator } from '../src/emulator';
import { clientConfig } from '../src/emulator/account';
import { ensureZone } from '../src/emulator/seed';
import { type ExecutionResult, LocalEngine, type Workflow } from '../src/engine/local-engine';
import { allSchedules } from '../src/engine/schedules';

const ZONE = 'soak.internal';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '50' },
    throttle: { type: 'string' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    fleet: { type: 'boolean', default: false },
  },
});
const hosts = Number(values.hosts);
const fleetMode = Boolean(values.fleet);
const throttle = Number(values.throttle ?? (fleetMode ? '0' : '0.1'));
const seed = Number(values.seed);
const maxHosts = fleetMode ? MAX_FLEET : Number.POSITIVE_INFINITY;
if (
  !Number.isInteger(hosts) ||
  hosts < 1 ||
  hosts > maxHosts ||
  !(throttle >= 0 && throttle < 1) ||
  !Number.isInteger(seed)
) {
  console.error(
    `usage: npm run soak -- [--fleet] [--hosts N>=1${fleetMode ? `, at most ${MAX_FLEET} in a fleet` : ''}] [--throttle 0<=P<1] [--seed INT] [--json]`,
  );
  process.exit(2);
}
const say = (line: string) => {
  if (!values.json) console.log(line);
};

interface Phase {
  succeeded: number;
  failed: string[];
  retries: number;
  seconds: number;
}

async function phase(engine: LocalEngine, workflow: Workflow, names: string[]): Promise<Phase> {
  const started = Date.now();
  let retries = 0;
  let done = 0;
  const results = await Promise.all(
    names.map(async (hostname): Promise<[string, ExecutionResult]> => {
      const input = { hostname, dnsZone: ZONE, pollIntervalSeconds: 0 };
      const leased = workflow === 'create' ? { ...input, expiresIn: '2h' } : input;
      const result = await engine.run(workflow, leased, (e) => {
        if (e.status === 'Retried') retries += 1;
      });
      done += 1;
      if (done % 10 === 0 || done === names.length || result.status === 'FAILED') {
        const last = result.status === 'FAILED' ? ` (${hostname}: ${result.error})` : '';
        say(
          `  ${workflow} ${done}/${names.length} finished after ${((Date.now() - started) / 1000).toFixed(1)} s${last}`,
        );
      }
      return [hostname, result];
    }),
  );
  return {
    succeeded: results.filter(([, r]) => r.status === 'SUCCEEDED').length,
    failed: results.flatMap(([name, r]) => (r.status === 'FAILED' ? [`${name}: ${r.error}: ${r.cause}`] : [])),
    retries,
    seconds: (Date.now() - started) / 1000,
  };
}

/** One fleet execution in virtual time, under the rate limits: its hosts' outcomes. */
async function fleetPhase(
  engine: LocalEngine,
  proxy: Awaited<ReturnType<typeof startEmulator>>['proxy'],
  workflow: 'createFleet' | 'destroyFleet',
  input: Record<string, unknown>,
): Promise<Phase & { simulatedSeconds: number }> {
  const started = Date.now();
  let retries = 0;
  let done = 0;
  const names = input.hostnames as string[];
  const run = await simulate(
    engine,
    proxy,
    workflow,
    input,
    REFERENCE_PROFILE,
    (e) => {
      if (e.status === 'Retried') retries += 1;
      if (/^[^/]+\/Done$/.test(e.name) && e.status === 'Succeeded') {
        done += 1;
        if (done % 10 === 0) say(`  ${workflow}: ${done}/${names.length} hosts done`);
      }
    },
    // Each invocation 50 ms to 1 s: a host's launch may come early or late against the pace.
    { lambda: (random) => 0.05 + 0.95 * random(), seed },
  );
  const { result } = run;
  const outcomes = result.status === 'SUCCEEDED' ? (result.output as FleetOutput).hosts : [];
  const failed =
    result.status === 'SUCCEEDED'
      ? outcomes.filter((h) => h.status !== 'SUCCEEDED').map((h) => `${h.hostname}: ${h.error}: ${h.cause}`)
      : [`the ${workflow} execution: ${result.error}: ${result.cause}`];
  return {
    succeeded: outcomes.filter((h) => h.status === 'SUCCEEDED').length,
    failed,
    retries,
    seconds: (Date.now() - started) / 1000,
    simulatedSeconds: run.simulatedSeconds,
  };
}

async function main(): Promise<number> {
  const emulator = await startEmulator({ zones: [ZONE] });
  let engine: LocalEngine | undefined;
  try {
    engine = new LocalEngine({ endpoint: emulator.url });
    await engine.prepare();
    const ec2 = new EC2Client(clientConfig(emulator.url));
    const route53 = new Route53Client(clientConfig(emulator.url));
    const zoneId = await ensureZone(emulator.url, ZONE);
    const instances = async (): Promise<Instance[]> =>
      ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap((r) => r.Instances ?? []);
    const records = async () =>
      (
        (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 1000 })))
          .ResourceRecordSets ?? []
      ).filter((r) => r.Type === 'CNAME' || r.Type === 'A');
    const schedules = async () => (await allSchedules(new SchedulerClient(clientConfig(emulator.url)))).length;

    const names = Array.from({ length: hosts }, (_, i) => `soak-${String(i + 1).padStart(3, '0')}`);
    // Only the workflows' calls are throttled: the soak's own checks must see the emulator as it is.
    emulator.proxy.faults.set([{ kind: 'throttle', operation: '*', step: '*', probability: throttle }], seed);
    // The rate limits count every caller's calls; the soak's own checks come after each phase, on a full bucket.
    emulator.proxy.rateLimits.enabled = fleetMode;
    say(
      fleetMode
        ? `soak: a create-fleet of ${hosts} hosts, then a destroy-fleet, under AWS's request rate limits in virtual time, ` +
            `${(throttle * 100).toFixed(0)}% of AWS calls throttled besides (seed ${seed})`
        : `soak: ${hosts} creates, then ${hosts} destroys, ${(throttle * 100).toFixed(0)}% of AWS calls throttled (seed ${seed})`,
    );
    const throttledBefore = new Map(emulator.proxy.rateLimits.throttled);

    const created = fleetMode
      ? await fleetPhase(engine, emulator.proxy, 'createFleet', { hostnames: names, dnsZone: ZONE, expiresIn: '2h' })
      : await phase(engine, 'create', names);
    const launched = await instances();
    const perName = new Map<string, number>();
    for (const i of launched) {
      const name = i.Tags?.find((t) => t.Key === 'Name')?.Value ?? '';
      perName.set(name, (perName.get(name) ?? 0) + 1);
    }
    const duplicates = [...perName].filter(([, n]) => n > 1).map(([name]) => name);
    const recordsAfterCreate = (await records()).length;
    const leasesAfterCreate = await schedules();

    const destroyed = fleetMode
      ? await fleetPhase(engine, emulator.proxy, 'destroyFleet', { hostnames: names, dnsZone: ZONE })
      : await phase(engine, 'destroy', names);
    const faults = emulator.proxy.faults.list()[0];
    emulator.proxy.faults.clear();
    emulator.proxy.rateLimits.enabled = false;
    const rateLimited = Object.values(throttledSince(emulator.proxy, throttledBefore)).reduce((a, b) => a + b, 0);
    const liveLeft = (await instances()).filter((i) => i.State?.Name !== 'terminated').length;
    const recordsLeft = (await records()).length;
    const leasesLeft = await schedules();
    const calls = [...emulator.proxy.calls].filter(([k]) => !k.includes(' ')).reduce((n, [, c]) => n + c, 0);

    const report = {
      hosts,
      fleet: fleetMode,
      throttleProbability: throttle,
      rateLimited,
      seed,
      awsCalls: calls,
      throttledCalls: faults?.applied ?? 0,
      create: {
        ...created,
        instancesLaunched: launched.length,
        duplicates,
        records: recordsAfterCreate,
        leases: leasesAfterCreate,
      },
      destroy: { ...destroyed, liveInstancesLeft: liveLeft, recordsLeft, leasesLeft },
    };
    const ok =
      created.succeeded === hosts &&
      destroyed.succeeded === hosts &&
      duplicates.length === 0 &&
      launched.length === hosts &&
      recordsAfterCreate === hosts &&
      leasesAfterCreate === hosts &&
      liveLeft === 0 &&
      recordsLeft === 0 &&
      leasesLeft === 0;

    if (values.json) {
      console.log(JSON.stringify({ ok, ...report }, null, 2));
    } else {
      const line = (label: string, value: string | number) => console.log(`  ${label.padEnd(34)} ${value}`);
      console.log('');
      line('AWS calls through the emulator', calls);
      line(
        'throttled by the emulator',
        `${report.throttledCalls} (${((100 * report.throttledCalls) / calls).toFixed(1)}%)`,
      );
      if (fleetMode) line("refused by AWS's rate limits", rateLimited);
      const virtual = (p: Phase) =>
        'simulatedSeconds' in p
          ? `, ${(p as { simulatedSeconds: number }).simulatedSeconds.toFixed(1)} s simulated`
          : '';
      line('creates succeeded', `${created.succeeded}/${hosts} in ${created.seconds.toFixed(1)} s${virtual(created)}`);
      line('create retries (Step Functions)', created.retries);
      line(
        'instances launched',
        `${launched.length} (duplicates: ${duplicates.length ? duplicates.join(', ') : 'none'})`,
      );
      line('records after create', recordsAfterCreate);
      line('lease schedules after create', leasesAfterCreate);
      line(
        'destroys succeeded',
        `${destroyed.succeeded}/${hosts} in ${destroyed.seconds.toFixed(1)} s${virtual(destroyed)}`,
      );
      line('destroy retries (Step Functions)', destroyed.retries);
      line('live instances left', liveLeft);
      line('records left', recordsLeft);
      line('lease schedules left', leasesLeft);
      for (const failure of [...created.failed, ...destroyed.failed]) console.log(`  FAILED ${failure}`);
      console.log(ok ? '\nsoak passed' : '\nsoak FAILED');
    }
    return ok ? 0 : 1;
  } finally {
    await engine?.idle();
    await emulator.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`soak: ${error.message}`);
    process.exit(1);
  },
);
