/**
 * `lifecycle` against a deployed stack: CloudFormation, Step Functions, CloudWatch Logs and SSM
 * mocked with aws-sdk-client-mock, executions replayed from the histories `npm run
 * record-histories` recorded from the emulator's Step Functions API (test/fixtures: success with a
 * retry, a failure inside the nested Parallel, still running, a destroy). No test reaches AWS; the
 * same commands against the emulator's API are in test/api.test.ts.
 */
import { getEventListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { awsClients } from '../src/cli/deployed/aws';
import { failingTask, follow } from '../src/cli/deployed/executions';
import { HistoryReader } from '../src/cli/deployed/history';
import { main } from '../src/cli/main';
import { allStates } from '../src/engine/template';
import { executionName } from '../src/engine/types';
import { definitions } from '../src/harness/deployment';

const sfn = mockClient(SFNClient);
const cfn = mockClient(CloudFormationClient);
const logs = mockClient(CloudWatchLogsClient);
const ssm = mockClient(SSMClient);

const CREATE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:CreateVmStateMachineABC';
const DESTROY_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:DestroyVmStateMachineDEF';
const EXECUTION =
  'arn:aws:states:eu-west-1:123456789012:execution:CreateVmStateMachineABC:create-web1-20261127T101500Z-3fa2c1';

interface Fixture {
  recorded: string;
  execution: Record<string, string>;
  events: Array<HistoryEvent & { timestamp: string }>;
}

const FIXTURES = ['create-succeeded', 'create-failed', 'create-running', 'destroy-succeeded'];

function rawFixture(name: string): Fixture {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', `history-${name}.json`), 'utf8')) as Fixture;
}

function fixture(name: string) {
  const raw = rawFixture(name);
  const date = (s?: string) => (s ? new Date(s) : undefined);
  return {
    execution: { ...raw.execution, startDate: date(raw.execution.startDate), stopDate: date(raw.execution.stopDate) },
    events: raw.events.map((e) => ({ ...e, timestamp: new Date(e.timestamp) })) as HistoryEvent[],
  };
}

function replay(name: string): void {
  const { execution, events } = fixture(name);
  sfn.on(DescribeExecutionCommand).resolves(execution as never);
  sfn.on(GetExecutionHistoryCommand).resolves({ events });
}

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeEach(() => {
  for (const m of [sfn, cfn, logs, ssm]) m.reset();
  process.env.AWS_REGION = 'eu-west-1';
  cfn.on(DescribeStacksCommand, { StackName: 'InstanceLifecycle' }).resolves({
    Stacks: [
      {
        StackName: 'InstanceLifecycle',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: 'CreateVmStateMachineArn', OutputValue: CREATE_ARN },
          { OutputKey: 'DestroyVmStateMachineArn', OutputValue: DESTROY_ARN },
          { OutputKey: 'DefaultsParameterName', OutputValue: '/instance-lifecycle/InstanceLifecycle/defaults' },
        ],
      },
    ],
  });
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date() });
});

