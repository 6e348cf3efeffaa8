/**
 * IAM evaluated, not only compared: each step's concrete calls, with the resources and condition
 * keys AWS authorizes them against, run through an IAM policy evaluator (@cloud-copilot/iam-simulate,
 * over AWS's service authorization reference) with the step's own role from the synthesized
 * template. Calls a step makes must be Allowed; calls the fences exist for must be Denied. A table
 * that missed an action some bundle calls fails too (the last test).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { App } from 'aws-cdk-lib';
import { Template as Assertions } from 'aws-cdk-lib/assertions';
import { InstanceLifecycleStack } from '../lib/instance-lifecycle-stack';
import { cdkContext } from '../src/engine/synth';
import { resolveIntrinsics, type Template } from '../src/engine/template';
import { template as deployedTemplate, TEMPLATE_PATH } from '../src/harness/deployment';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ZONE = 'Z0123456789ABC';
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const INSTANCE = `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`;
const MANAGED = { 'aws:ResourceTag/ManagedBy': 'instance-lifecycle' };

type Policy = { Version: string; Statement: unknown[] };

/** What the lease checks need of the stack: its lease group, and its two state machines' ARNs. */
const lease = { group: '', destroyVm: '', createVm: '' };

/**
 * Every step's role policies, resolved to literal ARNs, from a stack in a concrete account and
 * region; the lease role's as `LeaseScheduler`.
 */
function stepPolicies(): Map<string, Policy[]> {
  const app = new App({ context: cdkContext() });
  const stack = new InstanceLifecycleStack(app, 'Test', {
    env: { account: ACCOUNT, region: REGION },
    hostedZoneIds: [ZONE],
    bootstrapDocuments: ['Acme-Nginx'],
    imageParameterPaths: ['/golden/'],
    ebsKmsKeyArn: KEY,
  });
  const template = Assertions.fromStack(stack).toJSON() as Template;
  const resources = template.Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  const policies = new Map<string, Policy[]>();
  for (const [roleId, role] of Object.entries(resources)) {
    if (role.Type !== 'AWS::IAM::Role') continue;
    const description = String(role.Properties?.Description);
    const step = description.startsWith('instance-lifecycle leases')
      ? 'LeaseScheduler'
      : /^(\w+) step of instance-lifecycle$/.exec(description)?.[1];
    if (!step) continue;
    const attached = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' &&
        ((r.Properties?.Roles ?? []) as Array<{ Ref: string }>).some((x) => x.Ref === roleId),
    );
    policies.set(
      step,
      attached.map((p) => resolveIntrinsics(template, p.Properties?.PolicyDocument) as Policy),
    );
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::Scheduler::ScheduleGroup') lease.group = String(r.Properties?.Name);
    if (r.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith('DestroyVm')) {
      lease.destroyVm = String(resolveIntrinsics(template, { Ref: id }));
    }
    if (r.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith('CreateVm')) {
      lease.createVm = String(resolveIntrinsics(template, { Ref: id }));
    }
  }
  return policies;
}

const policies = stepPolicies();
const roleArn = (step: string) => `arn:aws:iam::${ACCOUNT}:role/${step}`;
// A key policy that lets the account's IAM policies grant use of the key (KMS's default).
const KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
};

