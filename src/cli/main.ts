/**
 * `lifecycle`: create and destroy hosts with the instance-lifecycle state machines.
 * Exit codes: 0 success, 1 the execution failed, 2 bad usage.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import {
  CREATE_OPTIONS,
  createInput,
  DEMO_OPTIONS,
  DESTROY_OPTIONS,
  destroyInput,
  EMULATOR_OPTIONS,
  parse,
  UsageError,
} from './args';
import { type Emulator, startEmulator } from './emulator';
import { clientConfig, ensureZone } from './emulator/seed';
import { type ExecutionResult, LocalEngine, type Workflow } from './local-engine';
import { failureLine, header, stepLine } from './output';

export const HELP = `lifecycle: provision and decommission EC2 instances with Step Functions

Usage:
  lifecycle create  --hostname NAME --zone ZONE [options] --local
  lifecycle destroy (--hostname NAME --zone ZONE | --instance-id ID) [--force] --local
  lifecycle emulator [--port N] [--zone ZONE]...
  lifecycle demo [--hostname web1] [--zone example.internal]

Commands:
  create     run the create-vm state machine: launch, name, register in DNS, reboot, verify
  destroy    run the destroy-vm state machine: terminate the instance, remove its record
  emulator   run the local AWS emulator in the foreground and print its AWS_ENDPOINT_URL
  demo       create then destroy a host on a fresh emulator, printing every state

Run 'lifecycle COMMAND --help' for a command's options.
Exit codes: 0 success, 1 the execution failed (error and cause on stderr), 2 bad usage.`;

const CREATE_HELP = `Usage: lifecycle create --hostname NAME --zone ZONE [options] --local

Runs create-vm. Each flag sets one field of the execution input; --input FILE gives them as JSON
(flags override the file). Fields left out come from the stored defaults.

  --hostname NAME            one DNS label, e.g. web1                          (hostname)
  --zone ZONE                hosted zone name, e.g. example.internal           (dnsZone)
  --image-id AMI             AMI id                                             (imageId)
  --image-parameter PATH     SSM parameter holding the AMI id                   (imageParameter)
  --instance-type TYPE       e.g. t3.micro                                      (instanceType)
  --subnet-id ID             subnet to launch into                              (subnetId)
  --key-name NAME            EC2 key pair, only if you still want SSH           (keyName)
  --security-group-ids A,B   security group ids                                 (securityGroupIds)
  --tag KEY=VALUE            extra tag; repeatable                              (tags)
  --record-type CNAME|A      CNAME to the private DNS name, or A to the IP     (recordType)
  --ttl SECONDS              record TTL                                         (ttl)
  --poll-interval SECONDS    seconds between checks                             (pollIntervalSeconds)
  --admin-user NAME          create this sudo user at first boot...             (adminUser)
  --ssh-public-key KEY       ...that logs in with this public key               (sshPublicKey)
  --input FILE               execution input as JSON
  --local                    run on this machine against the emulator
  --endpoint URL             with --local: use this running emulator (see 'lifecycle emulator')
  --json                     print only the execution output
  --verbose                  also print the handlers' JSON log lines`;

const DESTROY_HELP = `Usage: lifecycle destroy (--hostname NAME --zone ZONE | --instance-id ID) [--force] --local

Runs destroy-vm: terminates the instance behind the name and removes its record. A record without
an instance, or an instance without a record, is cleaned too.

  --hostname NAME            the host's DNS label                               (hostname)
  --zone ZONE                its hosted zone                                    (dnsZone)
  --instance-id ID           destroy by instance id instead                     (instanceId)
  --force                    also destroy an instance without the ManagedBy tag (force)
  --poll-interval SECONDS    seconds between checks                             (pollIntervalSeconds)
  --input FILE               execution input as JSON
  --local                    run on this machine against the emulator
  --endpoint URL             with --local: use this running emulator
  --json                     print only the execution output
  --verbose                  also print the handlers' JSON log lines`;

const EMULATOR_HELP = `Usage: lifecycle emulator [--port N] [--zone ZONE]...

Runs moto_server behind the project's proxy on 127.0.0.1 until Ctrl-C, seeded with a VPC, a subnet
and a private hosted zone per --zone (default example.internal). Point other commands at it with
--local --endpoint URL, or any AWS tool with AWS_ENDPOINT_URL=URL.`;

const DEMO_HELP = `Usage: lifecycle demo [--hostname web1] [--zone example.internal] [--verbose]

Starts a fresh emulator, creates the host, destroys it, and checks that nothing is left.`;

function help(io: Io, text: string): number {
  io.out(text);
  return 0;
}

const MACHINE: Record<Workflow, string> = { create: 'create-vm', destroy: 'destroy-vm' };

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
  if (!quiet) io.err('synthesizing the app (cdk.out)...');
  return new LocalEngine({ endpoint, verbose });
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

function requireLocal(local: boolean | undefined): void {
  if (!local) {
    throw new UsageError(
      'running against a deployed stack is not available in this version: add --local to run on this machine',
    );
  }
}

/** create and destroy differ only in their flags, help and input; the run is the same. */
async function workflowCommand(workflow: Workflow, argv: string[], io: Io): Promise<number> {
  const v = workflow === 'create' ? parse(argv, CREATE_OPTIONS) : parse(argv, DESTROY_OPTIONS);
  if (v.help) return help(io, workflow === 'create' ? CREATE_HELP : DESTROY_HELP);
  requireLocal(v.local);
  const input =
    workflow === 'create'
      ? createInput(v as ReturnType<typeof parse<typeof CREATE_OPTIONS>>)
      : destroyInput(v as ReturnType<typeof parse<typeof DESTROY_OPTIONS>>);
  const zones = typeof input.dnsZone === 'string' && input.dnsZone ? [input.dnsZone] : [];
  return withEmulator(v.endpoint, zones, io, !!v.json, async (url) => {
    const engine = engineFor(url, !!v.verbose, io, !!v.json);
    return (await runWorkflow(engine, workflow, input, io, !!v.json)).status === 'SUCCEEDED' ? 0 : 1;
  });
}

async function emulatorCommand(argv: string[], io: Io): Promise<number> {
  const v = parse(argv, EMULATOR_OPTIONS);
  if (v.help) return help(io, EMULATOR_HELP);
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
  if (v.help) return help(io, DEMO_HELP);
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
    io.err(`lifecycle ${command}: ${(error as Error).message}`);
    return 1;
  }
}
