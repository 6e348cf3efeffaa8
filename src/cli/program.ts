/**
 * The command line, declared once with commander: its parsing, its `--help` texts and the CLI
 * reference in docs/cli.md (generated from these texts by `npm run docs`) all come from here.
 * Only commander and the input contract load before a command runs; each command loads what it
 * needs, so a usage error is refused in a fraction of a second, before any AWS call.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { checkedExtend, checkedInput } from './args';
import type { Io } from './io';

/** The command's name; `lifecycle` is a second name for it inside this repository. */
export const CLI_NAME = 'instance-lifecycle';

export type GuestMode = 'simulated' | 'container';

/** Where a command reaches the deployed stack (or the emulator's copy of it). */
export interface TargetOptions {
  stackName?: string;
  region?: string;
  profile?: string;
  endpoint?: string;
}

/** How create and destroy run their state machine. */
export interface RunOptions extends TargetOptions {
  input?: string;
  stateMachineArn?: string;
  /** false with --no-wait */
  wait: boolean;
  json?: boolean;
  local?: boolean;
  guests?: GuestMode;
  verbose?: boolean;
}

export interface CreateOptions extends RunOptions {
  hostname?: string;
  hostnames?: string[];
  zone?: string;
  imageId?: string;
  imageParameter?: string;
  instanceType?: string;
  subnetId?: string;
  keyName?: string;
  securityGroupIds?: string[];
  tag?: string[];
  recordType?: 'CNAME' | 'A';
  ttl?: number;
  pollInterval?: number;
  adminUser?: string;
  sshPublicKey?: string;
  bootstrapCommand?: string[];
  bootstrapDocument?: string;
  bootstrapParameter?: string[];
  expiresIn?: string;
  expiresAt?: string;
}

export interface DestroyOptions extends RunOptions {
  hostname?: string;
  hostnames?: string[];
  zone?: string;
  instanceId?: string;
  force?: boolean;
  pollInterval?: number;
}

export interface StatusOptions {
  region?: string;
  profile?: string;
  endpoint?: string;
  wait: boolean;
  json?: boolean;
}

export interface ListOptions extends TargetOptions {
  max: number;
  json?: boolean;
}

export interface DefaultsOptions extends TargetOptions {
  local?: boolean;
}

export interface HostsOptions extends TargetOptions {
  zone?: string[];
  orphans?: boolean;
  json?: boolean;
}

export interface ExtendOptions extends TargetOptions {
  zone: string;
  by?: string;
  to?: string;
  local?: boolean;
}

export interface EmulatorOptions {
  port: number;
  zone?: string[];
  guests: GuestMode;
  timings: 'fast' | 'deployed';
  stack: boolean;
  rateLimits?: boolean;
}

export interface DemoOptions {
  hostname: string;
  zone: string;
  verbose?: boolean;
  guests: GuestMode;
}

/** What each command does once its arguments are parsed; loaded only when the command runs. */
export interface Handlers {
  create(options: CreateOptions, input: Record<string, unknown>, io: Io): Promise<number>;
  destroy(options: DestroyOptions, input: Record<string, unknown>, io: Io): Promise<number>;
  status(executionArn: string, options: StatusOptions, io: Io): Promise<number>;
  list(options: ListOptions, io: Io): Promise<number>;
  logs(executionArn: string, options: TargetOptions, io: Io): Promise<number>;
  defaults(action: 'get' | 'set', pairs: string[], options: DefaultsOptions, io: Io): Promise<number>;
  hosts(options: HostsOptions, io: Io): Promise<number>;
  extend(hostname: string, options: ExtendOptions, io: Io): Promise<number>;
  emulator(options: EmulatorOptions, io: Io): Promise<number>;
  demo(options: DemoOptions, io: Io): Promise<number>;
}

export function version(): string {
  return JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
}

/** An integer from min to max, or the option's error naming the range. */
function integer(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`not a whole number; give ${min} to ${max}`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`out of range; give ${min} to ${max}`);
    return n;
  };
}

/** A repeatable option: each use adds one value. */
function repeat(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A comma-separated list: `a,b, c` → ['a', 'b', 'c']. */
function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** An execution ARN of Step Functions, in any partition. */
function executionArn(value: string): string {
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(value)) {
    throw new InvalidArgumentError('not a Step Functions execution ARN (arn:aws:states:REGION:ACCOUNT:execution:…)');
  }
  return value;
}

function guestsOption(): Option {
  return new Option(
    '--guests <mode>',
    "with --local: the emulator's guests are simulated, or real Debian guests booted with systemd-nspawn (Linux, root)",
  )
    .choices(['simulated', 'container'])
    .conflicts('endpoint');
}

