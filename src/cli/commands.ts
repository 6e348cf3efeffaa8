/**
 * What the commands do once their arguments are parsed and checked (program.ts): create and
 * destroy, locally or on the deployed stack (or the emulator's copy of it), the emulator and the
 * demo; the deployed stack's other commands are in deployed/.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { LIVE_STATES } from '../../lambdas/lib/contract';
import { STACK_ID } from '../../lib/stack-id';
import { type Emulator, startEmulator } from '../emulator';
import { clientConfig } from '../emulator/account';
import { containersUnavailable } from '../emulator/container-guests';
import type { LoadedStack } from '../emulator/proxy';
import { ensureZone } from '../emulator/seed';
import { type ExecutionResult, LocalEngine, type Workflow } from '../engine/local-engine';
import { synthesize, synthIsCurrent } from '../engine/synth';
import { executionName } from '../engine/types';
import { defaultsCommand } from './defaults';
import { DEFAULT_STACK_NAME, RemoteError } from './deployed/aws';
import { clientsFor, followExecution, listCommand, logsCommand, statusCommand } from './deployed/commands';
import { startExecution } from './deployed/executions';
import { hostsCommand } from './deployed/hosts';
import { machineOf } from './deployed/stack';
import { extendCommand } from './extend';
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

async function withEmulator<T>(
  endpoint: string | undefined,
  zones: string[],
  guests: GuestMode,
  io: Io,
  quiet: boolean,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  if (endpoint) return fn(endpoint);
  if (guests === 'container') refuseWithoutContainers();
  if (!quiet) {
    io.err(
      `starting the local emulator (moto_server behind the instance-lifecycle proxy${guests === 'container' ? ', real guests' : ''})...`,
    );
  }
  const emulator: Emulator = await startEmulator({ zones, guests, progress: (line) => io.err(line) });
  try {
    return await fn(emulator.url);
  } finally {
    await emulator.stop();
  }
}

/** Real guests cannot run here: one line why. */
function refuseWithoutContainers(): void {
  const why = containersUnavailable();
  if (why) throw new RemoteError(`--guests container: ${why}`);
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

async function engineFor(endpoint: string, verbose: boolean, io: Io, quiet: boolean): Promise<LocalEngine> {
  if (!quiet && !synthIsCurrent()) io.err('synthesizing the app into cdk.out (the sources changed)...');
  // With real guests a poll's wait is a real second: they boot and reboot in seconds, not at once.
  const waitMs = (await guestsOf(endpoint)) === 'container' ? 1000 : 0;
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
    const aws = clientsFor(v);
    const stateMachineArn = v.stateMachineArn ?? (await machineOf(aws, v.stackName ?? DEFAULT_STACK_NAME, workflow));
    const executionArn = await startExecution(aws, stateMachineArn, executionName(workflow, input), input);
    if (!v.wait) {
      io.out(executionArn);
      return 0;
    }
    return followExecution(aws, executionArn, io, !!v.json);
  }
  const zones = typeof input.dnsZone === 'string' && input.dnsZone ? [input.dnsZone] : [];
  return withEmulator(v.endpoint, zones, v.guests ?? 'simulated', io, !!v.json, async (url) => {
    const engine = await engineFor(url, !!v.verbose, io, !!v.json);
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
  const emulator = await startEmulator({
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
  return withEmulator(undefined, [zone], v.guests, io, false, async (url) => {
    const engine = await engineFor(url, !!v.verbose, io, false);
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
  status: statusCommand,
  list: listCommand,
  logs: logsCommand,
  defaults: defaultsCommand,
  hosts: hostsCommand,
  extend: extendCommand,
  emulator: emulatorCommand,
  demo: demoCommand,
};
