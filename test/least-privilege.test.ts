/**
 * Least privilege, proven on the synthesized templates: each step's role allows exactly the AWS
 * calls its deployed bundle makes, and every call that changes something is fenced by a tag, a
 * zone, a record type, a change action, a document or a role.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { InstanceLifecycleStack } from '../lib/instance-lifecycle-stack';
import { cdkContext } from '../src/engine/synth';
import { template as deployedTemplate, TEMPLATE_PATH } from '../src/harness/deployment';

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
/** The parts of template resources these tests read. */
interface CfnResource {
  Type: string;
  Properties?: {
    Role?: { 'Fn::GetAtt': [string, string] };
    Description?: string;
    Roles?: Array<{ Ref: string }>;
    PolicyDocument?: { Statement: Statement[] };
    LoggingConfig?: { LogGroup: { Ref: string } };
    TracingConfig?: { Mode: string };
    AssumeRolePolicyDocument?: unknown;
  };
  Metadata?: Record<string, string>;
}
type Resources = Record<string, CfnResource>;

interface StepRole {
  step: string;
  functionId: string;
  statements: Statement[];
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Every step's function, with the statements of the policies attached to its role. */
function stepRoles(resources: Resources): StepRole[] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([functionId, fn]) => {
      const roleId = fn.Properties?.Role?.['Fn::GetAtt'][0] ?? '';
      const step = String(resources[roleId].Properties?.Description).replace(/ step of instance-lifecycle$/, '');
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties?.Roles?.some((x) => x.Ref === roleId))
        .flatMap((p) => p.Properties?.PolicyDocument?.Statement ?? []);
      return { step, functionId, statements };
    });
}

function build(props: ConstructorParameters<typeof InstanceLifecycleStack>[2] = {}): Resources {
  const app = new App({ context: cdkContext() });
  return Template.fromStack(new InstanceLifecycleStack(app, 'Test', props)).toJSON().Resources;
}

const ZONE_ID = 'Z0123456789ABC';
const configured = stepRoles(build({ hostedZoneIds: [ZONE_ID] }));
const roleOf = (step: string) => {
  const role = configured.find((r) => r.step === step);
  if (!role) throw new Error(`no role for ${step}`);
  return role;
};
const statementsWith = (action: string) =>
  configured.flatMap((r) =>
    r.statements.filter((s) => actionsOf(s).includes(action)).map((s) => ({ step: r.step, ...s })),
  );

/** IAM actions a bundle calls: every SDK command class it references, named as IAM names it. */
function sdkCalls(bundle: string): string[] {
  const services: Array<[string, string]> = [
    ['@aws-sdk/client-ec2', 'ec2'],
    ['@aws-sdk/client-route-53', 'route53'],
    ['@aws-sdk/client-ssm', 'ssm'],
    ['@aws-sdk/client-scheduler', 'scheduler'],
  ];
  const commands = new Map<string, string>();
  for (const [pkg, prefix] of services) {
    for (const name of Object.keys(require(pkg))) {
      if (name.endsWith('Command') && name !== 'Command')
        commands.set(name, `${prefix}:${name.slice(0, -'Command'.length)}`);
    }
  }
  const used = new Set(bundle.match(/\b[A-Z][A-Za-z0-9]+Command\b/g) ?? []);
  return [...used].flatMap((name) => (commands.has(name) ? [commands.get(name) as string] : [])).sort();
}

/** Permissions an API call needs besides its own action. */
const IMPLIED: Record<string, string[]> = {
  // TagSpecifications and IamInstanceProfile: EC2 authorises both on the caller.
  'ec2:RunInstances': ['ec2:CreateTags', 'iam:PassRole'],
  // The schedule's target role: the Scheduler authorises passing it on the caller.
  'scheduler:CreateSchedule': ['iam:PassRole'],
};

/**
 * What Lambda does with a function's role besides running its code: write the function's log
 * lines to its log group, and, with active tracing, send its X-Ray segments.
 */
const byTheRuntime = (action: string) => action.startsWith('logs:') || action.startsWith('xray:');

