/** The stack: Lambda settings, outputs, configuration checks, cdk-nag and cfn-lint (IAM: least-privilege.test.ts). */
import { spawnSync } from 'node:child_process';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InstanceLifecycleStack } from '../lib/instance-lifecycle-stack';
import { cdkContext } from '../src/engine/synth';
import { allStates, definitionOf } from '../src/engine/template';
import { TEMPLATE_PATH } from '../src/harness/deployment';

function build(props: ConstructorParameters<typeof InstanceLifecycleStack>[2] = {}) {
  const app = new App({ context: cdkContext() });
  const stack = new InstanceLifecycleStack(app, 'Test', props);
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build({ hostedZoneIds: ['Z0123456789ABC'] });

test('Lambdas: arm64, current Node.js runtime, own log group with retention', () => {
  const functions = template.findResources('AWS::Lambda::Function');
  expect(Object.keys(functions)).toHaveLength(21);
  for (const fn of Object.values(functions)) {
    expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], Runtime: 'nodejs24.x' });
    expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
  }
  template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
});

test('outputs: both state machine ARNs and the defaults parameter', () => {
  expect(Object.keys(template.toJSON().Outputs)).toEqual(
    expect.arrayContaining(['CreateVmStateMachineArn', 'DestroyVmStateMachineArn', 'DefaultsParameterName']),
  );
  template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/instance-lifecycle/Test/defaults' });
});

test('leases: one schedule group, deleted with the stack, and the outputs a CLI moves leases with', () => {
  const groups = template.findResources('AWS::Scheduler::ScheduleGroup');
  expect(Object.values(groups)).toEqual([
    expect.objectContaining({ DeletionPolicy: 'Delete', Properties: { Name: expect.stringMatching(/^Test-Leases-/) } }),
  ]);
  expect(template.toJSON().Outputs).toMatchObject({
    LeaseScheduleGroupName: { Value: Object.values(groups)[0].Properties.Name },
    LeaseRoleArn: { Value: { 'Fn::GetAtt': [expect.stringMatching(/^LeasesSchedulerRole/), 'Arn'] } },
  });
});

test('the defaults parameter: Intelligent-Tiering (Advanced only past 4 KB); past 8 KB the synth fails', () => {
  template.hasResourceProperties('AWS::SSM::Parameter', { Tier: 'Intelligent-Tiering' });
  const line = 'x'.repeat(4000);
  expect(() => build({ defaults: { bootstrap: { commands: [line, line, line] } } })).toThrow(
    /^defaults: are \d+ characters of JSON; a parameter holds at most 8192/,
  );
});

test('bad configuration fails the synth with the field named', () => {
  expect(() => build({ defaults: { instanceType: 'huge;rm' } })).toThrow(/instanceType/);
  expect(() => build({ hostedZoneIds: ['not-a-zone'] })).toThrow(/hostedZoneIds/);
  // A state machine timeout that would cut create-vm's own bounds (and its roll-back) short.
  expect(() => build({ createTimeout: Duration.minutes(45) })).toThrow(/^createTimeoutMinutes: 45 is less than/);
  expect(() => build({ expectedLatency: { agentOnline: 2.5 } })).toThrow(/expectedSeconds.agentOnline/);
  expect(() => build({ expectedLatency: { running: 60, agentOnline: 45 } })).toThrow(/agentOnline/);
  expect(() => build({ expectedLatency: { boot: 9 } as never })).toThrow(/unknown key boot/);
  expect(() => build({ fleetConcurrency: 51 })).toThrow(/^fleetConcurrency: 51 is not an integer from 1 to 50/);
  expect(() => build({ fleetLaunchesPerSecond: -1 })).toThrow(/^fleetLaunchesPerSecond: -1/);
});

test("a deployment's fleet settings: hosts at once in groups an inline Map allows, and the launch pace", () => {
  const json = build({ fleetConcurrency: 12, fleetLaunchesPerSecond: 5 }).template.toJSON() as never;
  const states = Object.fromEntries(allStates(definitionOf(json, 'CreateFleet')));
  expect(states.Groups.MaxConcurrency).toBe(1);
  expect(states.Hosts.MaxConcurrency).toBe(12);
  expect(states.ExpandFleet.Parameters).toMatchObject({ groups: 1, concurrency: 12, pace: { burst: 4, perSecond: 5 } });
});

test("a deployment's own expected latency sets each poll's first wait", () => {
  const json = build({ expectedLatency: { agentOnline: 75, terminated: 50 } }).template.toJSON() as never;
  const firstWait = (prefix: string, poll: string) =>
    Object.fromEntries(allStates(definitionOf(json, prefix)))[`${poll} (first wait)`]?.Seconds;
  // The agent's wait counts from `running` (18 s by default): 75 - 18.
  expect(firstWait('CreateVm', 'WaitUntilManaged')).toBe(57);
  expect(firstWait('CreateVm', 'WaitUntilRunning')).toBe(18);
  expect(firstWait('DestroyVm', 'WaitUntilTerminated')).toBe(50);
});

/** An env-agnostic synth (tokens for region and account) and a concrete one in each partition. */
const ENVS = [
  undefined,
  { account: '123456789012', region: 'eu-west-1' },
  { account: '123456789012', region: 'cn-north-1' },
  { account: '123456789012', region: 'us-gov-west-1' },
];

test.each(ENVS.map((env) => [env?.region ?? 'env-agnostic', env] as const))(
  'cdk-nag AwsSolutions, %s: no unacknowledged finding in any configuration',
  (_name, env) => {
    for (const props of [{}, { hostedZoneIds: ['Z0123456789ABC'] }, { allowForceDestroy: true }]) {
      const nagged = build({ ...props, env }).stack;
      const report = new AwsSolutionsChecks(nagged.node.root as App).validateScope(Stack.of(nagged));
      expect(report.violations.map((v) => `${v.ruleName}: ${v.description}`)).toEqual([]);
    }
  },
);

test('cdk-nag: every acknowledgement says why', () => {
  const acknowledgements = stack.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
    .flatMap((m) => Object.entries(m.data as Record<string, string>));
  expect(acknowledgements.length).toBeGreaterThan(10);
  for (const [rule, reason] of acknowledgements) {
    expect({ rule, reason }).toEqual({
      rule: expect.stringMatching(/^Annotation::AwsSolutions-/),
      reason: expect.stringMatching(/\w+ \w+ \w+ \w+/),
    });
  }
});

test('cfn-lint reports no error on the synthesized template', () => {
  const run = spawnSync('cfn-lint', ['--format', 'parseable', TEMPLATE_PATH], { encoding: 'utf8' });
  expect(run.error).toBeUndefined();
  // Exit code 0: clean; 4, 8: warnings, informational findings only. 2 (errors) or more fails.
  expect(run.stdout.split('\n').filter((l) => /:E\d+:/.test(l))).toEqual([]);
  expect([0, 4, 8, 12]).toContain(run.status);
});
