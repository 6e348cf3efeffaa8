/**
 * The Step Functions API on the emulator: the stack deployed into moto as `cdk deploy` would, its
 * machines run by moto's ASL engine, found through `describe-stacks`, driven by the tools users
 * drive AWS with: the README's aws CLI loop, the project's CLI without --local, StopExecution.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeStateMachineCommand, ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { clientConfig } from '../src/emulator/account';
import { PROJECT_ROOT } from '../src/engine/synth';
import { Harness, STACK_NAME, ZONE } from '../src/harness';

const run = promisify(execFile);
const h = new Harness();
beforeAll(() => h.start({ stack: true }));
afterAll(() => h.stop());
beforeEach(() => h.reset());

/**
 * A `sleep` first on the PATH that sleeps a tenth of what it is asked: the README's loop polls every
 * 10 s, and a create here takes seconds. The script itself runs as written.
 */
const SHIMS = mkdtempSync(path.join(tmpdir(), 'lifecycle-shims-'));
writeFileSync(path.join(SHIMS, 'sleep'), '#!/bin/sh\nexec /bin/sleep "$(awk "BEGIN { print $1 / 10 }")"\n', {
  mode: 0o755,
});
afterAll(() => rmSync(SHIMS, { recursive: true, force: true }));

/** The environment a CI job has, pointed at the emulator: only the endpoint is new. */
function ciEnvironment(): NodeJS.ProcessEnv {
  return {
    PATH: `${SHIMS}:${process.env.PATH}`,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL: h.url,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  };
}

/** The shell block under a README heading. */
function readmeBlock(heading: string): string {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.split(`### ${heading}\n`)[1];
  const block = /```sh\n([\s\S]*?)```/.exec(section ?? '');
  if (!block) throw new Error(`README has no sh block under "### ${heading}"`);
  return block[1];
}

/** `npx lifecycle ARGS` as an operator types it, against the emulator. */
function lifecycle(...args: string[]) {
  return run(process.execPath, [path.join(PROJECT_ROOT, 'cli', 'lifecycle.js'), ...args, '--endpoint', h.url], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, AWS_ENDPOINT_URL: '', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '', AWS_REGION: '' },
  }).catch((error: { code: number; stdout: string; stderr: string }) => error);
}

test("the README's 'From CI with the aws CLI' loop creates a host on the emulator", async () => {
  const script = readmeBlock('From CI with the aws CLI');
  const out = await run('bash', ['-euo', 'pipefail', '-c', script], { env: ciEnvironment(), timeout: 120_000 });
  // The last describe-execution: [status, error, cause, output].
  const [status, error, , output] = JSON.parse(out.stdout.slice(out.stdout.indexOf('[')));
  expect({ status, error }).toEqual({ status: 'SUCCEEDED', error: null });
  const host = await h.host('web1');
  expect(host.live).toHaveLength(1);
  expect(host.records).toHaveLength(1);
  expect(JSON.parse(output)).toMatchObject({ instanceId: host.live[0].InstanceId, fqdn: 'web1.example.internal' });
  expect(host.records[0].ResourceRecords?.[0].Value).toBe(host.live[0].PrivateDnsName);
}, 120_000);

test('the machines the API runs are the stack CloudFormation deployed, Lambda ARNs substituted', async () => {
  const arn = h.api.machineArn('create');
  const { definition } = await h.api.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
  const lambdas = [...(definition ?? '').matchAll(/arn:aws:lambda:us-east-1:123456789012:function:[\w-]+/g)];
  expect(lambdas.length).toBeGreaterThan(5);
  expect(definition).not.toContain('Fn::');
  expect(h.emulator.proxy.stack?.stackName).toBe(STACK_NAME);
});

test('lifecycle create, status, logs and destroy without --local run through the Step Functions API', async () => {
  const created = await lifecycle('create', '--hostname', 'web2', '--zone', ZONE);
  expect(created.stderr).toBe('');
  expect(created.stdout).toMatch(/WaitUntilRebooted\s+Task\s+Succeeded/);
  const executionArn = /(arn:aws:states:\S+:execution:\S+)/.exec(created.stdout)?.[1] ?? '';
  expect(executionArn).toContain(':execution:InstanceLifecycle-CreateVm');
  expect((await h.host('web2')).live).toHaveLength(1);

  const status = await lifecycle('status', executionArn);
  expect(status.stdout).toMatch(/RegisterDns\s+Task\s+Succeeded/);
  expect(status.stdout).toContain('"fqdn": "web2.example.internal"');

  const listed = await lifecycle('list');
  expect(listed.stdout).toMatch(new RegExp(`create-vm\\s+web2\\s+SUCCEEDED.*${executionArn}`));

  const destroyed = await lifecycle('destroy', '--hostname', 'web2', '--zone', ZONE);
  expect(destroyed.stdout).toMatch(/RemoveDns\s+Task\s+Succeeded/);
  expect(await h.host('web2')).toMatchObject({ live: [], records: [] });
}, 120_000);

