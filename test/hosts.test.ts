/**
 * `instance-lifecycle hosts`: the inventory as EC2 and Route 53 hold it, on the emulator, after
 * real creates, and after changes made behind the workflows' back.
 */
import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { age, type Host, type Inventory } from '../src/cli/deployed/hosts';
import { main } from '../src/cli/main';
import { clientConfig } from '../src/emulator/account';
import { ensureZone } from '../src/emulator/seed';
import { Harness, tag, ZONE } from '../src/harness';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

async function hosts(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['hosts', '--endpoint', h.url, ...args], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function inventory(...args: string[]): Promise<Inventory> {
  const ran = await hosts('--json', ...args);
  expect(ran.code).toBe(0);
  return JSON.parse(ran.out);
}

async function create(hostname: string) {
  const result = await h.engine.run('create', { hostname, dnsZone: ZONE, pollIntervalSeconds: 0 });
  expect(result.status).toBe('SUCCEEDED');
  return result;
}

async function upsert(name: string, value: string) {
  await new Route53Client(clientConfig(h.url)).send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: await ensureZone(h.url, ZONE),
      ChangeBatch: {
        Changes: [
          {
            Action: 'UPSERT',
            ResourceRecordSet: { Name: name, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: value }] },
          },
        ],
      },
    }),
  );
}

test('every live managed host with its instance, state, IP, age, record and the execution that made it', async () => {
  const web1 = await create('web1');
  await create('web2');
  const { hosts: found, orphans } = await inventory();
  expect(orphans).toBeUndefined();
  const [instance1] = (await h.liveInstances()).filter((i) => tag(i, 'Name') === 'web1');
  expect(found.map((x) => x.fqdn)).toEqual(['web1.example.internal', 'web2.example.internal']);
  expect(found[0]).toMatchObject<Partial<Host>>({
    hostname: 'web1',
    instanceId: instance1.InstanceId,
    state: 'running',
    privateIp: instance1.PrivateIpAddress,
    execution: web1.executionId,
    record: 'ok',
    recordValue: instance1.PrivateDnsName,
  });
  expect(found[0].ageSeconds).toBeGreaterThanOrEqual(0);
  expect(found[0].ageSeconds).toBeLessThan(600);

  const table = await hosts();
  expect(table.code).toBe(0);
  const [header, first] = table.out.split('\n');
  expect(header).toMatch(/^FQDN\s+INSTANCE\s+STATE\s+PRIVATE IP\s+AGE\s+EXPIRES\s+RECORD\s+EXECUTION$/);
  expect(first).toMatch(
    new RegExp(`^web1\\.example\\.internal\\s+${instance1.InstanceId}\\s+running\\s+[\\d.]+\\s+\\S+\\s+-\\s+ok\\s+`),
  );
});

test('a record that is missing or points elsewhere is said so; a destroyed host is gone', async () => {
  await create('web1');
  await create('web2');
  await create('web3');
  await upsert('web2.example.internal', 'somewhere.else.internal');
  const [web3] = (await h.liveInstances()).filter((i) => tag(i, 'Name') === 'web3');
  await new Route53Client(clientConfig(h.url)).send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: await ensureZone(h.url, ZONE),
      ChangeBatch: {
        Changes: [
          {
            Action: 'DELETE',
            ResourceRecordSet: {
              Name: 'web3.example.internal',
              Type: 'CNAME',
              TTL: 300,
              ResourceRecords: [{ Value: web3.PrivateDnsName ?? '' }],
            },
          },
        ],
      },
    }),
  );
  expect((await h.engine.run('destroy', { hostname: 'web1', dnsZone: ZONE, pollIntervalSeconds: 0 })).status).toBe(
    'SUCCEEDED',
  );
  const { hosts: found } = await inventory();
  expect(found.map((x) => [x.hostname, x.record, x.recordValue])).toEqual([
    ['web2', 'elsewhere', 'somewhere.else.internal'],
    ['web3', 'missing', undefined],
  ]);
  expect((await hosts()).out).toMatch(/web2\.example\.internal .* elsewhere \(somewhere\.else\.internal\)/);
});

test('--orphans finds the record of an instance terminated behind the workflow’s back', async () => {
  await create('web1');
  await create('web2');
  const [web1] = (await h.liveInstances()).filter((i) => tag(i, 'Name') === 'web1');
  expect((await inventory('--orphans')).orphans).toEqual([]);

  await new EC2Client(clientConfig(h.url)).send(
    new TerminateInstancesCommand({ InstanceIds: [web1.InstanceId ?? ''] }),
  );
  const after = await inventory('--orphans');
  expect(after.hosts.map((x) => x.hostname)).toEqual(['web2']);
  expect(after.orphans).toEqual([
    { name: 'web1.example.internal', type: 'CNAME', value: web1.PrivateDnsName, zone: ZONE },
  ]);
  // Only the zones named, when named.
  expect((await inventory('--orphans', '--zone', 'other.internal')).orphans).toEqual([]);

  const table = await hosts('--orphans');
  expect(table.out).toContain('1 orphan record(s): they point at no live managed instance');
  expect(table.out).toMatch(new RegExp(`web1\\.example\\.internal\\s+CNAME\\s+${web1.PrivateDnsName}`));
});

test('no hosts: an empty list, said on stderr', async () => {
  const ran = await hosts();
  expect(ran).toEqual({ code: 0, out: '', err: 'no live hosts managed by instance-lifecycle' });
});

test('ages read as people say them', () => {
  expect([40, 420, 5 * 3600 + 12 * 60, 3 * 86400 + 4 * 3600].map(age)).toEqual(['40s', '7m', '5h12m', '3d4h']);
});