describe('create and destroy against the stack', () => {
  test('create finds the machine from the stack outputs, starts a readable execution and prints each state', async () => {
    replay('create-succeeded');
    const { code, out } = await run(
      'create',
      '--hostname',
      'web1',
      '--zone',
      'example.internal',
      '--tag',
      'team=infra',
    );
    expect(code).toBe(0);
    const start = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(start.stateMachineArn).toBe(CREATE_ARN);
    expect(start.name).toMatch(/^create-web1-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(JSON.parse(start.input ?? '')).toEqual({
      hostname: 'web1',
      dnsZone: 'example.internal',
      tags: { team: 'infra' },
    });
    expect(out).toMatch(/^ {2}ValidateInput\s+Task\s+Succeeded\s+\d+\.\d\d s$/m);
    expect(out).toMatch(/^ {2}LaunchInstance\s+Task\s+Retried\s+[\d.]+ s {2}RequestLimitExceeded$/m);
    expect(out).toMatch(/^ {2}WaitUntilRebooted \(wait\)\s+Wait\s+Succeeded\s+\d+\.\d\d s$/m);
    expect(out).toMatch(/^ {2}HostAndDns\s+Parallel\s+Succeeded/m);
    expect(out).toMatch(/^ {2}Provision\s+Parallel\s+Succeeded/m);
    expect(out).toContain('"fqdn": "web1.example.internal"');
  });

  test('destroy by instance id, with --state-machine-arn: no stack lookup', async () => {
    replay('create-succeeded');
    const { code } = await run('destroy', '--instance-id', 'i-0123456789abcdef0', '--state-machine-arn', DESTROY_ARN);
    expect(code).toBe(0);
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input).toMatchObject({
      stateMachineArn: DESTROY_ARN,
      name: expect.stringMatching(/^destroy-i-0123456789abcdef0-/),
    });
  });

  test('a failed execution: each state up to the failure, the error and cause on stderr, exit 1', async () => {
    replay('create-failed');
    const { code, out, err } = await run('create', '--hostname', 'web1', '--zone', 'example.internal');
    expect(code).toBe(1);
    expect(out).toMatch(/^ {2}WaitForHostname\s+Task\s+Failed\s+[\d.]+ s {2}CommandFailed$/m);
    // The failure inside the nested Parallel: the inner one failed, the outer one caught it.
    expect(out).toMatch(/^ {2}HostAndDns\s+Parallel\s+Failed\s+[\d.]+ s {2}CommandFailed$/m);
    expect(out).toMatch(/^ {2}Provision\s+Parallel\s+Caught\s+[\d.]+ s {2}CommandFailed$/m);
    expect(out).not.toMatch(/Provision\s+Parallel\s+Succeeded/);
    expect(out).toMatch(/^ {2}RollBack\s+Task\s+Succeeded/m);
    expect(out).toMatch(/^ {2}CreateFailed\s+Fail\s+Failed/m);
    expect(err).toMatch(
      /CreateVmStateMachineABC failed: CommandFailed: command [\w-]+ ended Failed: injected command failure/,
    );
    expect(err).toContain(`lifecycle logs ${EXECUTION}`);
  });

  test('--no-wait prints the execution ARN and returns; --json prints only the output', async () => {
    const noWait = await run('create', '--hostname', 'web1', '--zone', 'example.internal', '--no-wait');
    expect(noWait).toMatchObject({ code: 0, out: EXECUTION });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);

    replay('create-succeeded');
    const json = await run('create', '--hostname', 'web1', '--zone', 'example.internal', '--json');
    const recorded = JSON.parse(rawFixture('create-succeeded').execution.output);
    expect(JSON.parse(json.out)).toEqual(recorded);
    expect(recorded).toMatchObject({ fqdn: 'web1.example.internal', instanceId: expect.stringMatching(/^i-/) });
  });
});

