/**
 * What the commands do once their arguments are parsed and checked (program.ts): create and
 * destroy, locally or on the deployed stack (or the emulator's copy of it), the emulator and the
 * demo; the deployed stack's other commands are in deployed/.
 */
import { LIVE_STATES } from '../../lambdas/lib/contract';
import { STACK_ID } from '../../lib/stack-id';
import type { Emulator } from '../emulator';
import { clientConfig } from '../emulator/account';
import { containersUnavailable } from '../emulator/container-guests';
import { freePort, startMoto } from '../emulator/moto';
import type { LoadedStack } from '../emulator/proxy';
import type { ExecutionResult, LocalEngine, Workflow } from '../engine/local-engine';
import { synthesize, synthIsCurrent } from '../engine/synth';
import { executionName } from '../engine/types';
import { fleetFailures, type Io, MACHINE } from './io';
import { failureLine, header, stepLine } from './output';
import {
  CLI_NAME,
  type DemoOptions,
  type EmulatorOptions,
  type GuestMode,
  type Handlers,
  type RunOptions,
} from './program';

/*
 * Everything that loads the AWS SDK, the emulator or the engine is loaded on first use: the SDK
 * alone takes seconds to load, and a local command starts moto_server before it, so that moto
 * loads its own code meanwhile, on the other core. `require`, as in main.ts, for tsx's CommonJS hook.
 */
function emulatorModule(): typeof import('../emulator') {
  return require('../emulator') as typeof import('../emulator');
}

function localEngineModule(): typeof import('../engine/local-engine') {
  return require('../engine/local-engine') as typeof import('../engine/local-engine');
}

function awsModule(): typeof import('./deployed/aws') {
  return require('./deployed/aws') as typeof import('./deployed/aws');
}

function deployedModule(): typeof import('./deployed/commands') {
  return require('./deployed/commands') as typeof import('./deployed/commands');
}

/**
 * Runs `fn` with the local engine on `endpoint`, or on an emulator of its own started for it and
 * stopped after it. moto_server takes seconds to start: it is spawned first, and the engine (with a
 * synth, when the sources changed) is made while it starts.
 */
async function withLocalEngine<T>(
  endpoint: string | undefined,
  zones: string[],
  guests: GuestMode,
  verbose: boolean,
  io: Io,
  quiet: boolean,
  fn: (engine: LocalEngine, url: string) => Promise<T>,
): Promise<T> {
  if (endpoint) {
    // With real guests a poll's wait is a real second: they boot and reboot in seconds, not at once.
    const waitMs = (await guestsOf(endpoint)) === 'container' ? 1000 : 0;
    return fn(engineFor(endpoint, verbose, waitMs, io, quiet), endpoint);
  }
  if (guests === 'container') refuseWithoutContainers();
  if (!quiet) {
    io.err(
      `starting the local emulator (moto_server behind the instance-lifecycle proxy${guests === 'container' ? ', real guests' : ''})...`,
    );
  }
  // moto's Step Functions engine calls back on the proxy's port, so that port is chosen first.
  const port = await freePort();
  const moto = startMoto({ callbackPort: port, port: await freePort(), timings: 'fast' });
  moto.catch(() => undefined);
  let engine: LocalEngine;
  let emulator: Emulator;
  try {
    engine = engineFor(`http://127.0.0.1:${port}`, verbose, guests === 'container' ? 1000 : 0, io, quiet);
    emulator = await emulatorModule().startEmulator({ port, moto, zones, guests, progress: (line) => io.err(line) });
  } catch (error) {
    await moto.then((m) => m.stop()).catch(() => undefined);
    throw error;
  }
  try {
    return await fn(engine, emulator.url);
  } finally {
    await emulator.stop();
  }
}

/** Real guests cannot run here: one line why. */
function refuseWithoutContainers(): void {
  const why = containersUnavailable();
  if (why) throw new (awsModule().RemoteError)(`--guests container: ${why}`);
}

/** The emulator's guests: simulated ones answer at once, real ones take seconds to boot and reboot. */
async function guestsOf(endpoint: string): Promise<GuestMode> {
  try {
    const health = (await (await fetch(`${endpoint}/_emulator/health`)).json()) as { guests?: GuestMode };
    return health.guests ?? 'simulated';
  } catch {
    return 'simulated';
  }
}

function engineFor(endpoint: string, verbose: boolean, waitMs: number, io: Io, quiet: boolean): LocalEngine {
  if (!quiet && !synthIsCurrent()) io.err('synthesizing the app into cdk.out (the sources changed)...');
  const { LocalEngine } = localEngineModule();
  return new LocalEngine({ endpoint, verbose, waitMs, templatePath: synthesize().templatePath });
}

