/** The synthesized destroy-vm state machine, run by the local interpreter against the emulator. */

import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { readableCause } from '../src/cli/output';
import { clientConfig } from '../src/emulator/account';
import { ensureZone } from '../src/emulator/seed';
import type { ExecutionResult } from '../src/engine/local-engine';
import { Harness, ZONE } from '../src/harness';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

const run = (workflow: 'create' | 'destroy', input: Record<string, unknown>) =>
  h.engine.run(workflow, { pollIntervalSeconds: 0, ...input });

function output(result: ExecutionResult): Record<string, unknown> {
  if (result.status !== 'SUCCEEDED') throw new Error(`${result.error}: ${result.cause}`);
  return result.output as Record<string, unknown>;
}

async function putRecord(name: string, value: string): Promise<void> {
  await new Route53Client(clientConfig(h.url)).send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: await ensureZone(h.url, ZONE),
      ChangeBatch: {
        Changes: [
          {
            Action: 'CREATE',
            ResourceRecordSet: { Name: name, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: value }] },
          },
        ],
      },
    }),
  );
}

test('destroy by hostname terminates the instance and removes its record', async () => {
  const created = output(await run('create', { hostname: 'web1', dnsZone: ZONE }));
  const removed = output(await run('destroy', { hostname: 'web1', dnsZone: ZONE })).removed as Record<string, unknown>;
  expect(removed).toMatchObject({ instanceId: created.instanceId, fqdn: 'web1.example.internal' });
  expect(await h.liveInstances()).toHaveLength(0);
  expect(await h.hostRecords()).toHaveLength(0);
});

test('destroy by instanceId finds the record through the fqdn tag', async () => {
  const created = output(await run('create', { hostname: 'web1', dnsZone: ZONE }));
  output(await run('destroy', { instanceId: created.instanceId }));
  expect(await h.liveInstances()).toHaveLength(0);
  expect(await h.hostRecords()).toHaveLength(0);
});

test("a lease's destroy (hostname and instanceId) never destroys a later host of that name", async () => {
  const first = output(await run('create', { hostname: 'web1', dnsZone: ZONE }));
  output(await run('destroy', { hostname: 'web1', dnsZone: ZONE }));
  const second = output(await run('create', { hostname: 'web1', dnsZone: ZONE }));
  const stale = await run('destroy', { hostname: 'web1', dnsZone: ZONE, instanceId: first.instanceId });
  expect(stale).toMatchObject({ status: 'FAILED', error: 'HostNotFound' });
  const other = await run('destroy', { hostname: 'web2', dnsZone: ZONE, instanceId: second.instanceId });
  expect(other).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
  expect(readableCause((other as { cause: string }).cause)).toMatch(
    new RegExp(
      `^instanceId: ${second.instanceId} is not web2.example.internal: its lifecycle:fqdn tag is web1.example.internal`,
    ),
  );
  expect((await h.liveInstances()).map((i) => i.InstanceId)).toEqual([second.instanceId]);
  expect(await h.hostRecords()).toHaveLength(1);
  const removed = output(await run('destroy', { hostname: 'web1', dnsZone: ZONE, instanceId: second.instanceId }));
  expect(removed.removed).toMatchObject({ instanceId: second.instanceId, fqdn: 'web1.example.internal' });
  expect(await h.liveInstances()).toHaveLength(0);
  expect(await h.hostRecords()).toHaveLength(0);
});

test('destroy twice: the second run is HostNotFound, not a crash', async () => {
  output(await run('create', { hostname: 'web1', dnsZone: ZONE }));
  output(await run('destroy', { hostname: 'web1', dnsZone: ZONE }));
  const again = await run('destroy', { hostname: 'web1', dnsZone: ZONE });
  expect(again).toMatchObject({ status: 'FAILED', error: 'HostNotFound' });
});

test('create after destroying the same hostname works', async () => {
  output(await run('create', { hostname: 'web1', dnsZone: ZONE }));
  output(await run('destroy', { hostname: 'web1', dnsZone: ZONE }));
  output(await run('create', { hostname: 'web1', dnsZone: ZONE }));
  expect(await h.liveInstances()).toHaveLength(1);
  expect(await h.hostRecords()).toHaveLength(1);
});

test('a record without an instance is cleaned', async () => {
  await putRecord('old.example.internal', 'ip-10-0-9-9.ec2.internal');
  const removed = output(await run('destroy', { hostname: 'old', dnsZone: ZONE })).removed as Record<string, unknown>;
  expect(removed.instanceId).toBeUndefined();
  expect(await h.hostRecords()).toHaveLength(0);
});

test('an instance without a record is terminated', async () => {
  const created = output(await run('create', { hostname: 'web1', dnsZone: ZONE }));
  const record = (await h.hostRecords())[0];
  await new Route53Client(clientConfig(h.url)).send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: await ensureZone(h.url, ZONE),
      ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: record }] },
    }),
  );
  const removed = output(await run('destroy', { hostname: 'web1', dnsZone: ZONE })).removed as Record<string, unknown>;
  expect(removed.instanceId).toBe(created.instanceId);
  expect(await h.liveInstances()).toHaveLength(0);
});

test('an instance without the ManagedBy tag is refused (NotManaged) and left running', async () => {
  const ec2 = new EC2Client(clientConfig(h.url));
  const launched = await ec2.send(
    new RunInstancesCommand({ ImageId: 'ami-0ed094fb1304fd857', MinCount: 1, MaxCount: 1 }),
  );
  const instance = launched.Instances?.[0];
  await putRecord('legacy.example.internal', instance?.PrivateDnsName ?? '');
  const result = await run('destroy', { hostname: 'legacy', dnsZone: ZONE });
  expect(result).toMatchObject({ status: 'FAILED', error: 'NotManaged' });
  expect((await h.liveInstances()).map((i) => i.InstanceId)).toEqual([instance?.InstanceId]);
  expect(await h.hostRecords()).toHaveLength(1);
});

test('force is refused where the deployment does not allow it', async () => {
  const result = await run('destroy', { hostname: 'web1', dnsZone: ZONE, force: true });
  expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
  expect(readableCause((result as { cause: string }).cause)).toMatch(/^force: /);
});

test('a hostname with neither record nor instance is HostNotFound', async () => {
  expect(await run('destroy', { hostname: 'ghost', dnsZone: ZONE })).toMatchObject({
    status: 'FAILED',
    error: 'HostNotFound',
  });
});

test('bad destroy input is a named error', async () => {
  expect(await run('destroy', { hostname: 'a;reboot', dnsZone: ZONE })).toMatchObject({ error: 'InvalidInput' });
  expect(await run('destroy', { hostname: 'web1', dnsZone: ZONE, extra: 1 })).toMatchObject({ error: 'InvalidInput' });
});