describe('status, list and logs', () => {
  test('status --no-wait of a running execution prints the states so far and how to follow it', async () => {
    replay('create-running');
    const { code, out, err } = await run('status', EXECUTION, '--no-wait');
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}WaitUntilRunning\?\s+Choice\s+Succeeded/m);
    expect(out).toMatch(/^ {2}WaitUntilManaged\s+Task\s+Succeeded/m);
    // Still polling the agent: nothing after it has run.
    expect(out).not.toMatch(/SetHostname/);
    expect(err).toContain(`lifecycle status ${EXECUTION}`);
  });

  test('status follows a running execution to its end, printing each state once', async () => {
    const running = fixture('create-running');
    const done = fixture('create-succeeded');
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(running.execution as never)
      .resolves(done.execution as never);
    sfn.on(GetExecutionHistoryCommand).resolvesOnce({ events: running.events }).resolves({ events: done.events });
    const { code, out } = await run('status', EXECUTION);
    expect(code).toBe(0);
    expect(out.match(/^ {2}ValidateInput\s/gm)).toHaveLength(1);
    expect(out).toMatch(/^ {2}Done\s+Pass\s+Succeeded/m);
  });

  test('following a long execution leaves no listener on its abort signal per poll', async () => {
    const running = fixture('create-running');
    const done = fixture('create-succeeded');
    let describe = sfn.on(DescribeExecutionCommand);
    for (let i = 0; i < 25; i++) describe = describe.resolvesOnce(running.execution as never);
    describe.resolves(done.execution as never);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: done.events });
    const stop = new AbortController();
    const followed = await follow(awsClients({ region: 'eu-west-1' }), EXECUTION, {
      signal: stop.signal,
      intervalMs: 1,
    });
    expect(followed.status).toBe('SUCCEEDED');
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(26);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  test('Ctrl-C stops following, leaves the execution running and says how to follow it (exit 130)', async () => {
    replay('create-running');
    const pending = run('status', EXECUTION);
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.emit('SIGINT');
    const { code, err } = await pending;
    expect(code).toBe(130);
    expect(err).toBe(
      `stopped following; the execution goes on. follow it with: instance-lifecycle status ${EXECUTION}`,
    );
  });

  test('status and logs call the region the execution ARN names, whatever AWS_REGION says', async () => {
    replay('create-succeeded');
    const elsewhere = EXECUTION.replace(':eu-west-1:', ':ap-southeast-2:');
    expect((await run('status', elsewhere, '--no-wait')).code).toBe(0);
    expect(await (sfn.call(0).thisValue as SFNClient).config.region()).toBe('ap-southeast-2');
    sfn.resetHistory();
    await run('logs', elsewhere);
    expect(await (sfn.call(0).thisValue as SFNClient).config.region()).toBe('ap-southeast-2');
    // An explicit --region still wins.
    sfn.resetHistory();
    await run('status', elsewhere, '--no-wait', '--region', 'eu-central-1');
    expect(await (sfn.call(0).thisValue as SFNClient).config.region()).toBe('eu-central-1');
  });

  test('--profile gives the clients that profile (credentials, region), without touching AWS_PROFILE', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lifecycle-profile-'));
    const saved = { ...process.env };
    try {
      writeFileSync(path.join(dir, 'config'), '[profile ops]\nregion = sa-east-1\n');
      writeFileSync(path.join(dir, 'credentials'), '[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = s\n');
      Object.assign(process.env, {
        AWS_CONFIG_FILE: path.join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
      });
      delete process.env.AWS_REGION;
      delete process.env.AWS_PROFILE;
      sfn.on(ListExecutionsCommand).resolves({ executions: [] });
      expect((await run('list', '--profile', 'ops')).code).toBe(0);
      const client = sfn.call(0).thisValue as SFNClient;
      expect(await client.config.region()).toBe('sa-east-1');
      expect((await client.config.credentials()).accessKeyId).toBe('AKIAOPS');
      expect(process.env.AWS_PROFILE).toBeUndefined();
    } finally {
      process.env = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('list: both machines, newest first, with the hostname from the name or the input', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 10, 27, 10, m));
    sfn.on(ListExecutionsCommand, { stateMachineArn: CREATE_ARN }).resolves({
      executions: [
        {
          executionArn: `${EXECUTION}x`,
          stateMachineArn: CREATE_ARN,
          name: 'create-web1-20261127T101500Z-3fa2c1',
          status: 'SUCCEEDED',
          startDate: at(15),
          stopDate: at(17),
        },
      ],
    });
    sfn.on(ListExecutionsCommand, { stateMachineArn: DESTROY_ARN }).resolves({
      executions: [
        {
          executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:DestroyVmStateMachineDEF:0f6e-console',
          stateMachineArn: DESTROY_ARN,
          name: '0f6e-console',
          status: 'RUNNING',
          startDate: at(20),
        },
      ],
    });
    sfn.on(DescribeExecutionCommand).resolves({ input: '{"hostname":"db2","dnsZone":"example.internal"}' } as never);
    const { code, out } = await run('list');
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^MACHINE\s+HOSTNAME\s+STATUS\s+STARTED\s+DURATION\s+EXECUTION$/);
    expect(lines[1]).toMatch(/^destroy-vm\s+db2\s+RUNNING\s+2026-11-27 10:20:00/);
    expect(lines[2]).toMatch(/^create-vm\s+web1\s+SUCCEEDED\s+2026-11-27 10:15:00\s+2m00s/);
  });

  test('logs: the error, the cause, the failing step and its Lambda lines for this execution', async () => {
    replay('create-failed');
    cfn.on(DescribeStackResourcesCommand).resolves({
      StackResources: [
        {
          LogicalResourceId: 'StepsWaitForHostnameLogs1A2B3C4D',
          PhysicalResourceId: 'InstanceLifecycle-StepsWaitForHostnameLogs1A2B-x9',
          ResourceType: 'AWS::Logs::LogGroup',
          Timestamp: new Date(),
          ResourceStatus: 'CREATE_COMPLETE',
        },
      ],
    });
    const line = '{"level":"ERROR","step":"WaitForHostname","message":"step failed"}';
    logs.on(FilterLogEventsCommand).resolves({ events: [{ message: `${line}\n` }] });
    const { code, out } = await run('logs', EXECUTION);
    expect(code).toBe(1);
    expect(out).toMatch(/FAILED: CommandFailed: command [\w-]+ ended Failed: injected command failure/);
    expect(out).toContain('failed step: WaitForHostname (log group InstanceLifecycle-StepsWaitForHostnameLogs1A2B-x9)');
    expect(out).toContain(line);
    expect(logs.commandCalls(FilterLogEventsCommand)[0].args[0].input).toMatchObject({
      logGroupName: 'InstanceLifecycle-StepsWaitForHostnameLogs1A2B-x9',
      filterPattern: '{ $.execution = "create-web1-20261127T101500Z-3fa2c1" }',
    });
  });
});

