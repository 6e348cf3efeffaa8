/**
 * `lifecycle`: create and destroy hosts with the instance-lifecycle state machines.
 * Exit codes: 0 success, 1 the execution failed, 2 bad usage.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseDefaults } from '../../lambdas/lib/input';
import {
  CREATE_OPTIONS,
  createInput,
  DEFAULTS_OPTIONS,
  DEMO_OPTIONS,
  DESTROY_OPTIONS,
  destroyInput,
  EMULATOR_OPTIONS,
  LIST_OPTIONS,
  LOGS_OPTIONS,
  parse,
  parseWithPositionals,
  STATUS_OPTIONS,
  UsageError,
} from './args';
import { type Emulator, startEmulator } from './emulator';
import { clientConfig, ensureZone } from './emulator/seed';
import { COMMAND_HELP, HELP } from './help';
import { type ExecutionResult, LocalEngine, type Workflow } from './local-engine';
import { failureLine, header, readableCause, stepLine } from './output';
import {
  type Aws,
  awsClients,
  DEFAULT_STACK_NAME,
  deploymentOf,
  executionName,
  explain,
  type Followed,
  failureReport,
  follow,
  recentExecutions,
  startExecution,
} from './remote';
import { synthesize, synthIsCurrent } from './synth';
import { loadDeployment, WORKFLOWS } from './template';

function help(io: Io, text: string): number {
  io.out(text);
  return 0;
}

const MACHINE = Object.fromEntries(Object.entries(WORKFLOWS).map(([w, d]) => [w, d.machine])) as Record<
  Workflow,
  string
>;

/** A fleet's execution succeeds when every host has an outcome; the exit code says whether all succeeded. */
function fleetFailures(output: unknown): number {
  const failed = (output as { failed?: unknown } | null)?.failed;
  return typeof failed === 'number' ? failed : 0;
}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const stdio: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

async function withEmulator<T>(
  endpoint: string | undefined,
  zones: string[],
  io: Io,
  quiet: boolean,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  if (endpoint) return fn(endpoint);
  if (!quiet) io.err('starting the local emulator (moto_server behind the instance-lifecycle proxy)...');
  const emulator: Emulator = await startEmulator({ zones });
  const stop = () => {
    emulator.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  try {
    return await fn(emulator.url);
  } finally {
    process.off('SIGINT', stop);
    await emulator.stop();
  }
}

function engineFor(endpoint: string, verbose: boolean, io: Io, quiet: boolean): LocalEngine {
  if (!quiet && !synthIsCurrent()) io.err('synthesizing the app into cdk.out (the sources changed)...');
  return new LocalEngine({ endpoint, verbose, templatePath: synthesize().templatePath });
}

async function runWorkflow(
  engine: LocalEngine,
  workflow: Workflow,
  input: Record<string, unknown>,
  io: Io,
  json: boolean,
): Promise<ExecutionResult> {
  if (!json) io.out(header(`${MACHINE[workflow]} ${JSON.stringify(input)}`));
  const result = await engine.run(workflow, input, json ? undefined : (event) => io.out(stepLine(event)));
  if (result.status === 'SUCCEEDED') io.out(JSON.stringify(result.output, null, json ? 0 : 2));
  else io.err(failureLine(MACHINE[workflow], result));
  return result;
}

type Target = { 'stack-name'?: string; region?: string; profile?: string };

function clientsFor(v: Target): Aws {
  return awsClients({ region: v.region, profile: v.profile });
}

/** Prints the execution as it goes; Ctrl-C stops following and leaves it running. */
async function followExecution(aws: Aws, executionArn: string, io: Io, json: boolean, once = false): Promise<number> {
  const machine = /:execution:([^:]+):/.exec(executionArn)?.[1] ?? 'execution';
  if (!json) io.out(header(`${machine} ${executionArn}`));
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.once('SIGINT', onInterrupt);
  let result: Followed;
  try {
    result = await follow(aws, executionArn, {
      signal: stop.signal,
      once,
      onStep: json ? undefined : (event) => io.out(stepLine(event)),
    });
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  return reportFollowed(result, machine, io, json, stop.signal.aborted);
}

function reportFollowed(result: Followed, machine: string, io: Io, json: boolean, interrupted: boolean): number {
  if (result.status === 'SUCCEEDED') {
    io.out(JSON.stringify(result.output, null, json ? 0 : 2));
    const failed = fleetFailures(result.output);
    if (failed > 0) io.err(`${machine}: ${failed} host(s) failed and were rolled back; the others are done`);
    return failed > 0 ? 1 : 0;
  }
  if (result.status === 'RUNNING') {
    const how = `follow it with: lifecycle status ${result.executionArn}`;
    io.err(interrupted ? `stopped following; the execution goes on. ${how}` : `still running; ${how}`);
    return interrupted ? 130 : 0;
  }
  io.err(
    `${machine} ${result.status.toLowerCase().replace('_', ' ')}: ${result.error}: ${readableCause(result.cause)}`,
  );
  io.err(`details: lifecycle logs ${result.executionArn}`);
  return 1;
}

async function machineOf(aws: Aws, stackName: string, workflow: Workflow): Promise<string> {
  const arn = (await deploymentOf(aws, stackName))[workflow];
  if (!arn) throw new UsageError(`stack ${stackName} has no ${MACHINE[workflow]} state machine: redeploy it`);
  return arn;
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
    if (v.endpoint || v.verbose) throw new UsageError('--endpoint and --verbose go with --local');
    const aws = clientsFor(v);
    const stateMachineArn =
      v['state-machine-arn'] ?? (await machineOf(aws, v['stack-name'] ?? DEFAULT_STACK_NAME, workflow));
    const executionArn = await startExecution(aws, stateMachineArn, executionName(workflow, input), input);
    if (v['no-wait']) {
      io.out(executionArn);
      return 0;
    }
    const code = await followExecution(aws, executionArn, io, !!v.json);
    return code;
  }
  if (v['no-wait'] || v['state-machine-arn'] || v['stack-name']) {
    throw new UsageError('--no-wait, --state-machine-arn and --stack-name go with a deployed stack, not --local');
  }
  const zones = typeof input.dnsZone === 'string' && input.dnsZone ? [input.dnsZone] : [];
  return withEmulator(v.endpoint, zones, io, !!v.json, async (url) => {
    const engine = engineFor(url, !!v.verbose, io, !!v.json);
    const result = await runWorkflow(engine, workflow, input, io, !!v.json);
    if (result.status !== 'SUCCEEDED') return 1;
    const failed = fleetFailures(result.output);
    if (failed > 0) io.err(`${MACHINE[workflow]}: ${failed} host(s) failed and were rolled back; the others are done`);
    return failed > 0 ? 1 : 0;
  });
}

function executionArnOf(positionals: string[]): string {
  const [arn] = positionals;
  if (!arn) throw new UsageError('the execution ARN is required');
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
    throw new UsageError(`${arn} is not a Step Functions execution ARN`);
  }
  return arn;
}

