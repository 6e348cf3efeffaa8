/**
 * `npm run bench`: time to ready and cost per host, measured without an AWS account.
 *
 *   npm run bench -- [--json] [--running 18] [--agent-online 45] [--dns-in-sync 30] [--run-command 2]
 *                    [--agent-after-reboot 40] [--terminated 30] [--lambda-ms 100]
 *                    [--init-runs 10] [--wall-runs 5] [--start-runs 3] [--compare-sdk-bundled]
 *                    [--bundles-only]
 *   npm run bench -- --fleet 50 [--json] [--fleet-concurrency N] [--launches-per-second R] [latency flags]
 *
 * 1. One create and one destroy of the synthesized state machines on the local engine, with AWS's
 *    delays (the reference profile, or the flags) and every Wait in virtual time: simulated
 *    seconds, the lower bound (the critical path with no polling delay), state transitions, Lambda
 *    invocations, GB-seconds and cost at list prices.
 * 2. Each Lambda bundle: its size, and its cold-start initialisation (median of fresh processes),
 *    with the AWS SDK's own share; with --compare-sdk-bundled, the same for each step built with
 *    the SDK inside its bundle instead of taken from the Lambda runtime. --bundles-only measures
 *    this alone, on the synthesized bundles, without the emulator: the check after a change to
 *    lambdas/ (a few seconds, where the whole bench takes minutes).
 * 3. Wall time for one create and one destroy at zero latency on each engine: the local engine and
 *    moto's behind the Step Functions API (the emulator's fast timings) (medians), and the time the
 *    emulator takes to start with the stack deployed (median of --start-runs).
 *
 * With --fleet N: one create-vm alone, then a create-fleet of N hosts and its destroy-fleet, in
 * virtual time under the emulator's rate limits (AWS's defaults): time until every host is ready
 * against one host alone, failed hosts, refused calls, AWS calls, transitions and cost per host.
 *
 * Progress goes to stderr; the table (or, with --json, one JSON object) to stdout. Exit code 0
 * when it ran, 1 when a run failed, 2 on bad flags. Missed targets are reported, not fatal.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_FLEET } from '../lambdas/lib/input';
import {
  type BundleFigures,
  measureBundles,
  measureSdkBundled,
  median,
  type SdkBundledFigures,
} from '../src/bench/bundles';
import { type FleetFigures, simulateFleet } from '../src/bench/fleet';
import {
  type BenchProfile,
  PRICES,
  REFERENCE_PROFILE,
  type RunFigures,
  type SimulatedRun,
  simulate,
} from '../src/bench/measure';
import { readableCause } from '../src/cli/output';
import { startEmulator } from '../src/emulator';
import { ApiEngine } from '../src/emulator/executions';
import { LocalEngine } from '../src/engine/local-engine';
import { synthesize } from '../src/engine/synth';
import { type LambdaBundle, loadDeployment } from '../src/engine/template';

const ZONE = 'bench.internal';

/** The promises the design makes under the reference profile. */
const TARGETS = {
  createWithinLowerBoundSeconds: 5,
  createTransitions: 60,
  destroyTransitions: 25,
  createCostUsd: 0.0015,
  bundleBytes: 100 * 1024,
  bundleInitMs: 100,
  /** What a bundle's own code adds to loading the SDK clients it uses. */
  bundleOwnInitMs: 50,
  /** A fleet's hosts all ready within this many times one host's time, under the rate limits. */
  fleetRatio: 1.3,
  /** A fleet's cost per host, against one create-vm's. */
  fleetCostRatio: 1.1,
};

const FLAGS: Record<keyof BenchProfile, string> = {
  running: 'running',
  agentOnline: 'agent-online',
  dnsInSync: 'dns-in-sync',
  runCommand: 'run-command',
  agentAfterReboot: 'agent-after-reboot',
  terminated: 'terminated',
  lambda: 'lambda-ms',
};