test('lifecycle status --endpoint follows an execution the API started, to its end', async () => {
  // The agent takes a few polls to come Online: the execution is still running when status starts.
  h.faults([{ kind: 'agent-offline', operation: 'DescribeInstanceInformation', step: 'WaitUntilManaged', times: 8 }]);
  const execution = await h.api.start('create', { hostname: 'web4', dnsZone: ZONE });
  const status = await lifecycle('status', execution.executionArn);
  expect(status).toMatchObject({ stderr: '' });
  expect(status.stdout.match(/^ {2}ValidateInput\s/gm)).toHaveLength(1);
  expect(status.stdout).toMatch(/^ {2}WaitUntilManaged\s+Task\s+Succeeded/m);
  expect(status.stdout).toMatch(/^ {2}WaitUntilRebooted\s+Task\s+Succeeded/m);
  expect(status.stdout).toContain('"fqdn": "web4.example.internal"');
  expect((await execution.result).status).toBe('SUCCEEDED');
}, 90_000);

test('boto3 finds the machine through describe-stacks and runs it', async () => {
  const script = `
import boto3, json, time
cfn = boto3.client("cloudformation")
outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="InstanceLifecycle")["Stacks"][0]["Outputs"]}
sfn = boto3.client("stepfunctions")
arn = sfn.start_execution(stateMachineArn=outputs["DestroyVmStateMachineArn"], input=json.dumps({"hostname": "nobody", "dnsZone": "example.internal"}))["executionArn"]
while (d := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
    time.sleep(0.2)
print(json.dumps({"status": d["status"], "error": d.get("error")}))
`;
  const out = await run('python3', ['-c', script], { env: ciEnvironment(), timeout: 60_000 });
  expect(JSON.parse(out.stdout)).toEqual({ status: 'FAILED', error: 'HostNotFound' });
}, 60_000);

test("a failed create's step logs reach the function's log group, and lifecycle logs shows them", async () => {
  await h.seedHost('taken');
  const created = await lifecycle('create', '--hostname', 'taken', '--zone', ZONE);
  expect(created).toMatchObject({ code: 1 });
  const executionArn = /(arn:aws:states:\S+:execution:\S+)/.exec(created.stdout)?.[1] ?? '';
  const logs = await lifecycle('logs', executionArn);
  expect(logs.stdout).toContain('failed step: ValidateInput (log group InstanceLifecycle-StepsValidateInputLogs');
  expect(logs.stdout).toMatch(/"step":"ValidateInput".*"error":\{"name":"HostnameTaken"/);
  const group = /log group (\S+)\)/.exec(logs.stdout)?.[1];
  const events = await new CloudWatchLogsClient(clientConfig(h.url)).send(
    new FilterLogEventsCommand({ logGroupName: group }),
  );
  expect(events.events?.some((e) => e.message?.includes(executionArn))).toBe(true);
}, 60_000);

test('a create stopped with StopExecution after its launch is cleaned up: no instance, no record', async () => {
  h.faults([{ kind: 'agent-offline', operation: 'DescribeInstanceInformation', step: 'WaitUntilManaged' }]);
  const execution = await h.api.start('create', { hostname: 'web3', dnsZone: ZONE });
  for (let i = 0; (await h.host('web3')).live.length === 0; i++) {
    if (i > 200) throw new Error('the create never launched');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await execution.stop('Operator', 'stopped by hand');
  expect(await execution.result).toMatchObject({ status: 'ABORTED', error: 'Operator' });
  h.faults([]);
  // The ABORTED event reaches the clean-up rule; the clean-up execution removes what the create made.
  const cleanUp = await until(async () => {
    const started = h.emulator.proxy.statusChanges.published.filter(
      (e) => e.detail.stateMachineArn === h.api.machineArn('cleanUp') && e.detail.status !== 'RUNNING',
    );
    return started.find((e) => JSON.parse(e.detail.input).executionId === execution.executionArn);
  }, 60_000);
  expect(cleanUp.detail.status).toBe('SUCCEEDED');
  const host = await h.host('web3');
  expect(host.launched).toHaveLength(1);
  expect({ live: host.live.length, records: host.records.length }).toEqual({ live: 0, records: 0 });
}, 90_000);

test("Lambda Invoke answers a handler's error as Lambda does: 200, Unhandled, the runtime's error JSON", async () => {
  const { definition } = await h.api.sfn.send(
    new DescribeStateMachineCommand({ stateMachineArn: h.api.machineArn('create') }),
  );
  const validate = /function:(InstanceLifecycle-StepsValidateInput[\w-]+)/.exec(definition ?? '')?.[1];
  const out = await new LambdaClient(clientConfig(h.url)).send(
    new InvokeCommand({
      FunctionName: validate,
      Payload: Buffer.from(JSON.stringify({ input: { hostname: 'bad_name', dnsZone: ZONE } })),
    }),
  );
  expect(out).toMatchObject({ StatusCode: 200, FunctionError: 'Unhandled' });
  const payload = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString());
  expect(payload).toMatchObject({ errorType: 'InvalidInput', errorMessage: expect.stringContaining('bad_name') });
  expect(payload.trace[0]).toMatch(/^InvalidInput: /);
});

test('a reset deploys the stack again: the machines run after it', async () => {
  await h.reset();
  const { stateMachines } = await h.api.sfn.send(new ListStateMachinesCommand({}));
  expect(stateMachines?.map((m) => m.stateMachineArn).sort()).toEqual(
    Object.values(h.emulator.proxy.stack?.stateMachines ?? {}).sort(),
  );
  expect(stateMachines).toHaveLength(5);
  const result = await h.api.run('destroy', { hostname: 'nobody', dnsZone: ZONE });
  expect(result).toMatchObject({ status: 'FAILED', error: 'HostNotFound' });
}, 60_000);

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
