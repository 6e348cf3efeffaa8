/**
 * `lifecycle`: create and destroy hosts with the instance-lifecycle state machines, locally or on
 * the deployed stack (or the emulator's copy of it); the deployed stack's commands are in deployed/.
 * Exit codes: 0 success, 1 the execution failed, 2 bad usage, 130 stopped following.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { STACK_ID } from '../../lib/stack-id';
import { type Emulator, startEmulator } from '../emulator';
import { clientConfig } from '../emulator/account';
import { containersUnavailable } from '../emulator/container-guests';
import type { LoadedStack } from '../emulator/proxy';
import { ensureZone } from '../emulator/seed';
import { type ExecutionResult, LocalEngine, type Workflow } from '../engine/local-engine';
import { synthesize, synthIsCurrent } from '../engine/synth';
import { executionName } from '../engine/types';
import {
  CREATE_OPTIONS,
  createInput,
  DEMO_OPTIONS,
  DESTROY_OPTIONS,
  destroyInput,
  EMULATOR_OPTIONS,
  type GuestMode,
  guestMode,
  parse,
  timingsOf,
  UsageError,
} from './args';
import { defaultsCommand } from './defaults';
import { DEFAULT_STACK_NAME, explain, RemoteError } from './deployed/aws';
import { clientsFor, followExecution, listCommand, logsCommand, statusCommand } from './deployed/commands';
import { startExecution } from './deployed/executions';
import { machineOf } from './deployed/stack';
import { COMMAND_HELP, HELP } from './help';
import { fleetFailures, help, type Io, MACHINE, stdio } from './io';
import { failureLine, header, stepLine } from './output';

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

async function runWorkflow(
  engine: LocalEngine,
  workflow: Workflow,
  input: Record<string, unknown>,
  io: Io,
  json: boolean,
): Promise<ExecutionResult> {
  if (!json) io.out(header(`${MACHINE[workflow]} ${JSON.stringify(input)}`));
  const execution = engine.start(workflow, input, { onStep: json ? undefined : (event) => io.out(stepLine(event)) });
  // Ctrl-C stops the execution (StopExecution), and the clean-up removes what it had made.
  const interrupt = () => execution.stop('Interrupted', 'stopped with Ctrl-C');
  process.once('SIGINT', interrupt);
  let result: ExecutionResult;
  try {
    result = await execution.result;
  } finally {
    process.off('SIGINT', interrupt);
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

/** create and destroy differ only in their flags, help and input; the run is the same. */
async function workflowCommand(action: 'create' | 'destroy', argv: string[], io: Io): Promise<number> {
  const v = action === 'create' ? parse(argv, CREATE_OPTIONS) : parse(argv, DESTROY_OPTIONS);
  if (v.help) return help(io, COMMAND_HELP[action]);
  const input =
    action === 'create'
      ? createInput(v as ReturnType<typeof parse<typeof CREATE_OPTIONS>>)
      : destroyInput(v as ReturnType<typeof parse<typeof DESTROY_OPTIONS>>);
  const workflow: Workflow = 'hostnames' in input ? (action === 'create' ? 'createFleet' : 'destroyFleet') : action;
  if (!v.local) {
    if (v.verbose || v.guests) throw new UsageError('--verbose and --guests go with --local');
    const aws = clientsFor(v);
    const stateMachineArn =
      v['state-machine-arn'] ?? (await machineOf(aws, v['stack-name'] ?? DEFAULT_STACK_NAME, workflow));
    const executionArn = await startExecution(aws, stateMachineArn, executionName(workflow, input), input);
    if (v['no-wait']) {
      io.out(executionArn);
      return 0;
    }
    return followExecution(aws, executionArn, io, !!v.json);
  }
  if (v.guests !== undefined && v.endpoint) {
    throw new UsageError("--guests is the emulator's: give it to `lifecycle emulator`, or drop --endpoint");
  }
  if (v['no-wait'] || v['state-machine-arn'] || v['stack-name']) {
    throw new UsageError('--no-wait, --state-machine-arn and --stack-name go with a deployed stack, not --local');
  }
  const zones = typeof input.dnsZone === 'string' && input.dnsZone ? [input.dnsZone] : [];
  return withEmulator(v.endpoint, zones, guestMode(v.guests), io, !!v.json, async (url) => {
    const engine = await engineFor(url, !!v.verbose, io, !!v.json);
    const result = await runWorkflow(engine, workflow, input, io, !!v.json);
    if (result.status === 'ABORTED') return 130;
    if (result.status !== 'SUCCEEDED') return 1;
    const failed = fleetFailures(result.output);
    if (failed > 0) io.err(`${MACHINE[workflow]}: ${failed} host(s) failed and were rolled back; the others are done`);
    return failed > 0 ? 1 : 0;
  });
}