function usage(problem: string): never {
  console.error(`${problem}
usage: npm run bench -- [--json] [--running S] [--agent-online S] [--dns-in-sync S] [--run-command S]
                        [--agent-after-reboot S] [--terminated S] [--lambda-ms MS] [--init-runs N] [--wall-runs N]
                        [--start-runs N] [--compare-sdk-bundled] [--bundles-only]
       npm run bench -- --fleet N [--json] [--fleet-concurrency N] [--launches-per-second R] [latency flags]
Seconds are whole or decimal, from 0; the defaults are the reference profile.`);
  process.exit(2);
}

function parse() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      'init-runs': { type: 'string', default: '10' },
      'wall-runs': { type: 'string', default: '5' },
      'start-runs': { type: 'string', default: '3' },
      'compare-sdk-bundled': { type: 'boolean', default: false },
      'bundles-only': { type: 'boolean', default: false },
      fleet: { type: 'string' },
      'fleet-concurrency': { type: 'string' },
      'launches-per-second': { type: 'string' },
      ...Object.fromEntries(Object.values(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
    },
  });
  const profile = { ...REFERENCE_PROFILE };
  for (const [key, flag] of Object.entries(FLAGS) as Array<[keyof BenchProfile, string]>) {
    const raw = values[flag as keyof typeof values];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) usage(`--${flag} must be a number from 0, got ${raw}`);
    profile[key] = key === 'lambda' ? value / 1000 : value;
  }
  const initRuns = Number(values['init-runs']);
  const wallRuns = Number(values['wall-runs']);
  if (!Number.isInteger(initRuns) || initRuns < 1) usage('--init-runs must be a whole number from 1');
  if (!Number.isInteger(wallRuns) || wallRuns < 1) usage('--wall-runs must be a whole number from 1');
  const fleet = values.fleet === undefined ? undefined : Number(values.fleet);
  if (fleet !== undefined && (!Number.isInteger(fleet) || fleet < 1 || fleet > MAX_FLEET)) {
    usage(`--fleet must be a whole number from 1 to ${MAX_FLEET}, got ${values.fleet}`);
  }
  // The stack's fleet settings (cdk.json context) to bench another design than the deployed one.
  const fleetContext: Record<string, number> = {};
  for (const [flag, key] of [
    ['fleet-concurrency', 'fleetConcurrency'],
    ['launches-per-second', 'fleetLaunchesPerSecond'],
  ] as const) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if (fleet === undefined) usage(`--${flag} goes with --fleet`);
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) usage(`--${flag} must be a number from 0, got ${raw}`);
    fleetContext[key] = value;
  }
  const startRuns = Number(values['start-runs']);
  if (!Number.isInteger(startRuns) || startRuns < 1) usage('--start-runs must be a whole number from 1');
  return {
    json: Boolean(values.json),
    profile,
    initRuns,
    wallRuns,
    startRuns,
    compareSdkBundled: Boolean(values['compare-sdk-bundled']),
    bundlesOnly: Boolean(values['bundles-only']),
    fleet,
    fleetContext,
  };
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

function failed(run: SimulatedRun | { result: SimulatedRun['result'] }, what: string): never {
  const { result } = run;
  if (result.status === 'FAILED') console.error(`${what} failed: ${result.error}: ${readableCause(result.cause)}`);
  process.exit(1);
}

/** The step bundles of the synthesized stack, one each, by step name. */
function stepBundles(templatePath: string): LambdaBundle[] {
  const unique = new Map<string, LambdaBundle>();
  for (const tasks of Object.values(loadDeployment(templatePath).tasks)) {
    for (const target of tasks.values()) if ('file' in target) unique.set(target.file, target);
  }
  return [...unique.values()].sort((a, b) => a.step.localeCompare(b.step));
}