describe('one clear line for what goes wrong', () => {
  test('a stack that is not deployed', async () => {
    cfn
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    const { code, err } = await run(
      'create',
      '--hostname',
      'web1',
      '--zone',
      'example.internal',
      '--stack-name',
      'Nope',
    );
    expect(code).toBe(1);
    expect(err).toBe(
      'instance-lifecycle create: stack Nope is not deployed in eu-west-1: run `npx cdk deploy`, or pass --stack-name or --state-machine-arn',
    );
  });

  test('access denied, and no credentials', async () => {
    sfn.on(StartExecutionCommand).rejects(
      Object.assign(
        new Error('User: arn:aws:iam::123456789012:user/ci is not authorized to perform: states:StartExecution'),
        {
          name: 'AccessDeniedException',
        },
      ),
    );
    const denied = await run('create', '--hostname', 'web1', '--zone', 'example.internal');
    expect(denied.err).toMatch(/^instance-lifecycle create: access denied: User: .* states:StartExecution$/);
    expect(denied.err.split('\n')).toHaveLength(1);

    cfn
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      );
    const anonymous = await run('list');
    expect(anonymous).toMatchObject({
      code: 1,
      err: 'instance-lifecycle list: no AWS credentials: set AWS_PROFILE, run `aws configure` or `aws sso login`',
    });
  });

  test('bad usage is exit 2', async () => {
    expect((await run('status')).code).toBe(2);
    expect((await run('status', 'not-an-arn')).err).toContain('not a Step Functions execution ARN');
    expect((await run('create', '--hostname', 'web1', '--zone', 'a.b', '--verbose')).code).toBe(2);
    expect((await run('create', '--hostname', 'web1', '--zone', 'a.b', '--local', '--no-wait')).code).toBe(2);
  });
});

