/** The rendered ASL of both state machines, read from the synthesized template. */
import { THROTTLING_ERRORS } from '../lambdas/lib/errors';
import { CREATE_MAX_ATTEMPTS } from '../lib/create-vm-workflow';
import { DESTROY_MAX_ATTEMPTS } from '../lib/destroy-vm-workflow';
import { EXPECTED_LATENCY } from '../lib/expected-latency';
import { type AslDefinition, type AslState, taskStates } from '../src/engine/template';
import { definitions, template } from './support/deployment';

const { create, destroy } = definitions();
const provision = create.States.Provision.Branches?.[0] as AslDefinition;
const hostAndDns = provision.States.HostAndDns.Branches as AslDefinition[];
const teardown = destroy.States.Teardown.Branches as AslDefinition[];

function allStates(definition: AslDefinition): Record<string, AslState> {
  return Object.assign(
    {},
    definition.States,
    ...Object.values(definition.States).flatMap((s) => (s.Branches ?? []).map(allStates)),
  );
}

test('four state machines (a host, a fleet; create, destroy), Standard, with a timeout, full logging and X-Ray', () => {
  const machines = Object.values(template().Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  expect(machines).toHaveLength(4);
  for (const machine of machines) {
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  }
  expect(create.TimeoutSeconds).toBe(45 * 60);
  expect(destroy.TimeoutSeconds).toBe(30 * 60);
});

test('create chain: ValidateInput → Provision [Launch → Running → (Agent → Hostname → Reboot ‖ DNS) → Done]', () => {
  expect(create.StartAt).toBe('ValidateInput');
  expect(create.States.ValidateInput.Next).toBe('Provision');
  expect(provision.StartAt).toBe('LaunchInstance');
  expect(provision.States.LaunchInstance.Next).toBe('WaitUntilRunning (first wait)');
  expect(provision.States['WaitUntilRunning?'].Default).toBe('HostAndDns');
  const [host, dns] = hostAndDns;
  expect(hostAndDns.map((b) => b.StartAt)).toEqual(['WaitUntilManaged (first wait)', 'RegisterDns']);
  // The record propagates while the host is prepared: DNS is off the critical path.
  expect(host.States['WaitUntilManaged?'].Default).toBe('SetHostname');
  expect(host.States.SetHostname.Next).toBe('WaitForHostname (first wait)');
  expect(host.States['WaitForHostname?'].Default).toBe('RebootInstance');
  expect(host.States.RebootInstance.Next).toBe('WaitUntilRebooted (first wait)');
  expect(host.States['WaitUntilRebooted?'].Default).toBe('HostReady');
  expect(dns.States.RegisterDns.Next).toBe('WaitForDnsSync (first wait)');
  expect(dns.States['WaitForDnsSync?'].Default).toBe('DnsInSync');
  // Bootstrap runs on a host whose name already resolves.
  expect(provision.States.HostAndDns.Next).toBe('Bootstrap?');
  expect(provision.States['Bootstrap?']).toMatchObject({
    Choices: [{ Variable: '$.config.bootstrap', IsPresent: true, Next: 'RunBootstrap' }],
    Default: 'NoBootstrap',
  });
  expect(provision.States.RunBootstrap.Next).toBe('WaitForBootstrap (first wait)');
  expect(provision.States['WaitForBootstrap?'].Default).toBe('Done');
  expect(provision.States.NoBootstrap.Next).toBe('Done');
});

test('any failure in Provision goes to RollBack, then fails with the original error and cause', () => {
  expect(create.States.Provision.Catch).toEqual([
    { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RollBack' },
  ]);
  expect(create.States.RollBack.Next).toBe('CreateFailed');
  expect(create.States.CreateFailed).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  expect((create.States.RollBack.Catch as unknown[])[0]).toMatchObject({
    ErrorEquals: ['States.ALL'],
    Next: 'DescribeRollBackFailure',
  });
  expect(create.States.DescribeRollBackFailure.Next).toBe('RollBackFailed');
  expect(create.States.RollBackFailed).toMatchObject({ Error: 'RollBackFailed', CausePath: '$.rollBackFailure.cause' });
  expect(create.States.ValidateInput.Catch).toBeUndefined();
});

test('every poll loop first waits the expected time, then what its check says, is bounded, and times out', () => {
  const loops = [
    [create, 'WaitUntilRunning', CREATE_MAX_ATTEMPTS.running, EXPECTED_LATENCY.running, '$.config'],
    [
      create,
      'WaitUntilManaged',
      CREATE_MAX_ATTEMPTS.managed,
      EXPECTED_LATENCY.agentOnline - EXPECTED_LATENCY.running,
      '$.config',
    ],
    [create, 'WaitForDnsSync', CREATE_MAX_ATTEMPTS.dnsSync, EXPECTED_LATENCY.dnsInSync, '$.config'],
    [create, 'WaitForHostname', CREATE_MAX_ATTEMPTS.hostname, EXPECTED_LATENCY.runCommand, '$.config'],
    [create, 'WaitUntilRebooted', CREATE_MAX_ATTEMPTS.rebooted, EXPECTED_LATENCY.agentAfterReboot, '$.config'],
    [create, 'WaitForBootstrap', CREATE_MAX_ATTEMPTS.bootstrap, EXPECTED_LATENCY.runCommand, '$.config'],
    [destroy, 'WaitUntilTerminated', DESTROY_MAX_ATTEMPTS.terminated, EXPECTED_LATENCY.terminated, '$.target'],
    [destroy, 'WaitForDnsSync', DESTROY_MAX_ATTEMPTS.dnsSync, EXPECTED_LATENCY.dnsInSync, '$.target'],
  ] as const;
  for (const [definition, name, max, firstWait, settings] of loops) {
    const states = allStates(definition);
    expect(states[`${name} (first wait)`]).toMatchObject({ Type: 'Wait', Seconds: firstWait, Next: name });
    const check = states[name] as unknown as { Parameters: Record<string, unknown>; ResultPath: string };
    expect(check.Parameters).toMatchObject({ 'interval.$': `${settings}.pollIntervalSeconds` });
    const slot = check.ResultPath;
    const choice = states[`${name}?`] as unknown as { Choices: Array<Record<string, unknown>> };
    expect(choice.Choices[0]).toMatchObject({
      And: [{ StringEquals: 'WAITING' }, { NumericGreaterThanEquals: max }].map((c) => expect.objectContaining(c)),
      Next: `${name} timed out`,
    });
    expect(choice.Choices[1]).toMatchObject({ StringEquals: 'WAITING', Next: `${name} (wait)` });
    expect(states[`${name} (wait)`]).toMatchObject({ Type: 'Wait', SecondsPath: `${slot}.waitSeconds`, Next: name });
    expect(states[`${name} timed out`]).toMatchObject({ Type: 'Fail', Error: 'PollTimeout' });
  }
  expect((allStates(create).WaitUntilRebooted as unknown as { Parameters: unknown }).Parameters).toMatchObject({
    commandSeconds: EXPECTED_LATENCY.runCommand,
  });
});

test('every Lambda task retries Lambda service errors and throttling with backoff and full jitter', () => {
  for (const definition of [create, destroy]) {
    for (const [name, state] of taskStates(definition)) {
      const retry = state.Retry as Array<Record<string, unknown>>;
      expect({ name, retry: retry[0].ErrorEquals }).toEqual({
        name,
        retry: expect.arrayContaining(['Lambda.ServiceException']),
      });
      expect(retry[1]).toEqual({
        ErrorEquals: [...THROTTLING_ERRORS],
        IntervalSeconds: 1,
        MaxAttempts: 6,
        BackoffRate: 2,
        MaxDelaySeconds: 20,
        JitterStrategy: 'FULL',
      });
    }
  }
});

test('destroy chain: ResolveHost → ([Terminate → WaitUntilTerminated] ‖ [RemoveDns → WaitForDnsSync]) → Done', () => {
  expect(destroy.StartAt).toBe('ResolveHost');
  expect(destroy.States.ResolveHost.Next).toBe('Teardown');
  expect(destroy.States.Teardown.Next).toBe('Done');
  const [instance, record] = teardown;
  expect(instance.States['HasInstance?']).toMatchObject({
    Choices: [{ Variable: '$.target.instanceId', IsPresent: true, Next: 'TerminateInstance' }],
    Default: 'NoInstance',
  });
  expect(instance.States.TerminateInstance.Next).toBe('WaitUntilTerminated (first wait)');
  expect(instance.States['WaitUntilTerminated?'].Default).toBe('InstanceGone');
  expect(record.States['HasRecord?']).toMatchObject({
    Choices: [{ Variable: '$.target.record', IsPresent: true, Next: 'RemoveDns' }],
    Default: 'NoRecord',
  });
  expect(record.States.RemoveDns.Next).toBe('WaitForDnsSync (first wait)');
  expect(record.States['WaitForDnsSync?'].Default).toBe('RecordGone');
});

test('every resolved definition passes asl-validator', () => {
  const aslValidator = require('asl-validator') as (
    d: unknown,
    o?: unknown,
  ) => { isValid: boolean; errorsText: () => string };
  for (const definition of Object.values(definitions())) {
    const result = aslValidator(definition, { checkPaths: true, checkArn: true });
    expect({ valid: result.isValid, errors: result.errorsText() }).toEqual({ valid: true, errors: '' });
  }
});
