/** End to end: the `lifecycle` command as a user runs it, against the emulator. */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { DeleteParameterCommand, DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clientConfig } from '../src/emulator/account';
import { PROJECT_ROOT } from '../src/engine/synth';
import { Harness, tag, ZONE } from '../src/harness';

const CLI = path.join(PROJECT_ROOT, 'cli', 'lifecycle.js');

function lifecycle(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { cwd: PROJECT_ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

test('create then destroy through the CLI leaves the emulator as each promises', async () => {
  const local = ['--local', '--endpoint', h.url, '--poll-interval', '0'];
  const created = await lifecycle('create', '--hostname', 'web1', '--zone', ZONE, '--tag', 'env=test', ...local);
  expect(created.stderr).not.toMatch(/error|fail/i);
  expect(created.code).toBe(0);
  for (const state of ['ValidateInput', 'LaunchInstance', 'RegisterDns', 'SetHostname', 'WaitUntilRebooted', 'Done']) {
    expect(created.stdout).toMatch(new RegExp(`^  ${state}\\s+\\w+\\s+Succeeded\\s+[\\d.]+ s$`, 'm'));
  }

  const [instance] = await h.liveInstances();
  expect(instance.State?.Name).toBe('running');
  expect(tag(instance, 'Name')).toBe('web1');
  expect(tag(instance, 'ManagedBy')).toBe('instance-lifecycle');
  expect(tag(instance, 'env')).toBe('test');
  const records = await h.hostRecords();
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({
    Name: 'web1.example.internal.',
    ResourceRecords: [{ Value: instance.PrivateDnsName }],
  });
  const sent = h.emulator.proxy.commands;
  expect(sent.map((c) => c.instanceIds)).toEqual(sent.map(() => [instance.InstanceId]));
  expect(sent[0].commands).toContain("hostnamectl set-hostname 'web1.example.internal'");

  const destroyed = await lifecycle('destroy', '--hostname', 'web1', '--zone', ZONE, ...local);
  expect(destroyed.code).toBe(0);
  expect(destroyed.stdout).toMatch(/^ {2}TerminateInstance\s+Task\s+Succeeded/m);
  expect((await h.instances()).map((i) => i.State?.Name)).toEqual(['terminated']);
  expect(await h.hostRecords()).toHaveLength(0);
});

test('a failed execution exits 1 with the error name and cause on stderr, and creates nothing', async () => {
  // A zone the account lacks: only the workflow can find that out.
  const run = await lifecycle(
    'create',
    '--hostname',
    'web1',
    '--zone',
    'nowhere.internal',
    '--local',
    '--endpoint',
    h.url,
  );
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/ValidateInput\s+Task\s+Failed/);
  expect(run.stderr).toMatch(/^create-vm failed: ZoneNotFound: dnsZone: no hosted zone named nowhere\.internal/m);
  expect(await h.instances()).toHaveLength(0);
});

test('a mistake the input contract catches is refused before the execution starts (exit 2)', async () => {
  const run = await lifecycle('create', '--hostname', '$(id)', '--zone', ZONE, '--local', '--endpoint', h.url);
  expect(run).toMatchObject({ code: 2, stdout: '' });
  expect(run.stderr).toMatch(/^instance-lifecycle create: InvalidInput: hostname: "\$\(id\)" is not a DNS label/);
  expect(await h.instances()).toHaveLength(0);
});

test('--json prints only the output', async () => {
  const run = await lifecycle(
    'create',
    '--hostname',
    'web2',
    '--zone',
    ZONE,
    '--local',
    '--endpoint',
    h.url,
    '--json',
    '--poll-interval',
    '0',
  );
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ fqdn: 'web2.example.internal', recordType: 'CNAME' });
});

test('bad usage exits 2 and says why', async () => {
  const unknown = await lifecycle('create', '--hostnme', 'web1');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("unknown option '--hostnme' (did you mean --hostname?)");
  // Without --local, --endpoint is the Step Functions API of an emulator: this one has no stack.
  const noStack = await lifecycle('create', '--hostname', 'web1', '--zone', ZONE, '--endpoint', h.url);
  expect(noStack.code).toBe(1);
  expect(noStack.stderr).toContain(`stack InstanceLifecycle is not deployed at ${h.url}`);
  expect(noStack.stderr).toContain('--local');
  expect((await lifecycle('frobnicate')).code).toBe(2);
  expect((await lifecycle('create', '--help')).stdout).toContain('--ssh-public-key');
});

