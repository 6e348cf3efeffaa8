/** The rendered ASL of both state machines, read from the synthesized template. */
import { THROTTLING_ERRORS } from '../lambdas/lib/errors';
import { CREATE_MAX_ATTEMPTS } from '../lib/create-vm-workflow';
import { type AslDefinition, type AslState, taskStates } from '../src/cli/template';
import { definitions, template } from './support/deployment';

const { create, destroy } = definitions();
const provision = create.States.Provision.Branches?.[0] as AslDefinition;
const agentAndDns = provision.States.AgentAndDns.Branches as AslDefinition[];

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

test('create chain: ValidateInput → Provision [Launch → Running → (Agent ‖ DNS) → Hostname → Reboot → Done]', () => {
  expect(create.StartAt).toBe('ValidateInput');
  expect(create.States.ValidateInput.Next).toBe('Provision');
  expect(provision.StartAt).toBe('LaunchInstance');
  expect(provision.States.LaunchInstance.Next).toBe('WaitUntilRunning');
  expect(provision.States['WaitUntilRunning?'].Default).toBe('AgentAndDns');
  expect(agentAndDns.map((b) => b.StartAt)).toEqual(['WaitUntilManaged', 'RegisterDns']);
  expect(agentAndDns[1].States.RegisterDns.Next).toBe('WaitForDnsSync');
  expect(provision.States.AgentAndDns.Next).toBe('SetHostname');
  expect(provision.States.SetHostname.Next).toBe('WaitForHostname');
  expect(provision.States['WaitForHostname?'].Default).toBe('RebootInstance');
  expect(provision.States.RebootInstance.Next).toBe('WaitUntilRebooted');
  expect(provision.States['WaitUntilRebooted?'].Default).toBe('Bootstrap?');
  expect(provision.States['Bootstrap?']).toMatchObject({
    Choices: [{ Variable: '$.config.bootstrap', IsPresent: true, Next: 'RunBootstrap' }],
    Default: 'NoBootstrap',
  });
  expect(provision.States.RunBootstrap.Next).toBe('WaitForBootstrap');
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

test('every poll loop waits between checks, is bounded, and times out with PollTimeout', () => {
  for (const [name, max] of [
    ['WaitUntilRunning', CREATE_MAX_ATTEMPTS.running],
    ['WaitUntilManaged', CREATE_MAX_ATTEMPTS.managed],
    ['WaitForHostname', CREATE_MAX_ATTEMPTS.hostname],
    ['WaitUntilRebooted', CREATE_MAX_ATTEMPTS.rebooted],
    ['WaitForBootstrap', CREATE_MAX_ATTEMPTS.bootstrap],
  ] as const) {
    const states = allStates(create);
    const choice = states[`${name}?`] as unknown as { Choices: Array<Record<string, unknown>> };
    expect(choice.Choices[0]).toMatchObject({
      And: [{ StringEquals: 'WAITING' }, { NumericGreaterThanEquals: max }].map((c) => expect.objectContaining(c)),
      Next: `${name} timed out`,
    });
    expect(choice.Choices[1]).toMatchObject({ StringEquals: 'WAITING', Next: `${name} (wait)` });
    expect(states[`${name} (wait)`]).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.config.pollIntervalSeconds',
      Next: name,
    });
    expect(states[`${name} timed out`]).toMatchObject({ Type: 'Fail', Error: 'PollTimeout' });
  }
  expect(allStates(destroy)['WaitUntilTerminated (wait)']).toMatchObject({
    SecondsPath: '$.target.pollIntervalSeconds',
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

test('destroy chain: ResolveHost → [Terminate → WaitUntilTerminated] → [RemoveDns → WaitForDnsSync] → Done', () => {
  expect(destroy.StartAt).toBe('ResolveHost');
  expect(destroy.States.ResolveHost.Next).toBe('HasInstance?');
  expect(destroy.States['HasInstance?']).toMatchObject({
    Choices: [{ Variable: '$.target.instanceId', IsPresent: true, Next: 'TerminateInstance' }],
    Default: 'HasRecord?',
  });
  expect(destroy.States.TerminateInstance.Next).toBe('WaitUntilTerminated');
  expect(destroy.States['WaitUntilTerminated?'].Default).toBe('HasRecord?');
  expect(destroy.States['HasRecord?']).toMatchObject({
    Choices: [{ Variable: '$.target.record', IsPresent: true, Next: 'RemoveDns' }],
    Default: 'Done',
  });
  expect(destroy.States.RemoveDns.Next).toBe('WaitForDnsSync');
  expect(destroy.States['WaitForDnsSync?'].Default).toBe('Done');
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
