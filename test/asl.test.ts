/** The rendered ASL of both state machines, read from the synthesized template. */
import { THROTTLING_ERRORS } from '../lambdas/lib/errors';
import { CREATE_POLL_BOUNDS, CREATE_TIMEOUT } from '../lib/create-vm-workflow';
import { DESTROY_POLL_BOUNDS } from '../lib/destroy-vm-workflow';
import { EXPECTED_LATENCY } from '../lib/expected-latency';
import { worstCaseSeconds } from '../lib/worst-case';
import { type AslDefinition, type AslState, taskStates } from '../src/engine/template';
import { definitions, template } from '../src/harness/deployment';

const { create, destroy, cleanUp } = definitions();
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

test('five state machines (a host, a fleet; create, destroy; the clean-up), Standard, with a timeout, full logging and X-Ray', () => {
  const machines = Object.values(template().Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  expect(machines).toHaveLength(5);
  for (const machine of machines) {
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
    });
  }
  expect(create.TimeoutSeconds).toBe(CREATE_TIMEOUT.toSeconds());
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

test('every poll loop first waits the expected time, then what its check says, is bounded in time and checks, and times out', () => {
  const loops = [
    [create, 'WaitUntilRunning', CREATE_POLL_BOUNDS.running, EXPECTED_LATENCY.running, '$.config'],
    [
      create,
      'WaitUntilManaged',
      CREATE_POLL_BOUNDS.managed,
      EXPECTED_LATENCY.agentOnline - EXPECTED_LATENCY.running,
      '$.config',
    ],
    [create, 'WaitForDnsSync', CREATE_POLL_BOUNDS.dnsSync, EXPECTED_LATENCY.dnsInSync, '$.config'],
    [create, 'WaitForHostname', CREATE_POLL_BOUNDS.hostname, EXPECTED_LATENCY.runCommand, '$.config'],
    [create, 'WaitUntilRebooted', CREATE_POLL_BOUNDS.rebooted, EXPECTED_LATENCY.agentAfterReboot, '$.config'],
    [create, 'WaitForBootstrap', CREATE_POLL_BOUNDS.bootstrap, EXPECTED_LATENCY.runCommand, '$.config'],
    [destroy, 'WaitUntilTerminated', DESTROY_POLL_BOUNDS.terminated, EXPECTED_LATENCY.terminated, '$.target'],
    [destroy, 'WaitForDnsSync', DESTROY_POLL_BOUNDS.dnsSync, EXPECTED_LATENCY.dnsInSync, '$.target'],
  ] as const;
  for (const [definition, name, bounds, firstWait, settings] of loops) {
    const states = allStates(definition);
    expect(states[`${name} (first wait)`]).toMatchObject({ Type: 'Wait', Seconds: firstWait, Next: name });
    const check = states[name] as unknown as { Parameters: Record<string, unknown>; ResultPath: string };
    expect(check.Parameters).toMatchObject({
      'interval.$': `${settings}.pollIntervalSeconds`,
      maxSeconds: bounds.maxSeconds,
    });
    const slot = check.ResultPath;
    const choice = states[`${name}?`] as unknown as { Choices: Array<Record<string, unknown>> };
    expect(choice.Choices[0]).toEqual({
      And: [
        { Variable: `${slot}.status`, StringEquals: 'WAITING' },
        {
          Or: [
            { Variable: `${slot}.elapsedSeconds`, NumericGreaterThanEquals: bounds.maxSeconds },
            { Variable: `${slot}.attempt`, NumericGreaterThanEquals: bounds.maxAttempts },
          ],
        },
      ],
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

test("create-vm's own bounds end it, roll-back included, before its state machine timeout, for any input", () => {
  // Each Task at its function's timeout, read from the template as deployed.
  const resources = template().Resources as Record<string, { Properties?: { Timeout?: number } }>;
  const taskSeconds = (name: string, state: Record<string, unknown>) => {
    const arn = String((state.Parameters as { FunctionName?: string } | undefined)?.FunctionName ?? state.Resource);
    const timeout = resources[arn.slice(arn.lastIndexOf(':') + 1)]?.Properties?.Timeout;
    if (!timeout) throw new Error(`${name}: no Lambda timeout`);
    return timeout;
  };
  // Polls are bounded in time whatever pollIntervalSeconds (up to 300) is: a loop the analysis
  // cannot bound (a wait of input-given seconds outside a bounded poll) would throw here.
  const createWorst = worstCaseSeconds(create, taskSeconds);
  expect(createWorst).toBeGreaterThan(CREATE_POLL_BOUNDS.bootstrap.maxSeconds);
  expect(createWorst).toBeLessThan(create.TimeoutSeconds as number);
  expect(worstCaseSeconds(destroy, taskSeconds)).toBeLessThan(destroy.TimeoutSeconds as number);
});

test('clean-up: LetStepsFinish (past every step Lambda timeout) → CleanUpExecution, started by create-vm status changes', () => {
  expect(cleanUp.StartAt).toBe('LetStepsFinish');
  expect(cleanUp.States.LetStepsFinish).toMatchObject({ Type: 'Wait', Seconds: 60, Next: 'CleanUpExecution' });
  expect(cleanUp.States.CleanUpExecution).toMatchObject({ Type: 'Task', End: true });
  const rule = Object.values(template().Resources).find(
    (r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties).includes('CleanUpStateMachine'),
  );
  expect(rule?.Properties).toMatchObject({
    EventPattern: {
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [{ Ref: expect.stringMatching(/^CreateVmStateMachine/) }],
      },
    },
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