function targetOptions(command: Command, stack = true): Command {
  command.optionsGroup('Where:');
  if (stack) command.option('--stack-name <name>', 'the deployed stack (default: InstanceLifecycle)');
  return command
    .option('--region <region>', 'AWS region (default: AWS_REGION, then the profile’s)')
    .option('--profile <name>', 'AWS profile (default: AWS_PROFILE, then the SDK’s usual chain)')
    .option(
      '--endpoint <url>',
      "an endpoint instead of AWS's, e.g. a running `instance-lifecycle emulator` (default: AWS_ENDPOINT_URL); there the region defaults to us-east-1",
    );
}

function runOptions(command: Command): Command {
  command
    .optionsGroup('Running:')
    .option('--input <file>', 'the execution input as a JSON file; flags override its fields')
    .option('--state-machine-arn <arn>', "start this state machine instead of the stack's")
    .option('--no-wait', 'print the execution ARN and return at once')
    .option('--json', 'print only the execution output')
    .option(
      '--local',
      'run the machines in-process (the local engine) against the emulator: a fresh one, or the one at --endpoint',
    )
    .addOption(guestsOption())
    .option('--verbose', "with --local: also print the handlers' JSON log lines");
  return targetOptions(command);
}

/**
 * The whole command line. `handlers` loads the commands' code on first use; `io` receives what
 * commander writes (help, version).
 */
export function buildProgram(handlers: () => Promise<Handlers>, io: Io, exit: (code: number) => void): Command {
  const program = new Command(CLI_NAME)
    .description('Provision and decommission EC2 instances with AWS Step Functions.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .helpCommand('help [command]', "print a command's help")
    .configureHelp({ helpWidth: 100, sortSubcommands: false, showGlobalOptions: false })
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, '')),
      writeErr: (text) => io.err(text.replace(/\n$/, '')),
      outputError: () => undefined,
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Commands reach the deployed stack (found by its outputs) with the credentials and region of the
aws CLI, or the emulator's copy of it with --endpoint URL; with --local, create, destroy and
defaults run the machines in-process against the emulator instead.

Exit codes: 0 success; 1 the execution failed or AWS refused (one line on stderr); 2 bad usage,
refused before any AWS call; 130 stopped with Ctrl-C.`,
    );

  const run =
    <A extends unknown[]>(fn: (h: Handlers, ...args: A) => Promise<number>) =>
    async (...args: A) =>
      exit(await fn(await handlers(), ...args));

  const create = program
    .command('create')
    .summary('run create-vm: launch, name, register in DNS, reboot, verify')
    .description(
      `Runs create-vm (create-fleet with --hostnames), printing each state as it finishes, then the
