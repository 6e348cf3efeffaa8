/** The CLI's help texts. The README's CLI reference repeats them; a test keeps the two the same. */

const ENDPOINT = `  --endpoint URL             an endpoint instead of AWS's, e.g. a running 'lifecycle emulator'
                             (default: AWS_ENDPOINT_URL); there the region defaults to us-east-1`;

const TARGET = `  --stack-name NAME          the deployed stack (default InstanceLifecycle)
  --region REGION            AWS region (default: AWS_REGION, then the profile's)
  --profile NAME             AWS profile (default: AWS_PROFILE, then the usual chain)
${ENDPOINT}`;

const RUN = `  --input FILE               execution input as JSON
  --state-machine-arn ARN    start this state machine instead of the stack's
  --no-wait                  print the execution ARN and return at once
  --json                     print only the execution output
  --local                    run the machines in-process (the local engine) against the emulator,
                             a fresh one unless --endpoint names a running one
  --guests simulated|container
                             with --local and no --endpoint: the emulator's guests are simulated
                             (default), or real Debian guests booted with systemd-nspawn (Linux, root)
  --verbose                  with --local: also print the handlers' JSON log lines`;

export const HELP = `lifecycle: provision and decommission EC2 instances with Step Functions

Usage:
  lifecycle create  (--hostname NAME | --hostnames A,B,...) --zone ZONE [options]
  lifecycle destroy (--hostname NAME | --hostnames A,B,... | --instance-id ID) [--zone ZONE] [options]
  lifecycle status  EXECUTION_ARN [--no-wait] [--json]
  lifecycle list    [--max N] [--json]
  lifecycle logs    EXECUTION_ARN
  lifecycle defaults get | set KEY=VALUE...
  lifecycle emulator [--port N] [--zone ZONE]... [--guests simulated|container] [--timings fast|deployed]
  lifecycle demo    [--hostname web1] [--zone example.internal]

Commands:
  create     run the create-vm state machine: launch, name, register in DNS, reboot, verify
  destroy    run the destroy-vm state machine: terminate the instance, remove its record
  status     follow an execution to its end, printing each state as it finishes
  list       recent executions of the state machines
  logs       why an execution failed: the error, the cause, the failing step's log lines
  defaults   read or change the stored defaults, without a redeploy
  emulator   run the local AWS emulator in the foreground and print its AWS_ENDPOINT_URL
  demo       create then destroy a host on a fresh emulator, printing every state

Commands reach the deployed stack (found by its outputs) with the credentials and region of the
aws CLI, or the emulator's copy of it with --endpoint URL; with --local, create, destroy and
defaults run the machines in-process against the emulator instead.
Run 'lifecycle COMMAND --help' for a command's options.
Exit codes: 0 success, 1 the execution failed or AWS refused (one line on stderr), 2 bad usage,
130 stopped following with Ctrl-C (the execution goes on).`;

export const CREATE_HELP = `Usage: lifecycle create (--hostname NAME | --hostnames A,B,...) --zone ZONE [options]

Runs create-vm (create-fleet with --hostnames), printing each state as it finishes, then the
output. Each flag sets one field of the execution input; --input FILE gives them as JSON (flags
override the file). Fields left out come from the stored defaults (see 'lifecycle defaults').
A fleet exits 1 if any host failed; each failed host is rolled back, the others stay.

  --hostname NAME            one DNS label, e.g. web1                          (hostname)
  --hostnames A,B,...        several hosts in one execution, the same options  (hostnames)
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
  --bootstrap-command CMD    after the verified reboot, run CMD as root; repeatable (bootstrap.commands)
  --bootstrap-document NAME  ...or run this SSM document                        (bootstrap.document)
  --bootstrap-parameter K=V  ...with this parameter; repeatable                 (bootstrap.parameters)
${RUN}
${TARGET}`;

export const DESTROY_HELP = `Usage: lifecycle destroy (--hostname NAME | --hostnames A,B,... | --instance-id ID) [--zone ZONE] [options]

Runs destroy-vm (destroy-fleet with --hostnames): terminates the instance behind the name and
removes its record. A record without an instance, or an instance without a record, is cleaned too.

  --hostname NAME            the host's DNS label                               (hostname)
  --hostnames A,B,...        several hosts in one execution                     (hostnames)
  --zone ZONE                its hosted zone                                    (dnsZone)
  --instance-id ID           destroy by instance id instead                     (instanceId)
  --force                    also destroy an instance without the ManagedBy tag (force)
  --poll-interval SECONDS    seconds between checks                             (pollIntervalSeconds)
${RUN}
${TARGET}`;