/** The signal that stopped the last execution, for the exit code a shell expects (128 + its number). */
let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined;

function abortedCode(): number {
  return stoppedBy === 'SIGTERM' ? 143 : 130;
}

async function runWorkflow(
  engine: LocalEngine,
  workflow: Workflow,
  input: Record<string, unknown>,
  io: Io,
  json: boolean,
): Promise<ExecutionResult> {
  if (!json) io.out(header(`${MACHINE[workflow]} ${JSON.stringify(input)}`));
  const execution = engine.start(workflow, input, { onStep: json ? undefined : (event) => io.out(stepLine(event)) });
  // Ctrl-C (or a SIGTERM from a CI runner or a supervisor) stops the execution (StopExecution),
  // the clean-up removes what it had made, and the emulator, with any guests, stops after it.
  const interrupt = () => {
    stoppedBy = 'SIGINT';
    execution.stop('Interrupted', 'stopped with Ctrl-C');
  };
  const terminate = () => {
    stoppedBy = 'SIGTERM';
    execution.stop('Interrupted', 'stopped with SIGTERM');
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', terminate);
  let result: ExecutionResult;
  try {
    result = await execution.result;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', terminate);
  }
  if (result.status === 'SUCCEEDED') io.out(JSON.stringify(result.output, null, json ? 0 : 2));
  else io.err(failureLine(MACHINE[workflow], result));
  await engine.idle();
  for (const line of cleanUpLines(engine)) io.err(line);
  return result;
}

/** What the clean-up removed after an execution (or a fleet's hosts) that ended without their roll-back. */
function cleanUpLines(engine: LocalEngine): string[] {
  return engine.events
    .filter(
      (e) => e.detail.stateMachineArn === engine.deployment.machineArns.cleanUp && e.detail.status === 'SUCCEEDED',
    )
    .map(
      (e) =>
        JSON.parse(e.detail.output ?? '{}') as {
          executionId: string;
          terminated: string[];
          removedRecord?: { name: string };
        },
    )
    .filter((o) => o.terminated.length > 0 || o.removedRecord)
    .map(
      (o) =>
        `clean-up after ${o.executionId.slice(o.executionId.lastIndexOf(':') + 1)}: terminated ${o.terminated.join(', ') || 'nothing'}${o.removedRecord ? `, removed ${o.removedRecord.name}` : ''}`,
    );
}

/**
 * create and destroy differ only in their flags and input (checked already); the run is the same.
 */
async function workflowCommand(
  action: 'create' | 'destroy',
  v: RunOptions,
  input: Record<string, unknown>,
  io: Io,
): Promise<number> {
  const workflow: Workflow = 'hostnames' in input ? (action === 'create' ? 'createFleet' : 'destroyFleet') : action;
  if (!v.local) {
    const { clientsFor, followExecution } = deployedModule();
    const { machineOf } = require('./deployed/stack') as typeof import('./deployed/stack');
    const { startExecution } = require('./deployed/executions') as typeof import('./deployed/executions');
    const aws = clientsFor(v);
    const stackName = v.stackName ?? awsModule().DEFAULT_STACK_NAME;
    const stateMachineArn = v.stateMachineArn ?? (await machineOf(aws, stackName, workflow));
    const executionArn = await startExecution(aws, stateMachineArn, executionName(workflow, input), input);
    if (!v.wait) {
      io.out(executionArn);
      return 0;
    }
    return followExecution(aws, executionArn, io, !!v.json);
  }
  const zones = typeof input.dnsZone === 'string' && input.dnsZone ? [input.dnsZone] : [];
  return withLocalEngine(v.endpoint, zones, v.guests ?? 'simulated', !!v.verbose, io, !!v.json, async (engine) => {
    const result = await runWorkflow(engine, workflow, input, io, !!v.json);
    if (result.status === 'ABORTED') return abortedCode();
    if (result.status !== 'SUCCEEDED') return 1;
    const failed = fleetFailures(result.output);
    if (failed > 0) io.err(`${MACHINE[workflow]}: ${failed} host(s) failed and were rolled back; the others are done`);
    return failed > 0 ? 1 : 0;
  });
}

async function emulatorCommand(v: EmulatorOptions, io: Io): Promise<number> {
  const { port, guests, timings } = v;
  const zones = v.zone ?? ['example.internal'];
  if (guests === 'container') refuseWithoutContainers();
  let stack: LoadedStack | undefined;
  if (v.stack) {
    if (!synthIsCurrent()) io.err('synthesizing the stack into cdk.out (the sources changed)...');
    stack = { outdir: synthesize().outdir, stackName: STACK_ID };
  }
  const started = Date.now();
  const emulator = await emulatorModule().startEmulator({
    port,
    zones,
    guests,
    timings,
    stack,
    rateLimits: v.rateLimits,
    progress: (line) => io.err(line),
  });
  const url = emulator.url;
  io.out(`AWS_ENDPOINT_URL=${url}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  io.err(`emulator ready in ${seconds} s: zones ${zones.join(', ')}${guests === 'container' ? ', real guests' : ''}`);
  if (v.rateLimits)
    io.err("  rate limits: AWS's (GET /_emulator/rate-limits lists them; /_emulator/state counts throttled calls)");
  io.err(
    timings === 'fast'
      ? "  timings: fast (Waits 0 s, retries at once; --timings deployed keeps the template's)"
      : "  timings: deployed (the template's Waits and retry intervals, in real time)",
  );
  if (stack) {
    io.err(`  stack ${stack.stackName} deployed: its state machines run on the Step Functions API`);
    io.err(`  ${CLI_NAME} create --hostname web1 --zone ${zones[0]} --endpoint ${url}`);
    io.err(`  ${CLI_NAME} create --hostname web1 --zone ${zones[0]} --local --endpoint ${url}   (the local engine)`);
    io.err(`  aws --endpoint-url ${url} cloudformation describe-stacks --stack-name ${stack.stackName}`);
  } else {
    io.err('  no stack deployed: npm run deploy:local -- --endpoint ' + url);
    io.err(`  ${CLI_NAME} create --hostname web1 --zone ${zones[0]} --local --endpoint ${url}   (the local engine)`);
  }
  io.err('Ctrl-C to stop');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.stop();
  return 0;
}

/** What the emulator still holds for the host: live instances carrying its name and its record. */
export async function leftovers(endpoint: string, hostname: string, zone: string) {
  const { DescribeInstancesCommand, EC2Client } =
    require('@aws-sdk/client-ec2') as typeof import('@aws-sdk/client-ec2');
  const { ListResourceRecordSetsCommand, Route53Client } =
    require('@aws-sdk/client-route-53') as typeof import('@aws-sdk/client-route-53');
  const { ensureZone } = require('../emulator/seed') as typeof import('../emulator/seed');
  const fqdn = `${hostname}.${zone}`;
  const ec2 = new EC2Client(clientConfig(endpoint));
  const out = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:Name', Values: [hostname] },
        { Name: 'instance-state-name', Values: LIVE_STATES },
      ],
    }),
  );
  const instances = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId ?? '');
  const zoneId = await ensureZone(endpoint, zone);
  const records = await new Route53Client(clientConfig(endpoint)).send(
    new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: fqdn, MaxItems: 5 }),
  );
  const record = (records.ResourceRecordSets ?? []).find((r) => r.Name === `${fqdn}.`);
  return { instances, record: record ? `${record.Type} ${record.ResourceRecords?.[0]?.Value}` : undefined };
}

async function demoCommand(v: DemoOptions, io: Io): Promise<number> {
  const { hostname, zone } = v;
  return withLocalEngine(undefined, [zone], v.guests, !!v.verbose, io, false, async (engine, url) => {
    const created = await runWorkflow(engine, 'create', { hostname, dnsZone: zone, pollIntervalSeconds: 0 }, io, false);
    if (created.status === 'ABORTED') return abortedCode();
    if (created.status !== 'SUCCEEDED') return 1;
    io.out('');
    const destroyed = await runWorkflow(
      engine,
      'destroy',
      { hostname, dnsZone: zone, pollIntervalSeconds: 0 },
      io,
      false,
    );
    if (destroyed.status === 'ABORTED') return abortedCode();
    if (destroyed.status !== 'SUCCEEDED') return 1;
    const left = await leftovers(url, hostname, zone);
    io.out('');
    io.out(
      `emulator after destroy: ${left.instances.length} live instance(s) named ${hostname}, ` +
        `${left.record ? `record ${left.record}` : 'no record'} for ${hostname}.${zone}`,
    );
    return left.instances.length === 0 && !left.record ? 0 : 1;
  });
}

export const handlers: Handlers = {
  create: (options, input, io) => workflowCommand('create', options, input, io),
  destroy: (options, input, io) => workflowCommand('destroy', options, input, io),
  status: (...args) => deployedModule().statusCommand(...args),
  list: (...args) => deployedModule().listCommand(...args),
  logs: (...args) => deployedModule().logsCommand(...args),
  defaults: (...args) => (require('./defaults') as typeof import('./defaults')).defaultsCommand(...args),
  hosts: (...args) => (require('./deployed/hosts') as typeof import('./deployed/hosts')).hostsCommand(...args),
  extend: (...args) => (require('./extend') as typeof import('./extend')).extendCommand(...args),
  emulator: emulatorCommand,
  demo: demoCommand,
};
