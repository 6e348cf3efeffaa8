/** The stack: IAM per step, the instance profile, outputs, cdk-nag and cfn-lint. */
import { spawnSync } from 'node:child_process';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InstanceLifecycleStack } from '../lib/instance-lifecycle-stack';
import { cdkContext } from '../src/cli/synth';
import { TEMPLATE_PATH } from './support/deployment';

function build(props: ConstructorParameters<typeof InstanceLifecycleStack>[2] = {}) {
  // No stack is bundled: these tests read the template, and the bundles are the workflow tests' concern.
  const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new InstanceLifecycleStack(app, 'Test', props);
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = build({ hostedZoneIds: ['Z0123456789ABC'] });

/** The statements of the policy attached to the role of the step `stepId`. */
function statementsOf(stepId: string): Array<Record<string, unknown>> {
  const roles = template.findResources('AWS::IAM::Role', {
    Properties: { Description: `${stepId} step of instance-lifecycle` },
  });
  const [roleId] = Object.keys(roles);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  });
  return Object.values(policies).flatMap(
    (p) => (p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>) ?? [],
  );
}

function actionsOf(stepId: string): string[] {
  return statementsOf(stepId)
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[])
    .filter((a, i, all) => !a.startsWith('logs:') && all.indexOf(a) === i)
    .sort();
}

test('each step role allows only the calls its handler makes', () => {
  expect(actionsOf('LaunchInstance')).toEqual(['ec2:CreateTags', 'ec2:RunInstances', 'iam:PassRole']);
  expect(actionsOf('RegisterDns')).toEqual(['route53:ChangeResourceRecordSets']);
  expect(actionsOf('WaitUntilRunning')).toEqual(['ec2:DescribeInstances']);
  expect(actionsOf('WaitUntilManaged')).toEqual(['ssm:DescribeInstanceInformation']);
  expect(actionsOf('SetHostname')).toEqual(['ssm:SendCommand']);
  expect(actionsOf('RebootInstance')).toEqual(['ec2:RebootInstances']);
  expect(actionsOf('TerminateInstance')).toEqual(['ec2:TerminateInstances']);
  expect(actionsOf('RemoveDns')).toEqual(['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets']);
});

test('RunInstances requires the ManagedBy request tag on the instance and its volume', () => {
  expect(statementsOf('LaunchInstance')).toContainEqual(
    expect.objectContaining({
      Action: 'ec2:RunInstances',
      Condition: { StringEquals: { 'aws:RequestTag/ManagedBy': 'instance-lifecycle' } },
    }),
  );
});

test('TerminateInstances, RebootInstances and SendCommand on instances are conditioned on the ManagedBy tag', () => {
  const terminate = statementsOf('TerminateInstance').find((s) => s.Action === 'ec2:TerminateInstances');
  expect(terminate?.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/ManagedBy': 'instance-lifecycle' } });
  const reboot = statementsOf('RebootInstance').find((s) => s.Action === 'ec2:RebootInstances');
  expect(reboot?.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/ManagedBy': 'instance-lifecycle' } });
  const send = statementsOf('SetHostname').filter((s) => s.Action === 'ssm:SendCommand');
  expect(send).toHaveLength(2);
  expect(JSON.stringify(send)).toContain('document/AWS-RunShellScript');
  expect(send.find((s) => s.Condition)?.Condition).toEqual({
    StringEquals: { 'ssm:resourceTag/ManagedBy': 'instance-lifecycle' },
  });
});

test('Route 53 changes are limited to the configured zones and to A/CNAME records', () => {
  const change = statementsOf('RegisterDns').find((st) => st.Action === 'route53:ChangeResourceRecordSets') ?? {};
  expect(JSON.stringify(change.Resource)).toContain('hostedzone/Z0123456789ABC');
  expect(JSON.stringify(change.Resource)).not.toContain('hostedzone/*');
  expect(change.Condition).toEqual({
    'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'CNAME'] },
  });
});

test('iam:PassRole names only the instance role, and only for EC2', () => {
  const [instanceRoleId] = Object.keys(
    template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      },
    }),
  );
  const passRole = statementsOf('LaunchInstance').find((s) => s.Action === 'iam:PassRole');
  expect(passRole).toEqual(
    expect.objectContaining({
      Resource: { 'Fn::GetAtt': [instanceRoleId, 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    }),
  );
  template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: instanceRoleId }] });
});

test('allowForceDestroy is the only way TerminateInstances loses its tag condition', () => {
  const forced = build({ allowForceDestroy: true }).template;
  const policies = JSON.stringify(forced.findResources('AWS::IAM::Policy'));
  expect(policies).toContain('ec2:TerminateInstances');
  const terminate = statementsOf('TerminateInstance');
  expect(terminate.every((s) => s.Action !== 'ec2:TerminateInstances' || s.Condition)).toBe(true);
});

test('Lambdas: arm64, current Node.js runtime, own log group with retention', () => {
  const functions = template.findResources('AWS::Lambda::Function');
  expect(Object.keys(functions)).toHaveLength(15);
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

test('bad configuration fails the synth with the field named', () => {
  expect(() => build({ defaults: { instanceType: 'huge;rm' } })).toThrow(/instanceType/);
  expect(() => build({ hostedZoneIds: ['not-a-zone'] })).toThrow(/hostedZoneIds/);
});

test('cdk-nag AwsSolutions: no unacknowledged finding, and every acknowledgement has a reason', () => {
  const nagged = build().stack;
  const report = new AwsSolutionsChecks(nagged.node.root as App).validateScope(Stack.of(nagged));
  expect(report.violations.map((v) => `${v.ruleName}: ${v.description}`)).toEqual([]);
  const acknowledged = JSON.stringify(Template.fromStack(nagged).toJSON());
  expect(stack).toBeDefined();
  expect(acknowledged).not.toMatch(/"reason":""/);
});

test('cfn-lint reports no error on the synthesized template', () => {
  const run = spawnSync('cfn-lint', ['--format', 'parseable', TEMPLATE_PATH], { encoding: 'utf8' });
  expect(run.error).toBeUndefined();
  // Exit code 0: clean; 4, 8: warnings, informational findings only. 2 (errors) or more fails.
  expect(run.stdout.split('\n').filter((l) => /:E\d+:/.test(l))).toEqual([]);
  expect([0, 4, 8, 12]).toContain(run.status);
});
