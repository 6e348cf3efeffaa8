/**
 * create-fleet and destroy-fleet, synthesized and run locally: one execution of the single-host
 * machine per hostname, a failing host rolled back alone, every host's result in the output.
 */

import { readableCause } from '../src/cli/output';
import { Harness, ZONE } from '../src/harness';
import { definitions } from '../src/harness/deployment';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

interface FleetOutput {
  hosts: Array<{
    hostname: string;
    status: string;
    error?: string;
    cause?: string;
    fqdn?: string;
    instanceId?: string;
  }>;
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

test('a Map of groups of hosts runs one single-host execution per hostname, each at its turn', () => {
  const { createFleet, destroyFleet } = definitions();
  for (const [definition, child] of [
    [createFleet, 'CreateHost'],
    [destroyFleet, 'DestroyHost'],
  ] as const) {
    expect(definition.StartAt).toBe('ExpandFleet');
    expect(definition.States.ExpandFleet.Next).toBe('Groups');
    // Fifty at once: two groups of 25, as an inline Map runs at most 40 iterations at once.
    expect(definition.States.Groups).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.groups',
      ItemSelector: { 'hosts.$': '$$.Map.Item.Value', 'shared.$': '$.shared' },
      MaxConcurrency: 2,
      Next: 'ReportFleet',
    });
    const groups = definition.States.Groups.ItemProcessor;
    // One copy of the shared fields: each host's input merges its hostname into them as it starts.
    expect(groups?.States.Hosts).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.hosts',
      ItemSelector: {
        host: { 'hostname.$': '$$.Map.Item.Value.hostname' },
        'startAfter.$': '$$.Map.Item.Value.startAfter',
        'shared.$': '$.shared',
      },
      MaxConcurrency: 25,
    });
    const hosts = groups?.States.Hosts.ItemProcessor;
    expect(hosts?.StartAt).toBe('StartAfter');
    expect(hosts?.States.StartAfter).toMatchObject({ Type: 'Wait', SecondsPath: '$.startAfter', Next: child });
    expect(hosts?.States[child]).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { 'Input.$': 'States.JsonMerge($.host, $.shared, false)' },
      ResultSelector: { 'hostname.$': '$.Input.hostname', status: 'SUCCEEDED', 'executionArn.$': '$.ExecutionArn' },
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.result', Next: 'HostResult' }],
      End: true,
    });
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
    {
      hostname: 'web1',
      status: 'SUCCEEDED',
      executionArn: expect.stringContaining(':execution:'),
      fqdn: 'web1.example.internal',
      instanceId: expect.stringMatching(/^i-/),
      privateIp: expect.any(String),
    },
    {
      hostname: 'web2',
      status: 'FAILED',
      executionArn: expect.stringContaining(':execution:'),
      error: 'CommandFailed',
      // The host's own error message, readable, not the runtime's JSON.
      cause: expect.stringMatching(/^command .* ended Failed: disk full/),
    },
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

/**
 * The largest fleet the contract allows: a shared input at every limit (bootstrap commands, tags,
 * names), 50 hosts, each with a bootstrap that prints all the output SSM keeps. Step Functions fails
 * an execution for good (States.DataLimitExceeded, which no Catch sees) when a state's input or
 * output passes 256 KiB; the local engine enforces that. Fleets of 1 and 3 such hosts run here;
 * the payload grows by a fixed amount per host, so the largest state of 50 follows.
 */
test('the largest fleet the contract allows keeps every state under 256 KiB', async () => {
  const tags = Object.fromEntries(
    Array.from({ length: 40 }, (_, i) => [`${String(i).padStart(3, '0')}${'k'.repeat(125)}`, 'v'.repeat(256)]),
  );
  // The most bootstrap the contract takes: 64 KiB of commands, each echoing what SSM then keeps.
  const line = `echo '${'o'.repeat(4000)}'`;
  const commands = Array.from({ length: Math.floor(65_536 / (line.length + 1)) }, () => line);
  const shared = { dnsZone: ZONE, pollIntervalSeconds: 0, tags, bootstrap: { commands, timeoutSeconds: 1800 } };
  const hostname = (i: number) => `h${String(i).padStart(2, '0')}${'x'.repeat(60)}`;
  const run = async (n: number) => {
    const result = await h.engine.run('createFleet', {
      ...shared,
      hostnames: Array.from({ length: n }, (_, i) => hostname(i)),
    });
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { succeeded: n, failed: 0 } });
    return result.largestPayload?.bytes ?? 0;
  };
  const one = await run(1);
  await h.reset();
  const three = await run(3);
  const perHost = (three - one) / 2;
  const fifty = one + 49 * perHost;
  if (process.env.LIFECYCLE_PRINT_SIZES) {
    process.stderr.write(`fleet payload: ${one} B with 1 host, +${perHost} B a host, ${fifty} B at 50\n`);
  }
  // The shared input (about 80 KB), and at most a few hundred bytes a host: fifty stay inside. (The
  // local figure counts the shared fields twice in each host's item: aws-local-stepfunctions'
  // States.JsonMerge writes into its first argument, where Step Functions returns a new object.)
  expect(perHost).toBeLessThan(1_000);
  expect(fifty).toBeLessThan(262_144);
}, 120_000);