/** `--bundles-only`: sizes and cold starts of the synthesized bundles, and their targets. */
function benchBundles(json: boolean, templatePath: string, initRuns: number, compareSdkBundled: boolean): void {
  const sorted = stepBundles(templatePath);
  const bundles = measureBundles(sorted, initRuns, (bundle) =>
    progress(`cold start of ${bundle.step}: ${initRuns} fresh processes…`),
  );
  const sdkBundled = compareSdkBundled
    ? measureSdkBundled(sorted, initRuns, (b) => progress(`${b.step} with the SDK bundled in…`))
    : undefined;
  const report = { bundles: roundBundles(bundles), sdkBundled, targets: bundleTargets(bundles) };
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(
    [
      ...bundleTable(report.bundles, sdkBundled),
      '',
      '| target | measured | met |',
      '|---|---|---|',
      ...report.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : 'NO'} |`),
    ].join('\n'),
  );
}

/** `--fleet N`: a create-fleet of N hosts against one create-vm, under AWS's rate limits. */
async function benchFleet(
  json: boolean,
  hosts: number,
  profile: BenchProfile,
  templatePath: string,
  stack: { outdir: string; stackName: string },
  started: number,
  fleetContext: Record<string, number>,
): Promise<void> {
  progress('starting the emulator with the stack deployed, rate limits on…');
  const emulator = await startEmulator({ zones: [ZONE], stack, rateLimits: true });
  let figures: FleetFigures;
  try {
    const engine = new LocalEngine({ endpoint: emulator.url, templatePath });
    ({ figures } = await simulateFleet(engine, emulator.proxy, hosts, ZONE, profile, progress));
    await engine.idle();
  } finally {
    await emulator.stop();
  }
  const targets = fleetTargets(figures);
  const report = {
    profile: { ...profile, lambda: undefined, lambdaMs: profile.lambda * 1000 },
    context: fleetContext,
    fleet: roundFleet(figures),
    targets,
    benchSeconds: round((Date.now() - started) / 1000, 1),
  };
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const f = report.fleet;
  console.log(
    [
      `create-fleet of ${f.hosts} hosts under AWS's default request rate limits (virtual time)`,
      '',
      '| | every host ready | transitions per host | AWS calls per host | cost per host |',
      '|---|---|---|---|---|',
      `| one create-vm alone | ${f.singleHostSeconds} s | ${f.singleHostTransitions} | ${f.singleHostApiCalls} | $${f.singleHostCostUsd} |`,
      `| create-fleet, ${f.hosts} hosts | ${f.simulatedSeconds} s (${f.ratio}×) | ${f.transitionsPerHost} | ${f.apiCallsPerHost} | $${f.costUsdPerHost} |`,
      '',
      `last RunInstances at ${f.lastLaunchSeconds} s; failed hosts ${f.failed} (by throttling ${f.failedByThrottling}); ` +
        `throttled calls ${f.throttled}${
          f.throttled
            ? ` (${Object.entries(f.throttledByOperation)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')})`
            : ''
        }`,
      `destroy-fleet: ${f.destroySeconds} s`,
      '',
      '| target | measured | met |',
      '|---|---|---|',
      ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : 'NO'} |`),
      '',
      `bench took ${report.benchSeconds} s`,
    ].join('\n'),
  );
}

function roundFleet(f: FleetFigures): FleetFigures {
  return {
    ...f,
    simulatedSeconds: round(f.simulatedSeconds, 1),
    singleHostSeconds: round(f.singleHostSeconds, 1),
    ratio: round(f.ratio, 3),
    apiCallsPerHost: round(f.apiCallsPerHost, 2),
    transitionsPerHost: round(f.transitionsPerHost, 2),
    costUsdPerHost: round(f.costUsdPerHost, 7),
    singleHostCostUsd: round(f.singleHostCostUsd, 7),
    lastLaunchSeconds: round(f.lastLaunchSeconds, 1),
    destroySeconds: round(f.destroySeconds, 1),
  };
}

function fleetTargets(f: FleetFigures) {
  const costRatio = f.costUsdPerHost / f.singleHostCostUsd;
  return [
    {
      target: `every host ready within ${TARGETS.fleetRatio} × one host's time`,
      measured: `${f.simulatedSeconds.toFixed(1)} s against ${f.singleHostSeconds.toFixed(1)} s: ${f.ratio.toFixed(3)} ×`,
      met: f.ratio <= TARGETS.fleetRatio,
    },
    {
      target: 'no host failed',
      measured: `${f.failed} failed, ${f.failedByThrottling} of them by throttling`,
      met: f.failed === 0,
    },
    {
      target: `cost per host within ${Math.round((TARGETS.fleetCostRatio - 1) * 100)}% of one create-vm`,
      measured: `$${f.costUsdPerHost.toFixed(7)} against $${f.singleHostCostUsd.toFixed(7)}: ${((costRatio - 1) * 100).toFixed(1)}%`,
      met: costRatio <= TARGETS.fleetCostRatio,
    },
  ];
}