export const STATUS_HELP = `Usage: lifecycle status EXECUTION_ARN [--no-wait] [--json]

Prints each state of the execution as it finished and follows it until it ends; the exit code is
the execution's (0 succeeded, 1 failed). Ctrl-C stops following; the execution goes on.

  --no-wait                  print what has happened so far and the status, and return
  --json                     print only the execution output
  --region REGION            AWS region (default: AWS_REGION, then the profile's)
  --profile NAME             AWS profile (default: AWS_PROFILE, then the usual chain)
${ENDPOINT}`;

export const LIST_HELP = `Usage: lifecycle list [--max N] [--json]

Recent executions of create-vm, destroy-vm and the fleets, newest first: machine, hostname,
status, start, duration and execution ARN.

  --max N                    how many (default 20)
  --json                     one JSON array
${TARGET}`;

export const LOGS_HELP = `Usage: lifecycle logs EXECUTION_ARN

Why an execution failed: its error and cause, the step that failed, and what that step's Lambda
logged for this execution (its JSON lines from CloudWatch Logs).

${TARGET}`;

export const DEFAULTS_HELP = `Usage: lifecycle defaults get
       lifecycle defaults set KEY=VALUE...

Reads or changes the defaults the create workflow fills in for fields an execution leaves out,
kept in the SSM parameter the stack made (output DefaultsParameterName). No redeploy needed;
values are checked as the workflow checks them before anything is written.

  KEY=VALUE                  imageId, imageParameter, instanceType, subnetId, keyName, dnsZone,
                             recordType, ttl, pollIntervalSeconds, adminUser, sshPublicKey;
                             subnetIds=subnet-1,subnet-2 (the roomiest is used);
                             securityGroupIds=sg-1,sg-2; tags.KEY=VALUE; KEY= removes the key
  --local                    the defaults the local engine uses on the emulator at --endpoint URL
${TARGET}`;

export const EMULATOR_HELP = `Usage: lifecycle emulator [--port N] [--zone ZONE]... [--guests simulated|container]
                          [--timings fast|deployed] [--no-stack]

Runs moto_server behind the project's proxy on 127.0.0.1 until Ctrl-C, seeded with a VPC, two
subnets and a private hosted zone per --zone (default example.internal), with the stack deployed
into it as \`cdk deploy\` deploys it (synthesized first if the sources changed): its state machines
run on the Step Functions API (moto's engine), its functions answer Lambda Invoke, and
describe-stacks gives its outputs. Point the CLI at it with --endpoint URL (the Step Functions API)
or --local --endpoint URL (the local engine), and any AWS tool with AWS_ENDPOINT_URL=URL.

  --timings fast             Waits take 0 s and retries none, on moto's copy only (the default)
  --timings deployed         the template's own Waits and retry intervals, in real time
  --no-stack                 deploy nothing: for 'npm run deploy:local' (the cdk CLI) to deploy
  --guests container         every instance is a real Debian guest (systemd, cloud-init) booted
                             with systemd-nspawn: Linux, root; the image is built once and cached
                             under ~/.cache/instance-lifecycle. Ctrl-C stops and removes them all.`;

export const DEMO_HELP = `Usage: lifecycle demo [--hostname web1] [--zone example.internal] [--verbose] [--guests container]

Starts a fresh emulator, creates the host, destroys it, and checks that nothing is left
(--guests container: on a real Debian guest).`;

export const COMMAND_HELP: Record<string, string> = {
  create: CREATE_HELP,
  destroy: DESTROY_HELP,
  status: STATUS_HELP,
  list: LIST_HELP,
  logs: LOGS_HELP,
  defaults: DEFAULTS_HELP,
  emulator: EMULATOR_HELP,
  demo: DEMO_HELP,
};

export const REFERENCE_START = '<!-- cli-reference: generated by npm run docs from src/cli/help.ts -->';
export const REFERENCE_END = '<!-- /cli-reference -->';

/** The README's CLI reference: every help text, as `npx lifecycle … --help` prints it. */
export function cliReference(): string {
  const block = (command: string, text: string) => ['```', `$ npx lifecycle ${command}--help`, text, '```'].join('\n');
  return [
    REFERENCE_START,
    block('', HELP),
    ...Object.entries(COMMAND_HELP).map(([name, text]) => block(`${name} `, text)),
    REFERENCE_END,
  ].join('\n\n');
}

/** `readme` with its CLI reference replaced by the current one. */
export function withCliReference(readme: string): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error('README.md has no CLI reference markers');
  return readme.slice(0, start) + cliReference() + readme.slice(end + REFERENCE_END.length);
}
