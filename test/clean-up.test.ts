/**
 * Nothing left behind when no Catch runs: a create-vm execution stopped, timed out, or failed with
 * an error States.ALL cannot catch, after its launch. Each time the execution's status-change
 * event reaches the stack's clean-up rule (the local engine delivers it as EventBridge would), and
 * the clean-up state machine removes the instance and the record. Real synthesized machines, the
 * local engine, the emulator.
 */
import type { StepEvent } from '../src/engine/types';
import { Harness, ZONE } from '../src/harness';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

/** Resolves when a state first finishes with `status`. */
function when(steps: StepEvent[], name: string, status = 'Succeeded'): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (steps.some((s) => s.name === name && s.status === status)) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
}

/** The agent never reports Online: the create polls WaitUntilManaged, its instance and record made. */
function stuckAfterLaunch(): void {
  h.faults([{ kind: 'agent-offline', operation: 'DescribeInstanceInformation', step: 'WaitUntilManaged' }]);
}

async function nothingLeft(hostname: string): Promise<void> {
  await h.engine.idle();
  const host = await h.host(hostname);
  expect(host.launched.length).toBeGreaterThan(0);
  expect({ live: host.live.length, records: host.records.length }).toEqual({ live: 0, records: 0 });
}

/** The status changes of the clean-up started for one create execution. */
function cleanUpOf(executionId: string) {
  return h.engine.events.filter(
    (e) =>
      e.detail.stateMachineArn === h.engine.deployment.machineArns.cleanUp &&
      JSON.parse(e.detail.input).executionId === executionId,
  );
}

test('a create stopped after launch (StopExecution) leaves no instance and no record', async () => {
  stuckAfterLaunch();
  const steps: StepEvent[] = [];
  const execution = h.engine.start(
    'create',
    { hostname: 'web1', dnsZone: ZONE, pollIntervalSeconds: 0 },
    {
      onStep: (e) => steps.push(e),
    },
  );
  await when(steps, 'DnsInSync');
  expect((await h.host('web1')).records).toHaveLength(1);
  execution.stop('Operator', 'stopped by hand');
  const result = await execution.result;
  expect(result).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by hand' });
  expect(steps.map((s) => s.name)).not.toContain('RollBack');
  await nothingLeft('web1');
  // The event as AWS sends it, and the clean-up it started.
  const aborted = h.engine.events.find(
    (e) => e.detail.executionArn === execution.executionId && e.detail.status === 'ABORTED',
  );
  expect(aborted).toMatchObject({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: {
      stateMachineArn: h.engine.deployment.machineArns.create,
      error: 'Operator',
      stopDate: expect.any(Number),
    },
  });
  const cleanUp = cleanUpOf(execution.executionId);
  expect(cleanUp.map((e) => e.detail.status)).toEqual(['RUNNING', 'SUCCEEDED']);
  expect(JSON.parse(cleanUp[1].detail.output ?? '{}')).toMatchObject({
    executionId: execution.executionId,
    terminated: [expect.stringMatching(/^i-/)],
    removedRecord: { name: 'web1.example.internal' },
  });
});

test('a create that hits its state machine timeout leaves no instance and no record', async () => {
  stuckAfterLaunch();
  const steps: StepEvent[] = [];
  const result = await h.engine.start(
    'create',
    { hostname: 'web2', dnsZone: ZONE, pollIntervalSeconds: 0 },
    {
      onStep: (e) => steps.push(e),
      // The machine's 90 minutes, as a second: the poll is still going when it strikes.
      timeoutSeconds: 1,
    },
  ).result;
  expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
  expect(steps.map((s) => s.name)).toContain('LaunchInstance');
  expect(steps.map((s) => s.name)).not.toContain('RollBack');
  await nothingLeft('web2');
});

test('an error States.ALL cannot catch after launch is cleaned up too', async () => {
  const result = await h.engine.start(
    'create',
    { hostname: 'web3', dnsZone: ZONE, pollIntervalSeconds: 0 },
    {
      hooks: {
        // As AWS fails an execution whose state input outgrows the payload limit: no Catch sees it.
        task: (state, invoke) =>
          state === 'WaitForHostname'
            ? invoke().then(() => ({ status: 'DONE', padding: 'x'.repeat(300_000) }))
            : invoke(),
      },
    },
  ).result;
  expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  await nothingLeft('web3');
});

test('a roll-back that failed gets a second chance from the clean-up', async () => {
  h.faults([
    { kind: 'command-failed', operation: 'SendCommand', step: 'SetHostname', message: 'disk full' },
    { kind: 'throttle', operation: '*', step: 'RollBack' },
  ]);
  const result = await h.engine.run('create', { hostname: 'web4', dnsZone: ZONE, pollIntervalSeconds: 0 });
  expect(result).toMatchObject({ status: 'FAILED', error: 'RollBackFailed' });
  await nothingLeft('web4');
});

test('a create that rolled itself back: the clean-up runs, finds nothing, and changes nothing', async () => {
  h.faults([{ kind: 'command-failed', operation: 'SendCommand', step: 'SetHostname' }]);
  const result = await h.engine.run('create', { hostname: 'web5', dnsZone: ZONE, pollIntervalSeconds: 0 });
  expect(result).toMatchObject({ status: 'FAILED', error: 'CommandFailed' });
  await h.engine.idle();
  const [, done] = cleanUpOf(result.executionId);
  expect(JSON.parse(done.detail.output ?? '{}')).toEqual({
    executionId: result.executionId,
    terminated: [],
    removedLeases: [],
  });
  expect(h.emulator.proxy.calls.get('CleanUpExecution TerminateInstances')).toBeUndefined();
});

test('a fleet stopped mid-way stops its hosts, and each host is cleaned up', async () => {
  stuckAfterLaunch();
  const steps: StepEvent[] = [];
  const fleet = h.engine.start(
    'createFleet',
    { hostnames: ['app1', 'app2'], dnsZone: ZONE, pollIntervalSeconds: 0 },
    {
      onStep: (e) => steps.push(e),
    },
  );
  await Promise.all([when(steps, 'app1/LaunchInstance'), when(steps, 'app2/LaunchInstance')]);
  fleet.stop();
  expect((await fleet.result).status).toBe('ABORTED');
  await h.engine.idle();
  const hostsEnded = h.engine.events.filter(
    (e) =>
      e.detail.stateMachineArn === h.engine.deployment.machineArns.create &&
      /"hostname":"app[12]"/.test(e.detail.input) &&
      e.detail.status !== 'RUNNING',
  );
  expect(hostsEnded.map((e) => e.detail.status)).toEqual(['ABORTED', 'ABORTED']);
  await nothingLeft('app1');
  await nothingLeft('app2');
});