output. Each flag sets one field of the execution input (named in brackets); --input FILE gives
them as JSON. Fields left out come from the stored defaults (see \`${CLI_NAME} defaults\`).
A fleet exits 1 if any host failed; each failed host is rolled back, the others stay.`,
    )
    .optionsGroup('Input:')
    .addOption(new Option('--hostname <name>', 'one DNS label, e.g. web1 [hostname]').conflicts('hostnames'))
    .addOption(
      new Option('--hostnames <a,b,...>', 'several hosts in one execution, the same options [hostnames]').argParser(
        list,
      ),
    )
    .option('--zone <zone>', 'hosted zone name, e.g. example.internal [dnsZone]')
    .option('--image-id <ami>', 'AMI id [imageId]')
    .option('--image-parameter <path>', 'SSM parameter holding the AMI id [imageParameter]')
    .option('--instance-type <type>', 'e.g. t3.micro [instanceType]')
    .option('--subnet-id <id>', 'subnet to launch into [subnetId]')
    .option('--key-name <name>', 'EC2 key pair, only if you still want SSH [keyName]')
    .option('--security-group-ids <a,b>', 'security group ids [securityGroupIds]', list)
    .option('--tag <key=value>', 'an extra tag; repeatable [tags]', repeat)
    .addOption(
      new Option('--record-type <type>', 'CNAME to the private DNS name, or A to the IP [recordType]').choices([
        'CNAME',
        'A',
      ]),
    )
    .option('--ttl <seconds>', 'record TTL [ttl]', integer(1, 86400))
    .option('--poll-interval <seconds>', 'seconds between checks [pollIntervalSeconds]', integer(0, 300))
    .option('--admin-user <name>', 'create this sudo user at first boot... [adminUser]')
    .option('--ssh-public-key <key>', '...who logs in with this public key [sshPublicKey]')
    .option(
      '--bootstrap-command <cmd>',
      'after the verified reboot, run CMD as root; repeatable [bootstrap.commands]',
      repeat,
    )
    .addOption(
      new Option('--bootstrap-document <name>', '...or run this SSM document [bootstrap.document]').conflicts(
        'bootstrapCommand',
      ),
    )
    .option('--bootstrap-parameter <k=v>', '...with this parameter; repeatable [bootstrap.parameters]', repeat)
    .addOption(
      new Option(
        '--expires-in <duration>',
        'a lease: destroy the host this long after the create starts, e.g. 30m, 4h, 2d [expiresIn]',
      ).conflicts('expiresAt'),
    )
    .option('--expires-at <time>', 'a lease: destroy the host at this UTC time, e.g. 2026-12-01T18:00:00Z [expiresAt]');
  // The input is checked by the workflow's own parser before the commands' code even loads.
  runOptions(create).action(async (options: CreateOptions) => {
    const input = checkedInput('create', options);
    exit(await (await handlers()).create(options, input, io));
  });

  const destroy = program
    .command('destroy')
    .summary('run destroy-vm: terminate the instance, remove its record')
    .description(
      `Runs destroy-vm (destroy-fleet with --hostnames): terminates the instance behind the name and
removes its record. A record without an instance, or an instance without a record, is cleaned too.`,
    )
    .optionsGroup('Input:')
    .addOption(
      new Option('--hostname <name>', "the host's DNS label [hostname]").conflicts(['hostnames', 'instanceId']),
    )
    .addOption(
      new Option('--hostnames <a,b,...>', 'several hosts in one execution [hostnames]')
        .argParser(list)
        .conflicts('instanceId'),
    )
    .option('--zone <zone>', 'its hosted zone [dnsZone]')
    .option('--instance-id <id>', 'destroy by instance id instead [instanceId]')
    .option('--force', 'also destroy an instance without the ManagedBy tag [force]')
    .option('--poll-interval <seconds>', 'seconds between checks [pollIntervalSeconds]', integer(0, 300));
  runOptions(destroy).action(async (options: DestroyOptions) => {
    const input = checkedInput('destroy', options);
    exit(await (await handlers()).destroy(options, input, io));
  });

  const status = program
    .command('status')
    .summary('follow an execution to its end, printing each state as it finishes')
    .description(
      `Prints each state of the execution as it finished and follows it until it ends; the exit code is
the execution's (0 succeeded, 1 failed). Ctrl-C stops following; the execution goes on. The region
is the ARN's unless --region says otherwise.`,
    )
    .addArgument(new Argument('<execution-arn>', 'the execution').argParser(executionArn))
    .option('--no-wait', 'print what has happened so far and the status, and return')
    .option('--json', 'print only the execution output');
  targetOptions(status, false).action(run((h, arn: string, options: StatusOptions) => h.status(arn, options, io)));

  const listCommand = program
    .command('list')
    .summary('recent executions of the state machines')
    .description(
      `Recent executions of create-vm, destroy-vm and the fleets, newest first: machine, hostname,
status, start, duration and execution ARN.`,
    )
    .option('--max <n>', 'how many', integer(1, 1000), 20)
    .option('--json', 'one JSON array');
  targetOptions(listCommand).action(run((h, options: ListOptions) => h.list(options, io)));

  const logs = program
    .command('logs')
    .summary('why an execution failed: the error, the cause, the failing step’s log lines')
    .description(
      `Why an execution failed: its error and cause, the step that failed, and what that step's Lambda
logged for this execution (its JSON lines from CloudWatch Logs). The region is the ARN's unless
--region says otherwise.`,
    )
    .addArgument(new Argument('<execution-arn>', 'the execution').argParser(executionArn));
  targetOptions(logs).action(run((h, arn: string, options: TargetOptions) => h.logs(arn, options, io)));

  const defaults = program
    .command('defaults')
    .summary('read or change the stored defaults, without a redeploy')
    .description(
      `Reads or changes the defaults the create workflow fills in for fields an execution leaves out,
kept in the SSM parameter the stack made (output DefaultsParameterName). No redeploy needed;
values are checked as the workflow checks them before anything is written.

KEY=VALUE: imageId, imageParameter, instanceType, subnetId, keyName, dnsZone, recordType, ttl,
pollIntervalSeconds, adminUser, sshPublicKey; subnetIds=subnet-1,subnet-2 (the roomiest is used);
securityGroupIds=sg-1,sg-2; tags.KEY=VALUE; a JSON value such as bootstrap={"commands":[...]};
KEY= removes the key.`,
    )
    .addArgument(new Argument('<action>', 'get, or set').choices(['get', 'set']))
    .addArgument(new Argument('[pairs...]', 'with set: KEY=VALUE pairs'))
    .option('--local', 'the defaults the local engine uses on the emulator at --endpoint URL');
  targetOptions(defaults).action(
    run((h, action: 'get' | 'set', pairs: string[], options: DefaultsOptions) =>
      h.defaults(action, pairs, options, io),
    ),
  );

  const hosts = program
    .command('hosts')
    .summary('the live hosts: instance, state, age, lease, record; --orphans for stray records')
    .description(
      `The live instances this product manages (ManagedBy tag), as EC2 and Route 53 see them: FQDN,
instance id, state, private IP, age, lease expiry, the record's state (ok: it points at the
instance; missing; elsewhere: it points at something else) and the execution that created it.
--orphans adds the A and CNAME records that point at no live managed instance, in the zones
given with --zone or in every hosted zone the caller can list. Read-only.`,
    )
    .option('--zone <zone>', 'with --orphans: look in this zone only; repeatable', repeat)
    .option('--orphans', 'also list records that point at no live managed instance')
    .option('--json', 'one JSON object: {hosts, orphans}');
  targetOptions(hosts, false).action(run((h, options: HostsOptions) => h.hosts(options, io)));

  const extend = program
    .command('extend')
    .summary("move a host's lease (or give it one): when the host is destroyed")
    .description(
      `Moves the lease of a live host: its EventBridge Scheduler schedule, which starts destroy-vm at the
expiry, and its lifecycle:expiresAt tag. A host without a lease gets one. No later than the
longest lease the stored defaults allow (their expiresIn), counted from now.`,
    )
    .addArgument(new Argument('<hostname>', 'the host, e.g. web1'))
    .requiredOption('--zone <zone>', 'its hosted zone')
    .addOption(
      new Option('--by <duration>', 'add this to the current expiry (to now without one), e.g. 2h').conflicts('to'),
    )
    .option('--to <time>', 'the new expiry, a UTC time such as 2026-12-01T18:00:00Z')
    .option('--local', 'a host the local engine made on the emulator at --endpoint URL');
  targetOptions(extend).action(async (hostname: string, options: ExtendOptions) => {
    checkedExtend(hostname, options);
    exit(await (await handlers()).extend(hostname, options, io));
  });

  program
    .command('emulator')
    .summary('run the local AWS emulator in the foreground and print its AWS_ENDPOINT_URL')
    .description(
      `Runs moto_server behind the project's proxy on 127.0.0.1 until Ctrl-C, seeded with a VPC, two
subnets and a private hosted zone per --zone, with the stack deployed into it as \`cdk deploy\`
deploys it (synthesized first if the sources changed): its state machines run on the Step
Functions API (moto's engine), its functions answer Lambda Invoke, and describe-stacks gives its
outputs. Point the CLI at it with --endpoint URL (the Step Functions API) or --local --endpoint URL
(the local engine), and any AWS tool with AWS_ENDPOINT_URL=URL.`,
    )
    .option('--port <n>', 'the port to listen on (default: any free one)', integer(0, 65535), 0)
    .option('--zone <zone>', 'a private hosted zone to seed; repeatable (default: example.internal)', repeat)
    .addOption(
      new Option(
        '--guests <mode>',
        'simulated guests, or real Debian guests (systemd, cloud-init) booted with systemd-nspawn: Linux, root; the image is built once and cached under ~/.cache/instance-lifecycle',
      )
        .choices(['simulated', 'container'])
        .default('simulated'),
    )
    .addOption(
      new Option(
        '--timings <timings>',
        "fast: Waits take 0 s and retries none (moto's copy only); deployed: the template's own Waits and retry intervals, in real time",
      )
        .choices(['fast', 'deployed'])
        .default('fast'),
    )
    .option('--no-stack', 'deploy nothing: for `npm run deploy:local` (the cdk CLI) to deploy')
    .option(
      '--rate-limits',
      "AWS's documented request rate limits, as token buckets: over them a call gets the service's throttling error",
    )
    .action(run((h, options: EmulatorOptions) => h.emulator(options, io)));

  program
    .command('demo')
    .summary('create then destroy a host on a fresh emulator, printing every state')
    .description(
      'Starts a fresh emulator, creates the host, destroys it, and checks that nothing is left (--guests container: on a real Debian guest).',
    )
    .option('--hostname <name>', 'the host to create', 'web1')
    .option('--zone <zone>', 'its zone', 'example.internal')
    .option('--verbose', "also print the handlers' JSON log lines")
    .addOption(
      new Option('--guests <mode>', 'simulated guests, or a real Debian guest (Linux, root)')
        .choices(['simulated', 'container'])
        .default('simulated'),
    )
    .action(run((h, options: DemoOptions) => h.demo(options, io)));

  return program;
}