interface Call {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

/** What IAM decides for `step` making `call`: Allowed, ImplicitlyDenied or ExplicitlyDenied. */
async function decide(step: string, call: Call): Promise<string> {
  const simulation = {
    request: {
      principal: roleArn(step),
      action: call.action,
      resource: { resource: call.resource, accountId: ACCOUNT },
      contextVariables: call.context ?? {},
    },
    identityPolicies: (policies.get(step) ?? []).map((policy, i) => ({ name: `${step}${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(call.action.startsWith('kms:') ? { resourcePolicy: KEY_POLICY } : {}),
  };
  // AWS-owned documents and public parameters have no account in their ARN, which the validating
  // entry point does not parse; the unvalidated one evaluates them as IAM matches them.
  if (/^arn:aws:ssm:[a-z0-9-]+::/.test(call.resource)) return runUnsafeSimulation(simulation as never, {});
  const result = await runSimulation(simulation as never, {});
  if (result.resultType === 'error') throw new Error(`${step} ${call.action}: ${JSON.stringify(result.errors)}`);
  return result.overallResult as string;
}

const launchTags = { 'aws:RequestTag/ManagedBy': 'instance-lifecycle', 'aws:TagKeys': ['Name', 'ManagedBy'] };
const ec2 = (type: string, id: string, account = ACCOUNT) => `arn:aws:ec2:${REGION}:${account}:${type}/${id}`;
const zone = (id = ZONE) => `arn:aws:route53:::hostedzone/${id}`;
const recordChange = (actions: string[], types = ['CNAME']) => ({
  'route53:ChangeResourceRecordSetsActions': actions,
  'route53:ChangeResourceRecordSetsRecordTypes': types,
});
const sendCommand = (document: string): Call[] => [
  { action: 'ssm:SendCommand', resource: document },
  { action: 'ssm:SendCommand', resource: INSTANCE, context: { 'ssm:resourceTag/ManagedBy': 'instance-lifecycle' } },
];
const RUN_SHELL = `arn:aws:ssm:${REGION}::document/AWS-RunShellScript`;
const schedule = (name = 'lease-i-0123456789abcdef0', group = lease.group) =>
  `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${group}/${name}`;
const deleteLease: Call = { action: 'scheduler:DeleteSchedule', resource: schedule() };
const read = (...actions: string[]): Call[] => actions.map((action) => ({ action, resource: '*' }));
const readZone = (...actions: string[]): Call[] => actions.map((action) => ({ action, resource: zone() }));
const undo: Call[] = [
  ...read('ec2:DescribeInstances', 'route53:ListHostedZonesByName'),
  ...readZone('route53:ListResourceRecordSets'),
  { action: 'route53:ChangeResourceRecordSets', resource: zone(), context: recordChange(['DELETE']) },
  { action: 'ec2:TerminateInstances', resource: INSTANCE, context: MANAGED },
  deleteLease,
];

/** Every call each step makes, as AWS authorizes it. */
const ALLOWED: Record<string, Call[]> = {
  ValidateInput: [
    {
      action: 'ssm:GetParameter',
      resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/instance-lifecycle/Test/defaults`,
    },
    {
      action: 'ssm:GetParameter',
      resource: `arn:aws:ssm:${REGION}::parameter/aws/service/ami-amazon-linux-latest/al2023`,
    },
    { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/golden/al2023` },
    ...read(
      'route53:ListHostedZonesByName',
      'ec2:DescribeInstances',
      'ec2:DescribeImages',
      'ec2:DescribeSubnets',
      'ec2:DescribeInstanceTypeOfferings',
    ),
    ...readZone('route53:GetHostedZone', 'route53:ListResourceRecordSets'),
  ],
  LaunchInstance: [
    { action: 'ec2:RunInstances', resource: ec2('instance', '*'), context: launchTags },
    { action: 'ec2:RunInstances', resource: ec2('volume', '*'), context: launchTags },
    { action: 'ec2:RunInstances', resource: `arn:aws:ec2:${REGION}::image/ami-0123456789abcdef0` },
    { action: 'ec2:RunInstances', resource: ec2('subnet', 'subnet-0123456789abcdef0') },
    { action: 'ec2:RunInstances', resource: ec2('security-group', 'sg-0123456789abcdef0') },
    { action: 'ec2:RunInstances', resource: ec2('network-interface', '*') },
    { action: 'ec2:RunInstances', resource: ec2('key-pair', 'ops') },
    { action: 'ec2:CreateTags', resource: ec2('instance', '*'), context: { 'ec2:CreateAction': 'RunInstances' } },
    { action: 'ec2:CreateTags', resource: ec2('volume', '*'), context: { 'ec2:CreateAction': 'RunInstances' } },
    {
      action: 'iam:PassRole',
      resource: `arn:aws:iam::${ACCOUNT}:role/${instanceRoleId()}`,
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    },
    { action: 'scheduler:CreateSchedule', resource: schedule() },
    {
      action: 'iam:PassRole',
      resource: `arn:aws:iam::${ACCOUNT}:role/${leaseRoleId()}`,
      context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    },
    { action: 'kms:CreateGrant', resource: KEY, context: { 'kms:GrantIsForAWSResource': 'true' } },
    ...[
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ].map((action) => ({ action, resource: KEY })),
  ],
  WaitUntilRunning: read('ec2:DescribeInstances'),
  WaitUntilManaged: read('ssm:DescribeInstanceInformation'),
  RegisterDns: [
    { action: 'route53:ChangeResourceRecordSets', resource: zone(), context: recordChange(['CREATE']) },
    { action: 'route53:ChangeResourceRecordSets', resource: zone(), context: recordChange(['UPSERT'], ['A']) },
    ...readZone('route53:ListResourceRecordSets'),
  ],
  WaitForDnsSync: [{ action: 'route53:GetChange', resource: 'arn:aws:route53:::change/C0123456789ABC' }],
  SetHostname: sendCommand(RUN_SHELL),
  WaitForHostname: read('ssm:GetCommandInvocation'),
  RebootInstance: [{ action: 'ec2:RebootInstances', resource: INSTANCE, context: MANAGED }],
  WaitUntilRebooted: [
    ...read('ssm:DescribeInstanceInformation', 'ssm:GetCommandInvocation'),
    ...sendCommand(RUN_SHELL),
  ],
  RunBootstrap: [...sendCommand(RUN_SHELL), ...sendCommand(`arn:aws:ssm:${REGION}:${ACCOUNT}:document/Acme-Nginx`)],
  WaitForBootstrap: read('ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'),
  RollBack: undo,
  CleanUpExecution: undo,
  ResolveHost: [
    ...read('route53:ListHostedZonesByName', 'ec2:DescribeInstances'),
    ...readZone('route53:ListResourceRecordSets'),
  ],
  TerminateInstance: [{ action: 'ec2:TerminateInstances', resource: INSTANCE, context: MANAGED }, deleteLease],
  WaitUntilTerminated: read('ec2:DescribeInstances'),
  RemoveDns: [
    ...readZone('route53:ListResourceRecordSets'),
    { action: 'route53:ChangeResourceRecordSets', resource: zone(), context: recordChange(['DELETE']) },
  ],
  ExpandFleet: [],
  HostResult: [],
  ReportFleet: [],
  LeaseScheduler: [{ action: 'states:StartExecution', resource: lease.destroyVm }],
};

/** What the fences are for: each must be Denied. */
const DENIED: Array<[string, string, Call]> = [
  [
    'TerminateInstance',
    'terminating an instance without the ManagedBy tag',
    { action: 'ec2:TerminateInstances', resource: INSTANCE },
  ],
  [
    'RollBack',
    'terminating an instance tagged by somebody else',
    { action: 'ec2:TerminateInstances', resource: INSTANCE, context: { 'aws:ResourceTag/ManagedBy': 'someone-else' } },
  ],
  ['RebootInstance', 'rebooting an untagged instance', { action: 'ec2:RebootInstances', resource: INSTANCE }],
  [
    'LaunchInstance',
    'launching without the ManagedBy request tag',
    { action: 'ec2:RunInstances', resource: ec2('instance', '*') },
  ],
  [
    'LaunchInstance',
    'tagging outside a launch',
    { action: 'ec2:CreateTags', resource: ec2('instance', 'i-0123456789abcdef0') },
  ],
  [
    'LaunchInstance',
    'passing the role to another service',
    {
      action: 'iam:PassRole',
      resource: `arn:aws:iam::${ACCOUNT}:role/${instanceRoleId()}`,
      context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
    },
  ],
  [
    'LaunchInstance',
    'a KMS grant for a principal, not an AWS resource',
    { action: 'kms:CreateGrant', resource: KEY, context: { 'kms:GrantIsForAWSResource': 'false' } },
  ],
  [
    'RegisterDns',
    'a record in another zone',
    {
      action: 'route53:ChangeResourceRecordSets',
      resource: zone('ZOTHERZONE99999'),
      context: recordChange(['CREATE']),
    },
  ],
  [
    'RegisterDns',
    'deleting a record',
    { action: 'route53:ChangeResourceRecordSets', resource: zone(), context: recordChange(['DELETE']) },
  ],
  [
    'RegisterDns',
    'a TXT record',
    { action: 'route53:ChangeResourceRecordSets', resource: zone(), context: recordChange(['CREATE'], ['TXT']) },
  ],
  [
    'RemoveDns',
    'creating a record',
    { action: 'route53:ChangeResourceRecordSets', resource: zone(), context: recordChange(['CREATE']) },
  ],
  [
    'SetHostname',
    'SendCommand with an unlisted document',
    { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${REGION}::document/AWS-RunPowerShellScript` },
  ],
  [
    'RunBootstrap',
    'a bootstrap document the deployment does not list',
    { action: 'ssm:SendCommand', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:document/Acme-Other` },
  ],
  ['SetHostname', 'SendCommand to an untagged instance', { action: 'ssm:SendCommand', resource: INSTANCE }],
  [
    'ValidateInput',
    'an image parameter outside the grant',
    { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other/ami` },
  ],
  [
    'WaitUntilRunning',
    'a step calling what another step does',
    { action: 'ec2:TerminateInstances', resource: INSTANCE, context: MANAGED },
  ],
  [
    'LaunchInstance',
    'a schedule in another group',
    { action: 'scheduler:CreateSchedule', resource: schedule('lease-i-0123456789abcdef0', 'default') },
  ],
  [
    'LaunchInstance',
    'a schedule not named lease-…',
    { action: 'scheduler:CreateSchedule', resource: schedule('nightly') },
  ],
  [
    'LaunchInstance',
    'moving a lease (only the CLI extends one)',
    { action: 'scheduler:UpdateSchedule', resource: schedule() },
  ],
  [
    'LaunchInstance',
    'passing the lease role to another service',
    {
      action: 'iam:PassRole',
      resource: `arn:aws:iam::${ACCOUNT}:role/${leaseRoleId()}`,
      context: { 'iam:PassedToService': 'states.amazonaws.com' },
    },
  ],
  [
    'LaunchInstance',
    'passing the instance role to the Scheduler',
    {
      action: 'iam:PassRole',
      resource: `arn:aws:iam::${ACCOUNT}:role/${instanceRoleId()}`,
      context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    },
  ],
  ['TerminateInstance', 'creating a schedule', { action: 'scheduler:CreateSchedule', resource: schedule() }],
  [
    'RollBack',
    'deleting a schedule in another group',
    { action: 'scheduler:DeleteSchedule', resource: schedule('lease-i-0123456789abcdef0', 'default') },
  ],
  ['LeaseScheduler', 'starting create-vm', { action: 'states:StartExecution', resource: lease.createVm }],
  [
    'LeaseScheduler',
    'stopping a destroy-vm execution',
    { action: 'states:StopExecution', resource: `${lease.destroyVm.replace(':stateMachine:', ':execution:')}:x` },
  ],
];

/** The lease role's logical id (the Scheduler assumes it). */
function leaseRoleId(): string {
  const resources = deployedTemplate().Resources as Record<
    string,
    { Type: string; Properties?: { AssumeRolePolicyDocument?: unknown } }
  >;
  const [id] = Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::IAM::Role' &&
      JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
  ) ?? [''];
  return id;
}

function instanceRoleId(): string {
  const resources = deployedTemplate().Resources as Record<
    string,
    { Type: string; Properties?: { AssumeRolePolicyDocument?: unknown } }
  >;
  const [id] = Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::IAM::Role' &&
      JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('ec2.amazonaws.com'),
  ) ?? [''];
  return id;
}

test.each(
  Object.entries(ALLOWED).flatMap(([step, calls]) =>
    calls.map((call) => [step, call.action, call.resource, call] as const),
  ),
)('%s may %s on %s', async (step, _action, _resource, call) => {
  expect(await decide(step, call)).toBe('Allowed');
});

test.each(DENIED)('%s may not: %s', async (step, _what, call) => {
  expect(await decide(step, call)).toMatch(/Denied$/);
});

test('the table covers every call every deployed bundle makes', () => {
  const resources = deployedTemplate().Resources as Record<
    string,
    { Type: string; Properties?: { Role?: { 'Fn::GetAtt': [string] } }; Metadata?: Record<string, string> }
  >;
  const commands = new Map<string, string>();
  for (const [pkg, prefix] of [
    ['@aws-sdk/client-ec2', 'ec2'],
    ['@aws-sdk/client-route-53', 'route53'],
    ['@aws-sdk/client-ssm', 'ssm'],
    ['@aws-sdk/client-scheduler', 'scheduler'],
  ]) {
    for (const name of Object.keys(require(pkg))) {
      if (name.endsWith('Command') && name !== 'Command') commands.set(name, `${prefix}:${name.slice(0, -7)}`);
    }
  }
  for (const [id, fn] of Object.entries(resources)) {
    if (fn.Type !== 'AWS::Lambda::Function') continue;
    const roleId = fn.Properties?.Role?.['Fn::GetAtt'][0] ?? '';
    const step = String((resources[roleId].Properties as { Description?: string })?.Description).replace(
      / step of instance-lifecycle$/,
      '',
    );
    const bundle = readFileSync(
      path.join(path.dirname(TEMPLATE_PATH), String(fn.Metadata?.['aws:asset:path']), 'index.js'),
      'utf8',
    );
    const calls = [...new Set(bundle.match(/\b[A-Z][A-Za-z0-9]+Command\b/g) ?? [])].flatMap(
      (c) => commands.get(c) ?? [],
    );
    const evaluated = new Set((ALLOWED[step] ?? []).map((c) => c.action));
    expect({ step, missing: calls.filter((c) => !evaluated.has(c)), id }).toEqual({ step, missing: [], id });
  }
});
