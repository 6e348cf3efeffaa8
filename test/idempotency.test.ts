/**
 * No duplicate on retry, no double ownership of a name: the promises that let an operator press
 * "start" again without thinking, proven against the emulator with the real state machines.
 */
import { EXECUTION_TAG } from '../lambdas/lib/contract';
import { Harness, tag, ZONE } from '../src/harness';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

const create = (hostname: string) => h.engine.run('create', { hostname, dnsZone: ZONE, pollIntervalSeconds: 0 });

test('a RunInstances whose response is lost after EC2 launched is retried with the same ClientToken: one instance', async () => {
  h.faults([{ kind: 'error', operation: 'RunInstances', code: 'InternalError', after: true, times: 1 }]);
  expect((await create('web1')).status).toBe('SUCCEEDED');
  expect(h.emulator.proxy.calls.get('RunInstances')).toBe(2);
  expect(await h.instances()).toHaveLength(1);
});

test('a Route 53 CREATE whose response is lost is not mistaken for somebody else taking the name', async () => {
  h.faults([{ kind: 'error', operation: 'ChangeResourceRecordSets', code: 'InternalError', after: true, times: 1 }]);
  const result = await create('web1');
  expect(result.status).toBe('SUCCEEDED');
  const host = await h.host('web1');
  expect({ launched: host.launched.length, records: host.records.length }).toEqual({ launched: 1, records: 1 });
  expect(host.records[0].ResourceRecords).toEqual([{ Value: host.live[0].PrivateDnsName }]);
});

test.each([1, 2, 3])(
  'two creates of the same hostname at once (round %i): one instance, one record, the other HostnameTaken',
  async (round) => {
    const hostname = `twin${round}`;
    const results = await Promise.all([create(hostname), create(hostname)]);
    const succeeded = results.filter((r) => r.status === 'SUCCEEDED');
    const failed = results.filter((r) => r.status === 'FAILED');
    expect(succeeded).toHaveLength(1);
    expect(failed).toEqual([expect.objectContaining({ error: 'HostnameTaken' })]);

    const host = await h.host(hostname);
    expect(host.live).toHaveLength(1);
    expect(tag(host.live[0], EXECUTION_TAG)).toBe(succeeded[0].executionId);
    expect(host.records).toHaveLength(1);
    expect(host.records[0].ResourceRecords).toEqual([{ Value: host.live[0].PrivateDnsName }]);
  },
);

test('a second create of a live hostname is refused before launch and changes nothing', async () => {
  expect((await create('web1')).status).toBe('SUCCEEDED');
  const before = await h.host('web1');
  const launches = h.emulator.proxy.calls.get('RunInstances');
  expect(await create('web1')).toMatchObject({ status: 'FAILED', error: 'HostnameTaken' });
  expect(h.emulator.proxy.calls.get('RunInstances')).toBe(launches);
  expect(await h.host('web1')).toEqual(before);
});
