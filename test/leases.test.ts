/**
 * Leases end to end, on both engines: a create with `expiresIn` tags its instance and leaves a
 * one-time schedule that starts destroy-vm for exactly that instance; when the emulator's clock
 * passes the expiry the schedule fires (the Step Functions API's machines on the emulator's own
 * ticker, the local engine's with fireDueSchedules), the host and its record go, and so does the
 * schedule. Roll-back, clean-up and destroy leave no schedule behind; bad leases are InvalidInput
 * before anything is made.
 */

import { DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateScheduleCommand, type GetScheduleCommandOutput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { EXPIRES_AT_TAG } from '../lambdas/lib/contract';
import { createLease, leaseSchedule } from '../lambdas/lib/lease';
import { extendLease, type LeaseTarget, leaseSettingsOf, localLeaseSettings } from '../src/cli/leases';
import { readableCause } from '../src/cli/output';
import { clientConfig } from '../src/emulator/account';
import type { ExecutionResult, StepEvent } from '../src/engine/types';
import { Harness, tag, ZONE } from '../src/harness';

const h = new Harness();
beforeAll(() => h.start({ stack: true }));
afterAll(() => h.stop());
beforeEach(() => h.reset());

type Engine = 'local' | 'api';
const ENGINES: Engine[] = ['local', 'api'];

async function run(engine: Engine, workflow: 'create' | 'destroy', input: Record<string, unknown>) {
  const full = { pollIntervalSeconds: 0, ...input };
  return engine === 'local' ? h.engine.run(workflow, full) : h.api.run(workflow, full);
}

function succeeded(result: ExecutionResult): Record<string, unknown> {
  if (result.status !== 'SUCCEEDED') throw new Error(`${result.status} ${result.error}: ${result.cause}`);
  return result.output as Record<string, unknown>;
}

/** The expiry a lease of `seconds` taken between `before` and now has, to the second. */
function expectExpiry(expiresAt: unknown, before: number, seconds: number): void {
  const at = Date.parse(String(expiresAt));
  expect(String(expiresAt)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + seconds * 1000);
  expect(at).toBeLessThanOrEqual(Date.now() + seconds * 1000);
}

/** What each engine's deployment calls destroy-vm, the lease group and the lease role. */
async function deployed(engine: Engine) {
  if (engine === 'local') {
    return {
      destroyVm: h.engine.deployment.machineArns.destroy,
      group: h.engine.deployment.scheduleGroups[0],
      role: expect.stringMatching(/^arn:aws:iam::123456789012:role\/LeasesSchedulerRole/),
    };
  }
  const outputs = h.emulator.proxy.stack?.outputs ?? {};
  return { destroyVm: h.api.machineArn('destroy'), group: outputs.LeaseScheduleGroupName, role: outputs.LeaseRoleArn };
}

/** Moves the emulator's clock past the lease and lets the engine that owns it fire it; the fired destroy's end. */
async function expire(engine: Engine, seconds: number): Promise<ExecutionResult[]> {
  const firedByApi = await h.advanceClock(seconds);
  if (engine === 'api') return Promise.all(firedByApi.map((f) => h.api.result(f.executionArn)));
  expect(firedByApi).toEqual([]); // not the API's machine: left for the local engine
  const fired = await h.engine.fireDueSchedules();
  await h.engine.idle();
  const ends = h.engine.events.filter(
    (e) => fired.some((f) => f.executionArn === e.detail.executionArn) && e.detail.status !== 'RUNNING',
  );
  return ends.map((e) => ({
    status: e.detail.status,
    error: e.detail.error ?? '',
    cause: e.detail.cause ?? '',
    executionId: e.detail.executionArn,
    stateTransitions: 0,
  })) as ExecutionResult[];
}

describe.each(ENGINES)('on the %s engine', (engine) => {
  test('a lease tags the instance, schedules its destroy, and when it expires the host, its record and the schedule go', async () => {
    const before = Date.now();
    const output = succeeded(await run(engine, 'create', { hostname: 'lease1', dnsZone: ZONE, expiresIn: '30m' }));
    expectExpiry(output.expiresAt, before, 1800);
    const host = await h.host('lease1');
    const [instance] = host.live;
    expect(tag(instance, EXPIRES_AT_TAG)).toBe(output.expiresAt);
    const { destroyVm, group, role } = await deployed(engine);
    expect(host.leases).toEqual([
      expect.objectContaining<Partial<GetScheduleCommandOutput>>({
        Name: `lease-${instance.InstanceId}`,
        GroupName: group,
        ScheduleExpression: `at(${String(output.expiresAt).slice(0, 19)})`,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: expect.objectContaining({ Arn: destroyVm, RoleArn: role }),
      }),
    ]);
    // One call, by the launch itself: no extra state on the way to a ready host.
    expect(h.emulator.proxy.calls.get('LaunchInstance CreateSchedule')).toBe(1);
    expect(JSON.parse(host.leases[0].Target?.Input ?? '')).toEqual({
      hostname: 'lease1',
      dnsZone: ZONE,
      instanceId: instance.InstanceId,
    });

    // Not yet: ten minutes on, nothing fires and the host stays.
    expect(await expire(engine, 600)).toEqual([]);
    expect((await h.host('lease1')).leases).toHaveLength(1);

    const ended = await expire(engine, 1260);
    expect(ended.map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(await h.host('lease1')).toMatchObject({ live: [], records: [], leases: [] });
    expect(await h.schedules()).toEqual([]);
  }, 120_000);

  test('destroy deletes the lease schedule with the host', async () => {
    succeeded(await run(engine, 'create', { hostname: 'lease2', dnsZone: ZONE, expiresIn: '2h' }));
    expect((await h.host('lease2')).leases).toHaveLength(1);
    const removed = succeeded(await run(engine, 'destroy', { hostname: 'lease2', dnsZone: ZONE }));
    expect(removed).toMatchObject({ removed: { fqdn: `lease2.${ZONE}` } });
    expect(await h.host('lease2')).toMatchObject({ live: [], records: [], leases: [] });
  }, 90_000);

  test('a failure after the schedule was made is rolled back: no instance, no record, no schedule', async () => {
    h.faults([{ kind: 'command-failed', operation: 'SendCommand', step: 'SetHostname', message: 'disk full' }]);
    const result = await run(engine, 'create', { hostname: 'lease3', dnsZone: ZONE, expiresIn: '2h' });
    expect(result).toMatchObject({ status: 'FAILED', error: 'CommandFailed' });
    const host = await h.host('lease3');
    expect(host.launched).toHaveLength(1);
    expect(host).toMatchObject({ live: [], records: [], leases: [] });
    expect(await h.schedules()).toEqual([]);
  }, 90_000);
});

test("the emulator's own ticker fires a schedule that is due, with nobody moving the clock", async () => {
  const instance = await h.seedHost('ticked');
  const outputs = h.emulator.proxy.stack?.outputs ?? {};
  const settings = {
    group: outputs.LeaseScheduleGroupName,
    roleArn: outputs.LeaseRoleArn,
    destroyStateMachineArn: h.api.machineArn('destroy'),
  };
  const host = { instanceId: instance.InstanceId ?? '', hostname: 'ticked', dnsZone: ZONE };
  await createLease(new SchedulerClient(clientConfig(h.url)), settings, host, '2020-01-01T00:00:00Z');
  for (let i = 0; (await h.host('ticked')).live.length > 0; i++) {
    if (i > 300) throw new Error('the due schedule never fired');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const [fired] = h.emulator.proxy.schedules.fired;
  expect(fired).toMatchObject({ name: `lease-${host.instanceId}`, target: settings.destroyStateMachineArn });
  expect(await h.api.result(fired.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
  expect(await h.host('ticked')).toMatchObject({ live: [], records: [], leases: [] });
}, 60_000);

describe('on the local engine', () => {
  test('an instance EC2 ends at launch leaves no schedule: the roll-back finds it by its execution tag', async () => {
    h.faults([{ kind: 'instance-fails', operation: 'RunInstances' }]);
    const result = await h.engine.run('create', {
      hostname: 'lease4',
      dnsZone: ZONE,
      pollIntervalSeconds: 0,
      expiresIn: '1h',
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'InstanceFailed' });
    expect(await h.schedules()).toEqual([]);
  });

  test('a create stopped after its launch (no Catch) is cleaned up, its schedule too', async () => {
    h.faults([{ kind: 'agent-offline', operation: 'DescribeInstanceInformation', step: 'WaitUntilManaged' }]);
    const steps: StepEvent[] = [];
    const execution = h.engine.start(
      'create',
      { hostname: 'lease5', dnsZone: ZONE, pollIntervalSeconds: 0, expiresIn: '1h' },
      { onStep: (e) => steps.push(e) },
    );
    while (!steps.some((s) => s.name === 'LaunchInstance' && s.status === 'Succeeded')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await h.schedules()).map((s) => s.Name)).toEqual([expect.stringMatching(/^lease-i-/)]);
    execution.stop('Operator', 'stopped by hand');
    expect(await execution.result).toMatchObject({ status: 'ABORTED' });
    await h.engine.idle();
    expect(await h.host('lease5')).toMatchObject({ live: [], records: [], leases: [] });
  });

  test('the Scheduler throttling the launch is retried; endless, it is named and rolled back, no schedule left', async () => {
    // Four throttled calls: the SDK tries each invocation twice, Step Functions retries the step twice.
    h.faults([{ kind: 'throttle', operation: 'CreateSchedule', step: 'LaunchInstance', times: 4 }]);
    const steps: StepEvent[] = [];
    const ok = await h.engine.run(
      'create',
      { hostname: 'slow', dnsZone: ZONE, pollIntervalSeconds: 0, expiresIn: '1h' },
      (e) => steps.push(e),
    );
    expect(ok.status).toBe('SUCCEEDED');
    expect(steps.filter((e) => e.name === 'LaunchInstance' && e.status === 'Retried')).toHaveLength(2);
    expect(h.emulator.proxy.calls.get('LaunchInstance CreateSchedule')).toBe(5);
    expect((await h.host('slow')).launched).toHaveLength(1);
    expect((await h.host('slow')).leases).toHaveLength(1);

    h.faults([{ kind: 'throttle', operation: 'CreateSchedule', step: 'LaunchInstance' }]);
    const failed = await h.engine.run('create', {
      hostname: 'never',
      dnsZone: ZONE,
      pollIntervalSeconds: 0,
      expiresIn: '1h',
    });
    expect(failed).toMatchObject({ status: 'FAILED', error: 'ThrottlingException' });
    expect(await h.host('never')).toMatchObject({ live: [], records: [], leases: [] });
  });

  test('a lease that came due fires after the next execution the engine runs, whatever it is', async () => {
    const created = succeeded(
      await h.engine.run('create', { hostname: 'due', dnsZone: ZONE, pollIntervalSeconds: 0, expiresIn: '20m' }),
    );
    const firedBefore = h.engine.firedSchedules.length;
    await h.advanceClock(21 * 60);
    const other = await h.engine.run('destroy', { hostname: 'nobody', dnsZone: ZONE });
    expect(other).toMatchObject({ status: 'FAILED', error: 'HostNotFound' });
    await h.engine.idle();
    expect(await h.host('due')).toMatchObject({ live: [], records: [], leases: [] });
    expect(h.engine.firedSchedules.slice(firedBefore).map((f) => f.name)).toEqual([`lease-${created.instanceId}`]);
  });

  test('a schedule kept after completion (ActionAfterCompletion NONE) fires once and stays', async () => {
    const instance = await h.seedHost('kept');
    const settings = localLeaseSettings(h.engine.deployment);
    const scheduler = new SchedulerClient(clientConfig(h.url));
    const schedule = leaseSchedule(
      settings,
      { instanceId: instance.InstanceId ?? '', hostname: 'kept', dnsZone: ZONE },
      '2020-01-01T00:00:00Z',
    );
    // Not a lease's name: the destroy it starts does not delete it either.
    await scheduler.send(new CreateScheduleCommand({ ...schedule, Name: 'keep-me', ActionAfterCompletion: 'NONE' }));
    expect(await h.engine.fireDueSchedules()).toHaveLength(1);
    await h.engine.idle();
    expect(await h.engine.fireDueSchedules()).toEqual([]);
    expect((await h.host('kept')).live).toEqual([]);
    expect((await h.schedules()).map((x) => x.Name)).toEqual(['keep-me']);
  });

  test('create-fleet leases every host: one schedule per instance', async () => {
    const result = await h.engine.run('createFleet', {
      hostnames: ['fleet-1', 'fleet-2'],
      dnsZone: ZONE,
      pollIntervalSeconds: 0,
      expiresIn: '4h',
    });
    expect(result.status).toBe('SUCCEEDED');
    for (const hostname of ['fleet-1', 'fleet-2']) {
      const host = await h.host(hostname);
      expect(host.leases.map((s) => s.Name)).toEqual([`lease-${host.live[0].InstanceId}`]);
    }
  });

  describe('bad leases are InvalidInput before anything is made', () => {
    const soon = new Date(Date.now() + 5 * 60_000).toISOString();
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['a duration that is not one', { expiresIn: '4 hours' }, /^expiresIn: "4 hours" is not a duration/],
      ['a lease under 15 minutes', { expiresIn: '5m' }, /^expiresIn: 5m is 5m; the shortest lease is 15m/],
      ['a time that is not UTC ISO 8601', { expiresAt: '01/12/2026 18:00' }, /^expiresAt: .* is not a UTC time/],
      [
        'a time in the past',
        { expiresAt: '2020-01-01T00:00:00Z' },
        /^expiresAt: 2020-01-01T00:00:00Z is not in the future/,
      ],
      ['a time too soon', { expiresAt: soon }, /^expiresAt: .*; the shortest lease is 15m/],
      [
        'both',
        { expiresIn: '1h', expiresAt: '2099-01-01T00:00:00Z' },
        /^expiresIn: give either expiresIn or expiresAt/,
      ],
    ];
    test('a bad duration or time, both, a past or too near time: each named, nothing made', async () => {
      for (const [label, lease, message] of cases) {
        const result = await h.engine.run('create', { hostname: 'bad', dnsZone: ZONE, ...lease });
        if (result.status !== 'FAILED') throw new Error(`${label}: expected a failure, got ${result.status}`);
        expect({ label, error: result.error, cause: readableCause(result.cause) }).toEqual({
          label,
          error: 'InvalidInput',
          cause: expect.stringMatching(message),
        });
      }
      expect(h.emulator.proxy.calls.get('RunInstances')).toBeUndefined();
      expect(h.emulator.proxy.calls.get('CreateSchedule')).toBeUndefined();
      expect(await h.schedules()).toEqual([]);
    });

    test("a lease longer than the defaults' expiresIn names both; a create naming none gets that maximum", async () => {
      await new SSMClient(clientConfig(h.url)).send(
        new PutParameterCommand({
          Name: h.engine.deployment.defaults.name,
          Value: JSON.stringify({ expiresIn: '8h' }),
          Type: 'String',
          Overwrite: true,
        }),
      );
      const refused = await h.engine.run('create', { hostname: 'long', dnsZone: ZONE, expiresIn: '2d' });
      if (refused.status !== 'FAILED') throw new Error(`expected a failure, got ${refused.status}`);
      expect(refused.error).toBe('InvalidInput');
      expect(readableCause(refused.cause)).toMatch(
        /^expiresIn: 2d is longer than the longest lease this deployment allows \(expiresIn 8h in the stored defaults\)/,
      );
      expect(await h.instances()).toEqual([]);

      const before = Date.now();
      const output = succeeded(
        await h.engine.run('create', { hostname: 'capped', dnsZone: ZONE, pollIntervalSeconds: 0 }),
      );
      expectExpiry(output.expiresAt, before, 8 * 3600);
      expect(output.fromDefaults).toContain('expiresAt');
      expect((await h.host('capped')).leases).toHaveLength(1);
    });
  });

  test('a create without a lease has none: no tag, no schedule, expiresAt null', async () => {
    const output = succeeded(
      await h.engine.run('create', { hostname: 'forever', dnsZone: ZONE, pollIntervalSeconds: 0 }),
    );
    expect(output.expiresAt).toBeNull();
    const [instance] = (await h.host('forever')).live;
    expect(tag(instance, EXPIRES_AT_TAG)).toBeUndefined();
    expect(await h.schedules()).toEqual([]);
  });
});

describe('extendLease (lifecycle extend)', () => {
  const target = (): LeaseTarget => ({
    ec2: new EC2Client(clientConfig(h.url)),
    scheduler: new SchedulerClient(clientConfig(h.url)),
    settings: localLeaseSettings(h.engine.deployment),
  });

  test('--by moves the schedule and the tag from the current expiry; the lease then expires at the new time', async () => {
    const created = succeeded(
      await h.engine.run('create', { hostname: 'ext1', dnsZone: ZONE, pollIntervalSeconds: 0, expiresIn: '30m' }),
    );
    const before = (await h.host('ext1')).leases[0];
    const extended = await extendLease(target(), { hostname: 'ext1', zone: ZONE, by: '2h' });
    const expected = new Date(Date.parse(String(created.expiresAt)) + 7200_000).toISOString().replace('.000Z', 'Z');
    expect(extended).toEqual({
      instanceId: created.instanceId,
      fqdn: `ext1.${ZONE}`,
      expiresAt: expected,
      previous: created.expiresAt,
      schedule: `lease-${created.instanceId}`,
      created: false,
    });
    const host = await h.host('ext1');
    expect(tag(host.live[0], EXPIRES_AT_TAG)).toBe(expected);
    const { Volumes } = await new EC2Client(clientConfig(h.url)).send(
      new DescribeVolumesCommand({
        Filters: [{ Name: 'attachment.instance-id', Values: [created.instanceId as string] }],
      }),
    );
    expect(Volumes?.map((v) => v.Tags?.find((t) => t.Key === EXPIRES_AT_TAG)?.Value)).toEqual([expected]);
    // The whole schedule kept, the time moved.
    expect(host.leases).toEqual([
      {
        ...before,
        ScheduleExpression: `at(${expected.slice(0, 19)})`,
        Description: expect.stringContaining(expected),
        LastModificationDate: expect.any(Date),
        $metadata: expect.anything(),
      },
    ]);

    expect(await expire('local', 1860)).toEqual([]);
    expect((await h.host('ext1')).live).toHaveLength(1);
    expect((await expire('local', 7200)).map((r) => r.status)).toEqual(['SUCCEEDED']);
    expect(await h.host('ext1')).toMatchObject({ live: [], records: [], leases: [] });
  }, 90_000);

  test('--to sets the expiry; a host without a lease gets one; the limits are named', async () => {
    succeeded(await h.engine.run('create', { hostname: 'ext2', dnsZone: ZONE, pollIntervalSeconds: 0 }));
    expect((await h.host('ext2')).leases).toEqual([]);
    const to = new Date(Date.now() + 6 * 3600_000);
    to.setUTCMilliseconds(0);
    const given = await extendLease(target(), { hostname: 'EXT2', zone: `${ZONE}.`, to: to.toISOString() });
    expect(given).toMatchObject({ expiresAt: to.toISOString().replace('.000Z', 'Z'), previous: null, created: true });
    const host = await h.host('ext2');
    expect(host.leases.map((l) => l.ScheduleExpression)).toEqual([`at(${to.toISOString().slice(0, 19)})`]);
    expect(JSON.parse(host.leases[0].Target?.Input ?? '')).toMatchObject({ instanceId: host.live[0].InstanceId });
    expect(tag(host.live[0], EXPIRES_AT_TAG)).toBe(given.expiresAt);

    const refused: Array<[Parameters<typeof extendLease>[1], RegExp]> = [
      [{ hostname: 'ext2', zone: ZONE }, /^by: give either by \(a duration\) or to \(a UTC time\)/],
      [{ hostname: 'ext2', zone: ZONE, by: '1h', to: to.toISOString() }, /^by: give either/],
      [{ hostname: 'ext2', zone: ZONE, by: 'later' }, /^by: "later" is not a duration/],
      [{ hostname: 'ext2', zone: ZONE, to: '2020-01-01T00:00:00Z' }, /^to: 2020-01-01T00:00:00Z is not in the future/],
      [{ hostname: 'ext2', zone: ZONE, by: '400d' }, /^by: the new expiry .*; the longest lease is 365d/],
      [
        { hostname: 'ext2', zone: ZONE, by: '1d', longest: '8h' },
        /^by: .*later than the longest lease this deployment allows \(expiresIn 8h/,
      ],
    ];
    for (const [request, message] of refused) {
      await expect(extendLease(target(), request)).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringMatching(message),
      });
    }
    await expect(extendLease(target(), { hostname: 'nobody', zone: ZONE, by: '1h' })).rejects.toMatchObject({
      name: 'HostNotFound',
    });
    // Nothing refused moved anything.
    expect((await h.host('ext2')).leases.map((l) => l.ScheduleExpression)).toEqual([
      `at(${to.toISOString().slice(0, 19)})`,
    ]);
  }, 90_000);

  test("the stack's outputs give the same settings the steps were deployed with", () => {
    const outputs = h.emulator.proxy.stack?.outputs ?? {};
    expect(leaseSettingsOf(outputs)).toEqual({
      group: outputs.LeaseScheduleGroupName,
      roleArn: outputs.LeaseRoleArn,
      destroyStateMachineArn: outputs.DestroyVmStateMachineArn,
    });
    expect(() => leaseSettingsOf({})).toThrow(/redeploy/);
  });
});