async function emulatorCommand(argv: string[], io: Io): Promise<number> {
  const v = parse(argv, EMULATOR_OPTIONS);
  if (v.help) return help(io, COMMAND_HELP.emulator);
  const port = v.port === undefined ? 0 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${v.port}: not a port`);
  const zones = (v.zone as string[] | undefined) ?? ['example.internal'];
  const guests = guestMode(v.guests);
  const timings = timingsOf(v.timings);
  if (guests === 'container') refuseWithoutContainers();
  let stack: LoadedStack | undefined;
  if (!v['no-stack']) {
    if (!synthIsCurrent()) io.err('synthesizing the stack into cdk.out (the sources changed)...');
    stack = { outdir: synthesize().outdir, stackName: STACK_ID };
  }
  const started = Date.now();
  const emulator = await startEmulator({ port, zones, guests, timings, stack, progress: (line) => io.err(line) });
  const url = emulator.url;
  io.out(`AWS_ENDPOINT_URL=${url}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  io.err(`emulator ready in ${seconds} s: zones ${zones.join(', ')}${guests === 'container' ? ', real guests' : ''}`);
  io.err(
    timings === 'fast'
      ? "  timings: fast (Waits 0 s, retries at once; --timings deployed keeps the template's)"
      : "  timings: deployed (the template's Waits and retry intervals, in real time)",
  );
  if (stack) {
    io.err(`  stack ${stack.stackName} deployed: its state machines run on the Step Functions API`);
    io.err(`  lifecycle create --hostname web1 --zone ${zones[0]} --endpoint ${url}`);
    io.err(`  lifecycle create --hostname web1 --zone ${zones[0]} --local --endpoint ${url}   (the local engine)`);
    io.err(`  aws --endpoint-url ${url} cloudformation describe-stacks --stack-name ${stack.stackName}`);
  } else {
    io.err('  no stack deployed: npm run deploy:local -- --endpoint ' + url);
    io.err(`  lifecycle create --hostname web1 --zone ${zones[0]} --local --endpoint ${url}   (the local engine)`);
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
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
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

async function demoCommand(argv: string[], io: Io): Promise<number> {
  const v = parse(argv, DEMO_OPTIONS);
  if (v.help) return help(io, COMMAND_HELP.demo);
  const hostname = String(v.hostname);
  const zone = String(v.zone);
  return withEmulator(undefined, [zone], guestMode(v.guests), io, false, async (url) => {
    const engine = await engineFor(url, !!v.verbose, io, false);
    const created = await runWorkflow(engine, 'create', { hostname, dnsZone: zone, pollIntervalSeconds: 0 }, io, false);
    if (created.status === 'ABORTED') return 130;
    if (created.status !== 'SUCCEEDED') return 1;
    io.out('');
    const destroyed = await runWorkflow(
      engine,
      'destroy',
      { hostname, dnsZone: zone, pollIntervalSeconds: 0 },
      io,
      false,
    );
    if (destroyed.status === 'ABORTED') return 130;
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

const COMMANDS: Record<string, (argv: string[], io: Io) => Promise<number>> = {
  create: (argv, io) => workflowCommand('create', argv, io),
  destroy: (argv, io) => workflowCommand('destroy', argv, io),
  status: statusCommand,
  list: listCommand,
  logs: logsCommand,
  defaults: defaultsCommand,
  emulator: emulatorCommand,
  demo: demoCommand,
};

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.err(`lifecycle: unknown command '${command}'\n\n${HELP}`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`lifecycle ${command}: ${error.message} (see 'lifecycle ${command} --help')`);
      return 2;
    }
    const e = error as Error;
    const line = e.name === 'InvalidInput' ? `InvalidInput: ${e.message}` : explain(e).message;
    io.err(`lifecycle ${command}: ${line}`);
    return 1;
  }
}