describe('each role allows exactly what its deployed bundle calls', () => {
  const resources = deployedTemplate().Resources as Resources;
  const roles = stepRoles(resources);

  test('there is one role per step, 21 in all', () => {
    expect(roles.map((r) => r.step).sort()).toHaveLength(21);
  });

  test.each(roles.map((r) => [r.step, r] as const))('%s', (_step, role) => {
    const assetPath = resources[role.functionId].Metadata?.['aws:asset:path'] ?? '';
    const bundle = readFileSync(path.join(path.dirname(TEMPLATE_PATH), assetPath, 'index.js'), 'utf8');
    const calls = sdkCalls(bundle);
    const needed = [...new Set(calls.flatMap((c) => [c, ...(IMPLIED[c] ?? [])]))].sort();
    const allowed = [...new Set(role.statements.flatMap(actionsOf).filter((a) => !byTheRuntime(a)))].sort();
    expect(allowed).toEqual(needed);
  });

  test.each(roles.map((r) => [r.step, r] as const))(
    '%s sends its traces to X-Ray, and nothing else there',
    (_step, role) => {
      expect(resources[role.functionId].Properties?.TracingConfig).toEqual({ Mode: 'Active' });
      const xray = role.statements.filter((s) => actionsOf(s).some((a) => a.startsWith('xray:')));
      expect([...new Set(xray.flatMap(actionsOf).filter((a) => a.startsWith('xray:')))].sort()).toEqual([
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
      // The two support no resource-level permissions and no condition keys: `*` is all there is.
      for (const s of xray) expect({ Resource: s.Resource, Condition: s.Condition }).toEqual({ Resource: '*' });
    },
  );

  test.each(roles.map((r) => [r.step, r] as const))('%s writes logs only to its own log group', (_step, role) => {
    const logGroupId = resources[role.functionId].Properties?.LoggingConfig?.LogGroup.Ref ?? 'none';
    const logs = role.statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logs.length).toBeGreaterThan(0);
    for (const s of logs) {
      expect(actionsOf(s).every((a) => ['logs:CreateLogStream', 'logs:PutLogEvents'].includes(a))).toBe(true);
      expect(JSON.stringify(s.Resource)).toContain(logGroupId);
    }
  });
});

describe('every change is fenced', () => {
  const managed = { StringEquals: { 'aws:ResourceTag/ManagedBy': 'instance-lifecycle' } };

  test('TerminateInstances and RebootInstances, in every role, only on instances tagged ManagedBy', () => {
    const statements = [...statementsWith('ec2:TerminateInstances'), ...statementsWith('ec2:RebootInstances')];
    expect(statements.map((s) => s.step).sort()).toEqual([
      'CleanUpExecution',
      'RebootInstance',
      'RollBack',
      'TerminateInstance',
    ]);
    for (const s of statements) expect(s.Condition).toEqual(managed);
  });

  test('SendCommand: the AWS-RunShellScript document, on instances tagged ManagedBy, nothing else', () => {
    const statements = statementsWith('ssm:SendCommand');
    expect([...new Set(statements.map((s) => s.step))].sort()).toEqual([
      'RunBootstrap',
      'SetHostname',
      'WaitUntilRebooted',
    ]);
    for (const s of statements) {
      const resource = JSON.stringify(s.Resource);
      if (resource.includes(':document/')) {
        expect(resource).toMatch(/document\/AWS-RunShellScript"/);
        expect(s.Condition).toBeUndefined();
      } else {
        expect(resource).toContain(':instance/*');
        expect(s.Condition).toEqual({ StringEquals: { 'ssm:resourceTag/ManagedBy': 'instance-lifecycle' } });
      }
    }
  });

  test('RunInstances creates instances and volumes only with the ManagedBy request tag', () => {
    const statements = statementsWith('ec2:RunInstances');
    expect(statements.every((s) => s.step === 'LaunchInstance')).toBe(true);
    const creating = statements.filter((s) => /:(instance|volume)\/\*/.test(JSON.stringify(s.Resource)));
    expect(creating).toHaveLength(1);
    expect(creating[0].Condition).toEqual({ StringEquals: { 'aws:RequestTag/ManagedBy': 'instance-lifecycle' } });
    const tagging = statementsWith('ec2:CreateTags');
    expect(tagging).toHaveLength(1);
    expect(tagging[0].Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
  });

  test('Route 53 changes: the configured zones only, A and CNAME only, and only the change actions each step makes', () => {
    const statements = statementsWith('route53:ChangeResourceRecordSets');
    const actionsByStep = Object.fromEntries(
      statements.map((s) => [
        s.step,
        s.Condition?.['ForAllValues:StringEquals']['route53:ChangeResourceRecordSetsActions'],
      ]),
    );
    expect(actionsByStep).toEqual({
      RegisterDns: ['CREATE', 'UPSERT'],
      RollBack: ['DELETE'],
      CleanUpExecution: ['DELETE'],
      RemoveDns: ['DELETE'],
    });
    for (const s of statements) {
      expect(JSON.stringify(s.Resource)).toContain(`hostedzone/${ZONE_ID}`);
      expect(JSON.stringify(s.Resource)).not.toContain('hostedzone/*');
      expect(s.Condition?.['ForAllValues:StringEquals']['route53:ChangeResourceRecordSetsRecordTypes']).toEqual([
        'A',
        'CNAME',
      ]);
    }
  });

  test('iam:PassRole, only in LaunchInstance: the instance role only to EC2, the lease role only to the Scheduler', () => {
    const resources = build({ hostedZoneIds: [ZONE_ID] });
    const roleTrusting = (service: string) =>
      Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::IAM::Role')
        .filter(([, r]) => JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes(service))
        .map(([id]) => id);
    const [instanceRoleId] = roleTrusting('ec2.amazonaws.com');
    const [leaseRoleId] = roleTrusting('scheduler.amazonaws.com');
    expect(statementsWith('iam:PassRole')).toEqual([
      expect.objectContaining({
        step: 'LaunchInstance',
        Resource: { 'Fn::GetAtt': [instanceRoleId, 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
      expect.objectContaining({
        step: 'LaunchInstance',
        Resource: { 'Fn::GetAtt': [leaseRoleId, 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    ]);
  });

  test("lease schedules: created by LaunchInstance, deleted by the undo steps and TerminateInstance, only the lease group's lease-*", () => {
    const resources = build({ hostedZoneIds: [ZONE_ID] });
    const [groupName] = Object.values(resources)
      .filter((r) => r.Type === 'AWS::Scheduler::ScheduleGroup')
      .map((r) => (r.Properties as { Name: string }).Name);
    const scheduler = configured.flatMap((r) =>
      r.statements
        .filter((s) => actionsOf(s).some((a) => a.startsWith('scheduler:')))
        .map((s) => ({ step: r.step, ...s })),
    );
    expect(Object.fromEntries(scheduler.map((s) => [s.step, actionsOf(s)]))).toEqual({
      LaunchInstance: ['scheduler:CreateSchedule'],
      RollBack: ['scheduler:DeleteSchedule'],
      CleanUpExecution: ['scheduler:DeleteSchedule'],
      TerminateInstance: ['scheduler:DeleteSchedule'],
    });
    for (const s of scheduler) {
      expect(JSON.stringify(s.Resource)).toMatch(new RegExp(`:schedule/${groupName}/lease-\\*"`));
    }
  });

  test('the lease role: only the Scheduler, for this account and the lease group, may assume it; it may only start destroy-vm', () => {
    const resources = build({ hostedZoneIds: [ZONE_ID] });
    const [[roleId, role]] = Object.entries(resources).filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('scheduler'),
    );
    const [groupId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Scheduler::ScheduleGroup') ?? [];
    const [destroyVmId] =
      Object.entries(resources).find(
        ([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && id.startsWith('DestroyVm'),
      ) ?? [];
    expect(role.Properties?.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [groupId, 'Arn'] } },
          },
        },
      ],
    });
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties?.Roles?.some((x) => x.Ref === roleId))
      .flatMap((p) => p.Properties?.PolicyDocument?.Statement ?? []);
    expect(statements).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: destroyVmId } }]);
  });

  test('bootstrapDocuments adds exactly those documents to RunBootstrap, and to no other step', () => {
    const roles = stepRoles(build({ bootstrapDocuments: ['AWS-ApplyAnsiblePlaybooks', 'Acme-Puppet'] }));
    const documents = roles.flatMap((r) =>
      r.statements
        .filter((s) => actionsOf(s).includes('ssm:SendCommand') && JSON.stringify(s.Resource).includes(':document/'))
        .map((s) => ({ step: r.step, resource: JSON.stringify(s.Resource) })),
    );
    const withExtra = documents.filter((d) => /Ansible|Acme/.test(d.resource));
    expect(withExtra.map((d) => d.step)).toEqual(['RunBootstrap']);
    expect(withExtra[0].resource).toMatch(/::document\/AWS-ApplyAnsiblePlaybooks/);
    expect(withExtra[0].resource).toMatch(/:document\/Acme-Puppet/);
    expect(() => build({ bootstrapDocuments: ['bad doc;'] })).toThrow(/bootstrapDocuments/);
  });

  test('allowForceDestroy is the only way TerminateInstance loses its tag condition, and RollBack never does', () => {
    const forced = stepRoles(build({ hostedZoneIds: [ZONE_ID], allowForceDestroy: true }));
    const terminate = (roles: StepRole[], step: string) =>
      roles.find((r) => r.step === step)?.statements.find((s) => actionsOf(s).includes('ec2:TerminateInstances'));
    expect(terminate(forced, 'TerminateInstance')?.Condition).toBeUndefined();
    expect(terminate(forced, 'RollBack')?.Condition).toEqual(managed);
    expect(terminate(configured, 'TerminateInstance')?.Condition).toEqual(managed);
    expect(roleOf('ResolveHost').statements.flatMap(actionsOf)).not.toContain('ec2:TerminateInstances');
  });
});

describe('deployment settings widen exactly what they name', () => {
  const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  test('imageParameterPaths: ValidateInput may read those paths, checks against the same list, nothing else gains', () => {
    const resources = build({ imageParameterPaths: ['/golden-ami'] });
    const roles = stepRoles(resources);
    const reads = roles.flatMap((r) =>
      r.statements
        .filter((s) => actionsOf(s).includes('ssm:GetParameter'))
        .map((s) => ({ step: r.step, resource: JSON.stringify(s.Resource) })),
    );
    expect([...new Set(reads.map((r) => r.step))]).toEqual(['ValidateInput']);
    expect(reads.map((r) => r.resource).join(' ')).toMatch(/:parameter\/golden-ami\/\*/);
    const validate = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r.Properties).includes('IMAGE_PARAMETER_PATHS'),
    );
    expect(JSON.stringify(validate?.Properties)).toContain('"IMAGE_PARAMETER_PATHS":"/aws/service/,/golden-ami/"');
    expect(() => build({ imageParameterPaths: ['golden ami'] })).toThrow(/imageParameterPaths/);
    expect(() => build({ defaults: { imageParameter: '/elsewhere/ami' } })).toThrow(
      /^imageParameter: \/elsewhere\/ami is outside/,
    );
  });

  test('ebsKmsKeyArn: LaunchInstance, and only it, gets what EBS encryption needs on that key', () => {
    const roles = stepRoles(build({ ebsKmsKeyArn: KEY }));
    const kms = roles.flatMap((r) =>
      r.statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:'))).map((s) => ({ step: r.step, ...s })),
    );
    expect(kms.every((s) => s.step === 'LaunchInstance' && s.Resource === KEY)).toBe(true);
    expect(kms.find((s) => actionsOf(s).includes('kms:CreateGrant'))?.Condition).toEqual({
      Bool: { 'kms:GrantIsForAWSResource': 'true' },
    });
    expect(kms.flatMap(actionsOf).sort()).toEqual([
      'kms:CreateGrant',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ]);
    expect(
      stepRoles(build({}))
        .flatMap((r) => r.statements.flatMap(actionsOf))
        .some((a) => a.startsWith('kms:')),
    ).toBe(false);
    expect(() => build({ ebsKmsKeyArn: 'alias/mine' })).toThrow(/ebsKmsKeyArn/);
  });
});
