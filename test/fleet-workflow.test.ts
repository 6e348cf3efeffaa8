/**
 * create-fleet and destroy-fleet, synthesized and run locally: one execution of the single-host
 * machine per hostname, a failing host rolled back alone, every host's result in the output.
 */

import { readableCause } from '../src/cli/output';
import { definitions } from './support/deployment';
import { Harness, ZONE } from './support/emulator';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

interface FleetOutput {
  hosts: Array<{ hostname: string; status: string; error?: string; cause?: string; output?: { fqdn?: string } }>;
  succeeded: number;
  failed: number;
}

const steps: string[] = [];
async function fleet(workflow: 'createFleet' | 'destroyFleet', input: Record<string, unknown>) {
  const result = await h.engine.run(workflow, { dnsZone: ZONE, pollIntervalSeconds: 0, ...input }, (e) =>
    steps.push(`${e.name}:${e.status}`),
  );
  if (result.status !== 'SUCCEEDED') throw new Error(`${result.error}: ${result.cause}`);
  return result.output as FleetOutput;
}

test('a Map with a concurrency limit runs one single-host execution per hostname', () => {
  const { createFleet, destroyFleet } = definitions();
  for (const [definition, child] of [
    [createFleet, 'CreateHost'],
    [destroyFleet, 'DestroyHost'],
  ] as const) {
    expect(definition.StartAt).toBe('ExpandFleet');
    expect(definition.States.Hosts).toMatchObject({ Type: 'Map', ItemsPath: '$.items', MaxConcurrency: 5 });
    const processor = definition.States.Hosts.ItemProcessor;
    expect(processor?.States[child]).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'HostFailed' }],
    });
    expect(definition.States.Hosts.Next).toBe('ReportFleet');
  }
});

test('three hosts, one of which fails: the two others are made, the failed one rolled back alone', async () => {
  h.faults([
    {
      kind: 'command-failed',
      operation: 'SendCommand',
      step: 'SetHostname',
      match: 'web2.example.internal',
      message: 'disk full',
    },
  ]);
  const output = await fleet('createFleet', { hostnames: ['web1', 'web2', 'web3'], tags: { team: 'infra' } });
  expect(output).toMatchObject({ succeeded: 2, failed: 1 });
  expect(output.hosts).toEqual([
    expect.objectContaining({
      hostname: 'web1',
      status: 'SUCCEEDED',
      output: expect.objectContaining({ fqdn: 'web1.example.internal' }),
    }),
    expect.objectContaining({
      hostname: 'web2',
      status: 'FAILED',
      error: 'CommandFailed',
      cause: expect.stringContaining('disk full'),
    }),
    expect.objectContaining({ hostname: 'web3', status: 'SUCCEEDED' }),
  ]);
  // Each host's own states are reported under its name.
  expect(steps).toEqual(
    expect.arrayContaining([
      'web1/Done:Succeeded',
      'web2/RollBack:Succeeded',
      'web3/Done:Succeeded',
      'ReportFleet:Succeeded',
    ]),
  );
  for (const [hostname, live, records] of [
    ['web1', 1, 1],
    ['web2', 0, 0],
    ['web3', 1, 1],
  ] as const) {
    const host = await h.host(hostname);
    expect({ hostname, live: host.live.length, records: host.records.length }).toEqual({ hostname, live, records });
  }

  const destroyed = await fleet('destroyFleet', { hostnames: ['web1', 'web3'] });
  expect(destroyed).toMatchObject({ succeeded: 2, failed: 0 });
  expect(await h.liveInstances()).toHaveLength(0);
  expect(await h.hostRecords()).toHaveLength(0);
});

test('a bad hostname stops the fleet before any host is started', async () => {
  const result = await h.engine.run('createFleet', { hostnames: ['web1', 'a;reboot'], dnsZone: ZONE });
  expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
  expect(readableCause((result as { cause: string }).cause)).toMatch(/^hostnames\[1\]: /);
  expect(await h.instances()).toHaveLength(0);
  const twice = await h.engine.run('createFleet', { hostnames: ['web1', 'WEB1'], dnsZone: ZONE });
  expect(twice).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
});