describe('defaults', () => {
  const NAME = '/instance-lifecycle/InstanceLifecycle/defaults';
  beforeEach(() => {
    ssm
      .on(GetParameterCommand, { Name: NAME })
      .resolves({ Parameter: { Value: '{"instanceType":"t3.micro","ttl":300}' } });
  });

  test('get prints the stored defaults', async () => {
    const { code, out } = await run('defaults', 'get');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ instanceType: 't3.micro', ttl: 300 });
  });

  test('set merges, checks and writes; KEY= removes a key', async () => {
    const { code, out } = await run(
      'defaults',
      'set',
      'instanceType=t3.small',
      'ttl=',
      'tags.team=infra',
      'securityGroupIds=sg-0123456789abcdef0,sg-0123456789abcdef1',
    );
    expect(code).toBe(0);
    const written = JSON.parse(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value ?? '');
    expect(written).toEqual({
      instanceType: 't3.small',
      tags: { team: 'infra' },
      securityGroupIds: ['sg-0123456789abcdef0', 'sg-0123456789abcdef1'],
    });
    expect(JSON.parse(out)).toEqual(written);
  });

  test('a bad value is refused with the field named, and nothing is written', async () => {
    const { code, err } = await run('defaults', 'set', 'instanceType=huge;rm');
    expect(code).toBe(1);
    expect(err).toMatch(/^instance-lifecycle defaults: InvalidInput: instanceType: /);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  });
});

test('history reading: retries, catches and failures, each state once', () => {
  const { events } = fixture('create-failed');
  const reader = new HistoryReader();
  const half = Math.floor(events.length / 2);
  const steps = [...reader.read(events.slice(0, half)), ...reader.read(events), ...reader.read(events.slice(half))];
  const lines = steps.map((s) => `${s.name}:${s.status}`);
  expect(lines.filter((l) => l === 'ValidateInput:Succeeded')).toHaveLength(1);
  expect(lines).toContain('LaunchInstance:Retried');
  expect(lines.indexOf('WaitForHostname:Failed')).toBeLessThan(lines.indexOf('HostAndDns:Failed'));
  expect(lines.indexOf('HostAndDns:Failed')).toBeLessThan(lines.indexOf('Provision:Caught'));
  expect(lines.indexOf('Provision:Caught')).toBeLessThan(lines.indexOf('RollBack:Succeeded'));
  expect(lines).not.toContain('Provision:Succeeded');
  expect(lines[lines.length - 1]).toBe('CreateFailed:Failed');
  expect(failingTask(events)).toBe('WaitForHostname');
});

test('execution names are readable and within Step Functions limits', () => {
  const name = executionName('create', { hostname: 'web1' }, new Date(Date.UTC(2026, 10, 27, 10, 15)));
  expect(name).toMatch(/^create-web1-20261127T101500Z-[0-9a-f]{6}$/);
  expect(executionName('destroy', { hostname: 'a'.repeat(63) }).length).toBeLessThanOrEqual(80);
});

test.each(FIXTURES)('fixture %s is a recorded history of states the current definitions have', (name) => {
  const raw = rawFixture(name);
  expect(raw.recorded).toMatch(/^by npm run record-histories, from the emulator's Step Functions API/);
  const workflow = name.startsWith('create') ? 'create' : 'destroy';
  const known = new Set(allStates(definitions()[workflow]).map(([state]) => state));
  const entered = raw.events.flatMap((e) =>
    e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [],
  );
  expect(entered.length).toBeGreaterThan(5);
  expect(entered.filter((state) => !known.has(state))).toEqual([]);
  // What a Lambda-ARN task records on AWS, not the TaskScheduled of a service integration.
  expect(raw.events.some((e) => e.type === 'LambdaFunctionScheduled')).toBe(true);
  expect(raw.events.some((e) => e.type === 'TaskScheduled')).toBe(false);
});
