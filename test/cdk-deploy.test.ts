/**
 * `cdk deploy` to the emulator, as README's "Deploy to the emulator with the cdk CLI" has users do
 * it: `npm run deploy:local` drives the real cdk CLI (bootstrap, deploy --method=direct), the
 * machines CloudFormation created run a create and a destroy through the Step Functions API with
 * the code the deploy uploaded, then `cdk destroy` removes the stack.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { GetFunctionCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListScheduleGroupsCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeStateMachineCommand, ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { clientConfig } from '../src/emulator/account';
import { describeDeployed } from '../src/emulator/cloudformation';
import { ApiEngine } from '../src/emulator/executions';
import { PROJECT_ROOT } from '../src/engine/synth';
import { Harness, STACK_NAME, ZONE } from '../src/harness';
import { TEMPLATE_PATH } from '../src/harness/deployment';

const run = promisify(execFile);
const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());

function deployLocal(...args: string[]) {
  return run(
    process.execPath,
    [
      path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      path.join(PROJECT_ROOT, 'scripts', 'deploy-local.ts'),
      '--endpoint',
      h.url,
      ...args,
    ],
    { cwd: PROJECT_ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
  );
}

/** What the cdk CLI uploads: the assets manifest of the cloud assembly it deploys. */
function assets(): { files: Record<string, { destinations: Record<string, { objectKey: string }> }> } {
  return JSON.parse(readFileSync(path.join(path.dirname(TEMPLATE_PATH), `${STACK_NAME}.assets.json`), 'utf8'));
}

test('npm run deploy:local, a create and a destroy through the API, then cdk destroy', async () => {
  const deployed = await deployLocal();
  expect(deployed.stdout).toContain('bootstrapping aws://123456789012/us-east-1');
  // The cdk CLI's own report: on stderr, or on stdout where CI is set (the CLI's CI mode).
  expect(`${deployed.stdout}${deployed.stderr}`).toMatch(/✅ {2}InstanceLifecycle/);

  const stack = await describeDeployed(h.url, STACK_NAME);
  expect(Object.keys(stack.outputs).sort()).toEqual([
    'CleanUpStateMachineArn',
    'CreateFleetStateMachineArn',
    'CreateVmStateMachineArn',
    'DefaultsParameterName',
    'DestroyFleetStateMachineArn',
    'DestroyVmStateMachineArn',
    'LeaseRoleArn',
    'LeaseScheduleGroupName',
  ]);
  // The machine the API runs is the one CloudFormation created, its Lambda ARNs substituted, and
  // each function's code is the asset the cdk CLI uploaded to the bootstrap bucket.
  const api = new ApiEngine(h.url, () => stack);
  const { definition } = await api.sfn.send(
    new DescribeStateMachineCommand({ stateMachineArn: stack.outputs.CreateVmStateMachineArn }),
  );
  const validate = /arn:aws:lambda:us-east-1:123456789012:function:(InstanceLifecycle-StepsValidateInput[\w-]+)/.exec(
    definition ?? '',
  );
  expect(validate).not.toBeNull();
  const fn = await new LambdaClient(clientConfig(h.url)).send(new GetFunctionCommand({ FunctionName: validate?.[1] }));
  const uploaded = Object.values(assets().files).flatMap((a) => Object.values(a.destinations).map((d) => d.objectKey));
  expect(uploaded).toContain(path.basename(fn.Code?.Location ?? ''));

  const created = await api.run('create', { hostname: 'cdk1', dnsZone: ZONE, expiresIn: '1h' });
  expect(created).toMatchObject({ status: 'SUCCEEDED', output: { fqdn: 'cdk1.example.internal' } });
  expect(await h.host('cdk1')).toMatchObject({
    live: [expect.anything()],
    records: [expect.anything()],
    leases: [expect.objectContaining({ GroupName: stack.outputs.LeaseScheduleGroupName })],
  });
  const destroyed = await api.run('destroy', { hostname: 'cdk1', dnsZone: ZONE });
  expect(destroyed.status).toBe('SUCCEEDED');
  expect(await h.host('cdk1')).toMatchObject({ live: [], records: [], leases: [] });

  const again = await deployLocal().catch((error: { code: number; stderr: string }) => error);
  expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('InstanceLifecycle is already deployed') });

  const removed = await deployLocal('--destroy');
  expect(removed.stdout).toContain('destroying InstanceLifecycle');
  expect(`${removed.stdout}${removed.stderr}`).toContain('InstanceLifecycle: destroyed');
  expect((await api.sfn.send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
  expect((await new LambdaClient(clientConfig(h.url)).send(new ListFunctionsCommand({}))).Functions).toEqual([]);
  const groups = await new SchedulerClient(clientConfig(h.url)).send(new ListScheduleGroupsCommand({}));
  expect(groups.ScheduleGroups?.map((g) => g.Name)).toEqual(['default']);
}, 300_000);