async function statusCommand(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseWithPositionals(argv, STATUS_OPTIONS, 1);
  if (v.help) return help(io, COMMAND_HELP.status);
  return followExecution(clientsFor(v), executionArnOf(positionals), io, !!v.json, !!v['no-wait']);
}

function duration(start?: Date, stop?: Date): string {
  if (!start) return '-';
  const seconds = Math.round(((stop ?? new Date()).getTime() - start.getTime()) / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

async function listCommand(argv: string[], io: Io): Promise<number> {
  const v = parse(argv, LIST_OPTIONS);
  if (v.help) return help(io, COMMAND_HELP.list);
  const max = v.max === undefined ? 20 : Number(v.max);
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw new UsageError(`--max ${v.max}: a number from 1 to 1000`);
  const aws = clientsFor(v);
  const rows = await recentExecutions(aws, await deploymentOf(aws, v['stack-name'] ?? DEFAULT_STACK_NAME), max);
  if (v.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  io.out(
    `${'MACHINE'.padEnd(13)} ${'HOSTNAME'.padEnd(22)} ${'STATUS'.padEnd(10)} ${'STARTED'.padEnd(20)} ${'DURATION'.padStart(8)}  EXECUTION`,
  );
  for (const r of rows) {
    const started = r.startDate ? r.startDate.toISOString().slice(0, 19).replace('T', ' ') : '-';
    io.out(
      `${r.machine.padEnd(13)} ${r.hostname.padEnd(22)} ${r.status.padEnd(10)} ${started.padEnd(20)} ${duration(r.startDate, r.stopDate).padStart(8)}  ${r.executionArn}`,
    );
  }
  if (rows.length === 0) io.err('no executions yet');
  return 0;
}

async function logsCommand(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseWithPositionals(argv, LOGS_OPTIONS, 1);
  if (v.help) return help(io, COMMAND_HELP.logs);
  const arn = executionArnOf(positionals);
  const report = await failureReport(clientsFor(v), arn, v['stack-name'] ?? DEFAULT_STACK_NAME);
  if (!report.error) {
    io.out(`the execution ${report.status === 'RUNNING' ? 'is still running' : 'succeeded'}: nothing failed`);
    return 0;
  }
  io.out(`${report.status}: ${report.error}: ${readableCause(report.cause ?? '')}`);
  if (!report.step) return 1;
  io.out(`failed step: ${report.step}${report.logGroup ? ` (log group ${report.logGroup})` : ''}`);
  for (const line of report.lines) io.out(line);
  if (report.logGroup && report.lines.length === 0)
    io.out('(no log lines for this execution: they may take a minute to arrive)');
  return 1;
}

/** `key=value` pairs over the stored defaults; `key=` removes a key, `tags.k=v` sets one tag. */
export function applyDefaults(current: Record<string, unknown>, pairs: string[]): Record<string, unknown> {
  const next: Record<string, unknown> = { ...current };
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`${pair}: expected KEY=VALUE`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (key.startsWith('tags.')) {
      const tags = { ...((next.tags as Record<string, string>) ?? {}) };
      if (raw === '') delete tags[key.slice(5)];
      else tags[key.slice(5)] = raw;
      next.tags = tags;
    } else if (raw === '') {
      delete next[key];
    } else if (key === 'securityGroupIds' || key === 'subnetIds') {
      next[key] = raw.split(',').map((s) => s.trim());
    } else {
      next[key] = /^\d+$/.test(raw) ? Number(raw) : raw;
    }
  }
  return next;
}

async function defaultsCommand(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseWithPositionals(argv, DEFAULTS_OPTIONS, 100);
  if (v.help) return help(io, COMMAND_HELP.defaults);
  const [action, ...pairs] = positionals;
  if (action !== 'get' && action !== 'set') throw new UsageError("say 'get' or 'set KEY=VALUE...'");
  if (action === 'get' && pairs.length > 0) throw new UsageError('get takes no KEY=VALUE');
  if (action === 'set' && pairs.length === 0) throw new UsageError('set needs at least one KEY=VALUE');
  let ssm: SSMClient;
  let name: string;
  /** What the parameter holds before anyone changed it: the stack's deployment writes it. */
  let seeded: string | undefined;
  if (v.local) {
    if (!v.endpoint)
      throw new UsageError('--local needs --endpoint URL: the emulator whose defaults to read or change');
    ssm = new SSMClient(clientConfig(v.endpoint));
    ({ name, value: seeded } = loadDeployment(synthesize().templatePath).defaults);
  } else {
    const aws = clientsFor(v);
    ssm = aws.ssm;
    const deployment = await deploymentOf(aws, v['stack-name'] ?? DEFAULT_STACK_NAME);
    if (!deployment.defaultsParameter) throw new UsageError('the stack has no DefaultsParameterName output');
    name = deployment.defaultsParameter;
  }
  let stored: string;
  try {
    stored = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value ?? '{}';
  } catch (error) {
    // An emulator no execution has run on yet has no parameter: start from what the stack seeds.
    if ((error as Error).name !== 'ParameterNotFound' || seeded === undefined) throw error;
    stored = seeded;
  }
  const current = JSON.parse(stored) as Record<string, unknown>;
  if (action === 'get') {
    io.out(JSON.stringify(current, null, 2));
    return 0;
  }
  const next = parseDefaults(applyDefaults(current, pairs));
  await ssm.send(new PutParameterCommand({ Name: name, Value: JSON.stringify(next), Type: 'String', Overwrite: true }));
  io.out(JSON.stringify(next, null, 2));
  io.err(`defaults saved in ${name}; the next create uses them`);
  return 0;
}

async function emulatorCommand(argv: string[], io: Io): Promise<number> {
  const v = parse(argv, EMULATOR_OPTIONS);
  if (v.help) return help(io, COMMAND_HELP.emulator);
  const port = v.port === undefined ? 0 : Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${v.port}: not a port`);
  const zones = (v.zone as string[] | undefined) ?? ['example.internal'];
  const emulator = await startEmulator({ port, zones });
  io.out(`AWS_ENDPOINT_URL=${emulator.url}`);
  io.err(`emulator ready with zones ${zones.join(', ')}; Ctrl-C to stop`);
  io.err(`  lifecycle create --hostname web1 --zone ${zones[0]} --local --endpoint ${emulator.url}`);
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
  return withEmulator(undefined, [zone], io, false, async (url) => {
    const engine = engineFor(url, !!v.verbose, io, false);
    const created = await runWorkflow(engine, 'create', { hostname, dnsZone: zone, pollIntervalSeconds: 0 }, io, false);
    if (created.status !== 'SUCCEEDED') return 1;
    io.out('');
    const destroyed = await runWorkflow(
      engine,
      'destroy',
      { hostname, dnsZone: zone, pollIntervalSeconds: 0 },
      io,
      false,
    );
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