async function main(): Promise<void> {
  const { json, profile, initRuns, wallRuns, startRuns, compareSdkBundled, bundlesOnly, fleet, fleetContext } = parse();
  const started = Date.now();
  progress('synthesizing the app…');
  // Another design than cdk.json's is synthesized elsewhere, leaving cdk.out as the CLI made it.
  const other = Object.keys(fleetContext).length > 0;
  const { templatePath, outdir } = synthesize(
    // Inside the project, so that the bundles find its node_modules (the AWS SDK).
    other ? { context: fleetContext, outdir: path.resolve(__dirname, '..', 'cdk.out', 'bench') } : {},
  );
  if (bundlesOnly) return benchBundles(json, templatePath, initRuns, compareSdkBundled);
  const stack = { outdir, stackName: path.basename(templatePath, '.template.json') };
  if (fleet !== undefined) return benchFleet(json, fleet, profile, templatePath, stack, started, fleetContext);
  const starts: number[] = [];
  for (let i = 2; i <= startRuns; i++) {
    progress(`starting the emulator with the stack deployed ${i - 1}/${startRuns}…`);
    const t0 = performance.now();
    const e = await startEmulator({ zones: [ZONE], stack });
    starts.push(performance.now() - t0);
    await e.stop();
  }
  progress(`starting the emulator with the stack deployed ${startRuns}/${startRuns}…`);
  const t0 = performance.now();
  const emulator = await startEmulator({ zones: [ZONE], stack });
  starts.push(performance.now() - t0);
  let simulated: { create: SimulatedRun; destroy: SimulatedRun };
  const wall: { create: number[]; destroy: number[] } = { create: [], destroy: [] };
  const apiWall: { create: number[]; destroy: number[] } = { create: [], destroy: [] };
  try {
    const engine = new LocalEngine({ endpoint: emulator.url, templatePath });
    progress('simulating one create and one destroy under the profile…');
    const input = { hostname: 'bench', dnsZone: ZONE };
    const create = await simulate(engine, emulator.proxy, 'create', input, profile);
    if (create.result.status !== 'SUCCEEDED') failed(create, 'the simulated create');
    const destroy = await simulate(engine, emulator.proxy, 'destroy', input, profile);
    if (destroy.result.status !== 'SUCCEEDED') failed(destroy, 'the simulated destroy');
    simulated = { create, destroy };

    for (let i = 1; i <= wallRuns; i++) {
      progress(`local engine at zero latency: create and destroy ${i}/${wallRuns}…`);
      const hostInput = { hostname: `wall${i}`, dnsZone: ZONE };
      for (const workflow of ['create', 'destroy'] as const) {
        const t0 = performance.now();
        const result = await engine.run(workflow, hostInput);
        wall[workflow].push(performance.now() - t0);
        if (result.status !== 'SUCCEEDED') failed({ result }, `the zero-latency ${workflow}`);
      }
    }
    const api = new ApiEngine(emulator.url, () => emulator.proxy.stack, 50);
    for (let i = 1; i <= wallRuns; i++) {
      progress(`moto's engine through the Step Functions API: create and destroy ${i}/${wallRuns}…`);
      const hostInput = { hostname: `api${i}`, dnsZone: ZONE };
      for (const workflow of ['create', 'destroy'] as const) {
        const t0 = performance.now();
        const result = await api.run(workflow, hostInput);
        apiWall[workflow].push(performance.now() - t0);
        if (result.status !== 'SUCCEEDED') failed({ result }, `the ${workflow} through the API`);
      }
    }
  } finally {
    await emulator.stop();
  }

  const sorted = stepBundles(templatePath);
  const bundles = measureBundles(sorted, initRuns, (bundle) =>
    progress(`cold start of ${bundle.step}: ${initRuns} fresh processes…`),
  );
  const sdkBundled = compareSdkBundled
    ? measureSdkBundled(sorted, initRuns, (bundle) =>
        progress(`${bundle.step} with the SDK bundled in: build, ${initRuns} fresh processes…`),
      )
    : undefined;

  const figures = (run: SimulatedRun): RunFigures & { ratio: number } => ({
    simulatedSeconds: round(run.simulatedSeconds, 1),
    lowerBoundSeconds: round(run.lowerBoundSeconds, 1),
    ratio: round(run.simulatedSeconds / run.lowerBoundSeconds, 3),
    stateTransitions: run.stateTransitions,
    lambdaInvocations: run.lambdaInvocations,
    gbSeconds: round(run.gbSeconds, 4),
    costUsd: round(run.costUsd, 7),
  });
  const report = {
    profile: { ...profile, lambda: undefined, lambdaMs: profile.lambda * 1000 },
    create: figures(simulated.create),
    destroy: figures(simulated.destroy),
    bundles: roundBundles(bundles),
    sdkBundled: sdkBundled?.map((b) => ({ ...b, initMs: round(b.initMs, 1) })),
    localWallMs: { create: Math.round(median(wall.create)), destroy: Math.round(median(wall.destroy)) },
    apiWallMs: { create: Math.round(median(apiWall.create)), destroy: Math.round(median(apiWall.destroy)) },
    emulatorStartMs: Math.round(median(starts)),
    targets: targetsOf(simulated.create, simulated.destroy, bundles),
    benchSeconds: round((Date.now() - started) / 1000, 1),
  };
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(table(report, simulated.create));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function roundBundles(bundles: BundleFigures[]) {
  return bundles.map((b) => ({
    ...b,
    initMs: round(b.initMs, 1),
    sdkInitMs: round(b.sdkInitMs, 1),
    ownInitMs: round(b.ownInitMs, 1),
  }));
}

function bundleTargets(bundles: BundleFigures[]) {
  const biggest = bundles.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const slowest = bundles.reduce((a, b) => (b.initMs > a.initMs ? b : a));
  const slowestOwn = bundles.reduce((a, b) => (b.ownInitMs > a.ownInitMs ? b : a));
  const ownCode = median(bundles.map((b) => b.ownInitMs));
  return [
    {
      target: `every bundle at most ${TARGETS.bundleBytes / 1024} KB`,
      measured: `largest ${biggest.name} ${(biggest.bytes / 1024).toFixed(1)} KB`,
      met: biggest.bytes <= TARGETS.bundleBytes,
    },
    {
      target: `every bundle initialised in at most ${TARGETS.bundleInitMs} ms`,
      measured: `slowest ${slowest.name} ${slowest.initMs.toFixed(1)} ms (the AWS SDK alone ${slowest.sdkInitMs.toFixed(1)} ms)`,
      met: slowest.initMs <= TARGETS.bundleInitMs,
    },
    {
      target: `every bundle's own code initialised in at most ${TARGETS.bundleOwnInitMs} ms`,
      measured: `slowest ${slowestOwn.name} ${slowestOwn.ownInitMs.toFixed(1)} ms; median ${ownCode.toFixed(1)} ms`,
      met: slowestOwn.ownInitMs <= TARGETS.bundleOwnInitMs,
    },
  ];
}

function targetsOf(create: SimulatedRun, destroy: SimulatedRun, bundles: BundleFigures[]) {
  const gap = create.simulatedSeconds - create.lowerBoundSeconds;
  return [
    {
      target: `create within ${TARGETS.createWithinLowerBoundSeconds} s of the lower bound`,
      measured: `${gap.toFixed(1)} s over`,
      met: gap <= TARGETS.createWithinLowerBoundSeconds,
    },
    {
      target: `at most ${TARGETS.createTransitions} state transitions per create`,
      measured: String(create.stateTransitions),
      met: create.stateTransitions <= TARGETS.createTransitions,
    },
    {
      target: `at most ${TARGETS.destroyTransitions} state transitions per destroy`,
      measured: String(destroy.stateTransitions),
      met: destroy.stateTransitions <= TARGETS.destroyTransitions,
    },
    {
      target: `at most $${TARGETS.createCostUsd} per create`,
      measured: `$${create.costUsd.toFixed(6)}`,
      met: create.costUsd <= TARGETS.createCostUsd,
    },
    ...bundleTargets(bundles),
  ];
}

function bundleTable(bundles: BundleFigures[], sdkBundled?: SdkBundledFigures[]): string[] {
  const alt = new Map((sdkBundled ?? []).map((b) => [b.name, b]));
  const altHead = alt.size ? ' SDK bundled in: size | its init |' : '';
  const lines = [
    `| bundle | size | cold-start init (median) | of which the AWS SDK alone | own code | SDK clients |${altHead}`,
    `|---|---|---|---|---|---|${alt.size ? '---|---|' : ''}`,
  ];
  for (const b of bundles) {
    const sdk = b.sdk.map((m) => m.replace('@aws-sdk/client-', '')).join(', ') || 'none';
    const other = alt.get(b.name);
    const altCells = other ? ` ${(other.bytes / 1024).toFixed(1)} KB | ${other.initMs.toFixed(1)} ms |` : '';
    lines.push(
      `| ${b.name} | ${(b.bytes / 1024).toFixed(1)} KB | ${b.initMs.toFixed(1)} ms | ${b.sdkInitMs.toFixed(1)} ms | ` +
        `${b.ownInitMs.toFixed(1)} ms | ${sdk} |${altCells}`,
    );
  }
  return lines;
}

function table(
  report: {
    profile: Record<string, unknown>;
    create: RunFigures & { ratio: number };
    destroy: RunFigures & { ratio: number };
    bundles: BundleFigures[];
    sdkBundled?: SdkBundledFigures[];
    localWallMs: { create: number; destroy: number };
    apiWallMs: { create: number; destroy: number };
    emulatorStartMs: number;
    targets: Array<{ target: string; measured: string; met: boolean }>;
    benchSeconds: number;
  },
  create: SimulatedRun,
): string {
  const p = report.profile;
  const lines = [
    `profile: running ${p.running} s, agent Online ${p.agentOnline} s, DNS INSYNC ${p.dnsInSync} s, ` +
      `Run Command ${p.runCommand} s, agent back after reboot ${p.agentAfterReboot} s, terminated ${p.terminated} s, ` +
      `Lambda ${p.lambdaMs} ms`,
    `prices: $${PRICES.transition * 1000} per 1,000 transitions, $${PRICES.request * 1e6} per million requests, ` +
      `$${PRICES.gbSecond} per GB-s (arm64)`,
    '',
    '| | simulated | lower bound | ratio | transitions | Lambda invocations | GB-s | cost |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const name of ['create', 'destroy'] as const) {
    const r = report[name];
    lines.push(
      `| ${name} | ${r.simulatedSeconds.toFixed(1)} s | ${r.lowerBoundSeconds.toFixed(1)} s | ${r.ratio.toFixed(3)} | ` +
        `${r.stateTransitions} | ${r.lambdaInvocations} | ${r.gbSeconds.toFixed(3)} | $${r.costUsd.toFixed(6)} |`,
    );
  }
  lines.push('', 'create, state by state (virtual seconds):', '');
  for (const e of [...create.timeline].sort((a, b) => a.start - b.start)) {
    const branch = e.thread.includes('HostAndDns[1]') ? '  (DNS branch)' : '';
    lines.push(
      `  ${e.start.toFixed(1).padStart(6)}  ${e.state.padEnd(32)} ${e.seconds.toFixed(1).padStart(5)} s${branch}`,
    );
  }
  lines.push('', ...bundleTable(report.bundles, report.sdkBundled));
  lines.push(
    '',
    `local engine, zero latency (median): create ${report.localWallMs.create} ms, destroy ${report.localWallMs.destroy} ms`,
    `moto's engine via the Step Functions API, fast timings (median): create ${report.apiWallMs.create} ms, destroy ${report.apiWallMs.destroy} ms`,
    `emulator start with the stack deployed (median): ${report.emulatorStartMs} ms`,
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...report.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : 'NO'} |`),
    '',
    `bench took ${report.benchSeconds} s`,
  );
  return lines.join('\n');
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