test('without --endpoint, local mode starts its own emulator and stops it', async () => {
  const run = await lifecycle(
    'create',
    '--hostname',
    'solo',
    '--zone',
    'solo.internal',
    '--local',
    '--json',
    '--poll-interval',
    '0',
  );
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toMatchObject({ fqdn: 'solo.solo.internal' });
  // Its emulator was its own: nothing reached the shared one.
  expect(await h.instances()).toHaveLength(0);
});

test('defaults set on the emulator are used by the next create, and its output says so', async () => {
  const local = ['--local', '--endpoint', h.url];
  const set = await lifecycle('defaults', 'set', 'instanceType=t3.small', 'tags.team=platform', 'ttl=60', ...local);
  expect(set.code).toBe(0);
  expect(JSON.parse(set.stdout)).toMatchObject({ instanceType: 't3.small', ttl: 60, tags: { team: 'platform' } });
  const got = await lifecycle('defaults', 'get', ...local);
  expect(JSON.parse(got.stdout)).toEqual(JSON.parse(set.stdout));

  const created = await lifecycle(
    'create',
    '--hostname',
    'web3',
    '--zone',
    ZONE,
    '--json',
    '--poll-interval',
    '0',
    ...local,
  );
  expect(created.code).toBe(0);
  expect(JSON.parse(created.stdout).fromDefaults).toEqual(expect.arrayContaining(['instanceType', 'ttl', 'tags']));
  const [instance] = await h.liveInstances();
  expect(instance.InstanceType).toBe('t3.small');
  expect(tag(instance, 'team')).toBe('platform');
  expect((await h.hostRecords())[0].TTL).toBe(60);
});

test('--bootstrap-command runs after the reboot and its output is in the result', async () => {
  const local = ['--local', '--endpoint', h.url, '--poll-interval', '0', '--json'];
  const run = await lifecycle(
    'create',
    '--hostname',
    'web4',
    '--zone',
    ZONE,
    '--bootstrap-command',
    'dnf install -y nginx',
    '--bootstrap-command',
    'echo done',
    ...local,
  );
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout).bootstrap).toMatchObject({ commandStatus: 'Success', output: 'done\n' });
  const last = h.emulator.proxy.commands[h.emulator.proxy.commands.length - 1];
  expect(last.commands).toEqual(['dnf install -y nginx', 'echo done']);
});

test('--hostnames creates a fleet in one execution and destroys it in another', async () => {
  const local = ['--local', '--endpoint', h.url, '--poll-interval', '0', '--json'];
  const created = await lifecycle('create', '--hostnames', 'app1,app2', '--zone', ZONE, ...local);
  expect(created.code).toBe(0);
  expect(JSON.parse(created.stdout)).toMatchObject({ succeeded: 2, failed: 0 });
  expect((await h.liveInstances()).length).toBe(2);
  const destroyed = await lifecycle('destroy', '--hostnames', 'app1,app2', '--zone', ZONE, ...local);
  expect(destroyed.code).toBe(0);
  expect(await h.liveInstances()).toHaveLength(0);
  expect(await h.hostRecords()).toHaveLength(0);
});

test('defaults on an emulator nothing has run on yet start from what the stack seeds', async () => {
  await new SSMClient(clientConfig(h.url)).send(
    new DeleteParameterCommand({ Name: h.engine.deployment.defaults.name }),
  );
  const got = await lifecycle('defaults', 'get', '--local', '--endpoint', h.url);
  expect(got.code).toBe(0);
  expect(JSON.parse(got.stdout)).toEqual(JSON.parse(h.engine.deployment.defaults.value));
});

test('defaults over the Standard tier go to the Advanced tier; over 8 KB they are refused, nothing written', async () => {
  const local = ['--local', '--endpoint', h.url];
  // Two bootstrap lines of 2,400 characters: the defaults no longer fit a Standard parameter.
  const line = `echo '${'x'.repeat(2390)}'`;
  const set = await lifecycle('defaults', 'set', `bootstrap={"commands":["${line}","${line}"]}`, ...local);
  expect(set.code).toBe(0);
  expect(set.stderr).toMatch(/Advanced parameter/);
  const tier = await new SSMClient(clientConfig(h.url)).send(
    new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [h.engine.deployment.defaults.name] }] }),
  );
  expect(tier.Parameters?.[0]?.Tier).toBe('Advanced');
  const huge = await lifecycle(
    'defaults',
    'set',
    `bootstrap={"commands":${JSON.stringify(Array(4).fill(line))}}`,
    ...local,
  );
  expect(huge.code).toBe(1);
  expect(huge.stderr).toMatch(/InvalidInput: defaults: are \d+ characters of JSON; a parameter holds at most 8192/);
  const got = await lifecycle('defaults', 'get', ...local);
  expect(JSON.parse(got.stdout).bootstrap.commands).toHaveLength(2);
});
