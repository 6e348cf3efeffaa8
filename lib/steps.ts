import { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../lambdas/lib/contract';
import { PUBLIC_PARAMETER_PATH } from '../lambdas/lib/input';
import { acknowledgeWildcard } from './nag';
import { StepFunction } from './step-function';

export interface StepsProps {
  /** Route 53 hosted zone ids the workflows may read and change. Empty: every zone of the account. */
  readonly hostedZoneIds: string[];
  /** Where operators keep the defaults (JSON). */
  readonly defaultsParameter: ssm.IStringParameter;
  /** The role of the instance profile launched instances get (PassRole names only it). */
  readonly instanceRole: iam.IRole;
  readonly instanceProfileArn: string;
  /** Let destroy terminate instances without the ManagedBy tag when the input says `force`. */
  readonly allowForceDestroy: boolean;
  /** SSM documents a create's bootstrap may run, besides plain commands (AWS-RunShellScript). */
  readonly bootstrapDocuments: string[];
  /** Parameter paths (besides AWS's public /aws/service/) an imageParameter may name: `/golden-ami/`. */
  readonly imageParameterPaths: string[];
  /** A customer managed KMS key for the root volumes; none: the account's default EBS key. */
  readonly ebsKmsKeyArn?: string;
}

/**
 * Every step's Lambda and exactly what it may call. One role per step; EC2 actions that change an
 * instance are conditioned on the ManagedBy tag, Route 53 changes on the configured zones.
 */
export class Steps extends Construct {
  readonly validateInput: StepFunction;
  readonly launchInstance: StepFunction;
  readonly waitUntilRunning: StepFunction;
  readonly waitUntilManaged: StepFunction;
  readonly registerDns: StepFunction;
  readonly waitForDnsSync: StepFunction;
  readonly setHostname: StepFunction;
  readonly waitForHostname: StepFunction;
  readonly rebootInstance: StepFunction;
  readonly waitUntilRebooted: StepFunction;
  readonly runBootstrap: StepFunction;
  readonly waitForBootstrap: StepFunction;
  readonly rollBack: StepFunction;
  readonly cleanUpExecution: StepFunction;
  readonly resolveHost: StepFunction;
  readonly terminateInstance: StepFunction;
  readonly waitUntilTerminated: StepFunction;
  readonly removeDns: StepFunction;
  readonly expandFleet: StepFunction;
  readonly hostResult: StepFunction;
  readonly reportFleet: StepFunction;
  /** Every step function, for the grants and acknowledgements that apply to all of them. */
  readonly all: StepFunction[];

  constructor(scope: Construct, id: string, props: StepsProps) {
    super(scope, id);
    const { region, account, partition } = Stack.of(this);
    const ec2Arn = (type: string) => `arn:${partition}:ec2:${region}:${account}:${type}/*`;
    const wildcard = (resource: string, reason: string) => {
      acknowledgeWildcard(this, resource, reason);
      return resource;
    };
    const zoneArns =
      props.hostedZoneIds.length > 0
        ? props.hostedZoneIds.map((z) => `arn:${partition}:route53:::hostedzone/${z}`)
        : [
            wildcard(
              `arn:${partition}:route53:::hostedzone/*`,
              'no hostedZoneIds configured: the workflows serve every zone of the account; set hostedZoneIds in cdk.json to narrow it',
            ),
          ];
    const anyInstance = wildcard(
      ec2Arn('instance'),
      'instance ids are unknown before launch; every action that changes an instance is conditioned on the ManagedBy tag',
    );
    const managed = { [`aws:ResourceTag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE };
    const describeInstances = {
      actions: ['ec2:DescribeInstances'],
      resources: ['*'],
    };
    const readZone = {
      actions: ['route53:ListResourceRecordSets'],
      resources: zoneArns,
    };
    const findZones = {
      actions: ['route53:ListHostedZonesByName'],
      resources: ['*'],
    };
    // Only A and CNAME records, and only the change actions the step makes: RegisterDns creates
    // (and re-states its own record after a lost response); RemoveDns and RollBack delete.
    const changeRecords = (...changeActions: Array<'CREATE' | 'UPSERT' | 'DELETE'>) => ({
      actions: ['route53:ChangeResourceRecordSets'],
      resources: zoneArns,
      conditions: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'CNAME'],
          'route53:ChangeResourceRecordSetsActions': changeActions,
        },
      },
    });
    const agentInformation = {
      actions: ['ssm:DescribeInstanceInformation'],
      resources: ['*'],
    };
    const commandResults = {
      actions: ['ssm:GetCommandInvocation'],
      resources: ['*'],
    };
    const runShellScript = [
      {
        actions: ['ssm:SendCommand'],
        resources: [`arn:${partition}:ssm:${region}::document/AWS-RunShellScript`],
      },
      {
        actions: ['ssm:SendCommand'],
        resources: [anyInstance],
        conditions: {
          StringEquals: {
            [`ssm:resourceTag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE,
          },
        },
      },
    ];
    const terminateManaged = {
      actions: ['ec2:TerminateInstances'],
      resources: [anyInstance],
      conditions: { StringEquals: managed },
    };

    const step = (stepId: string, handlerFile: string, description: string, environment?: Record<string, string>) =>
      new StepFunction(this, stepId, { handlerFile, description, environment });

    this.validateInput = step('ValidateInput', 'validate-input', 'Checks a create request before anything is made', {
      DEFAULTS_PARAMETER: props.defaultsParameter.parameterName,
      BOOTSTRAP_DOCUMENTS: props.bootstrapDocuments.join(','),
      // What it checks an imageParameter against is exactly what it is granted below.
      IMAGE_PARAMETER_PATHS: [PUBLIC_PARAMETER_PATH, ...props.imageParameterPaths].join(','),
    })
      .allow({
        actions: ['ssm:GetParameter'],
        resources: [props.defaultsParameter.parameterArn],
      })
      .allow({
        actions: ['ssm:GetParameter'],
        resources: [
          wildcard(
            `arn:${partition}:ssm:${region}::parameter${PUBLIC_PARAMETER_PATH}*`,
            'public AMI parameters (Amazon Linux, Ubuntu) an operator may name as imageParameter',
          ),
          ...props.imageParameterPaths.map((path) =>
            wildcard(
              `arn:${partition}:ssm:${region}:${account}:parameter${path}*`,
              `the deployment's own AMI parameters under ${path} (imageParameterPaths)`,
            ),
          ),
        ],
      })
      .allow(findZones)
      .allow({ actions: ['route53:GetHostedZone'], resources: zoneArns })
      .allow(readZone)
      .allow({
        actions: [
          'ec2:DescribeInstances',
          'ec2:DescribeImages',
          'ec2:DescribeSubnets',
          'ec2:DescribeInstanceTypeOfferings',
        ],
        resources: ['*'],
      });

    this.launchInstance = step('LaunchInstance', 'launch-instance', 'Launches the instance, tagged, once', {
      INSTANCE_PROFILE_ARN: props.instanceProfileArn,
      ...(props.ebsKmsKeyArn ? { EBS_KMS_KEY_ID: props.ebsKmsKeyArn } : {}),
    })
      .allow({
        actions: ['ec2:RunInstances'],
        resources: [
          anyInstance,
          wildcard(
            ec2Arn('volume'),
            'the root volume is created by RunInstances, which requires the ManagedBy request tag',
          ),
        ],
        conditions: {
          StringEquals: {
            [`aws:RequestTag/${MANAGED_BY_TAG}`]: MANAGED_BY_VALUE,
          },
        },
      })
      .allow({
        actions: ['ec2:RunInstances'],
        resources: [
          wildcard(`arn:${partition}:ec2:${region}::image/*`, 'the AMI is chosen per execution'),
          wildcard(ec2Arn('subnet'), 'the subnet is chosen per execution'),
          wildcard(ec2Arn('security-group'), 'security groups are chosen per execution'),
          wildcard(ec2Arn('network-interface'), 'RunInstances creates the primary network interface'),
          wildcard(ec2Arn('key-pair'), 'the optional key pair is chosen per execution'),
        ],
      })
      .allow({
        actions: ['ec2:CreateTags'],
        resources: [ec2Arn('instance'), ec2Arn('volume')],
        conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
      })
      .allow({
        actions: ['iam:PassRole'],
        resources: [props.instanceRole.roleArn],
        conditions: {
          StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        },
      });

    if (props.ebsKmsKeyArn) {
      // What EBS encryption with a customer managed key needs of the caller (AWS: "kms:CreateGrant,
      // kms:Decrypt, kms:DescribeKey, kms:GenerateDataKeyWithoutPlainText, kms:ReEncrypt"), grants
      // only for AWS resources (EC2 creating the volume on the step's behalf).
      this.launchInstance
        .allow({
          actions: ['kms:CreateGrant'],
          resources: [props.ebsKmsKeyArn],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        })
        .allow({
          actions: [
            'kms:Decrypt',
            'kms:DescribeKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
          ],
          resources: [props.ebsKmsKeyArn],
        });
    }
    this.waitUntilRunning = step('WaitUntilRunning', 'wait-until-running', 'Checks the instance is running').allow(
      describeInstances,
    );
    this.waitUntilManaged = step('WaitUntilManaged', 'wait-until-managed', 'Checks the SSM agent is Online').allow(
      agentInformation,
    );
    this.registerDns = step('RegisterDns', 'register-dns', 'Creates the Route 53 record')
      .allow(changeRecords('CREATE', 'UPSERT'))
      .allow(readZone);
    this.waitForDnsSync = step('WaitForDnsSync', 'wait-for-dns-sync', 'Checks a Route 53 change is INSYNC').allow({
      actions: ['route53:GetChange'],
      resources: [
        wildcard(`arn:${partition}:route53:::change/*`, 'Route 53 change ids are only known after the change'),
      ],
    });
    this.setHostname = step('SetHostname', 'set-hostname', 'Sets and preserves the hostname through SSM').allow(
      ...runShellScript,
    );
    this.waitForHostname = step('WaitForHostname', 'wait-for-hostname', 'Checks the set-hostname command').allow(
      commandResults,
    );
    this.rebootInstance = step('RebootInstance', 'reboot-instance', 'Reboots the instance').allow({
      actions: ['ec2:RebootInstances'],
      resources: [anyInstance],
      conditions: { StringEquals: managed },
    });
    this.waitUntilRebooted = step(
      'WaitUntilRebooted',
      'wait-until-rebooted',
      'Proves the reboot and the hostname',
    ).allow(agentInformation, commandResults, ...runShellScript);
    this.runBootstrap = step(
      'RunBootstrap',
      'run-bootstrap',
      "Runs the operator's post-boot commands or document",
    ).allow(...runShellScript);
    if (props.bootstrapDocuments.length > 0) {
      this.runBootstrap.allow({
        actions: ['ssm:SendCommand'],
        // AWS-owned documents have no account in their ARN; the account's own do.
        resources: props.bootstrapDocuments.map((d) =>
          /^(AWS|Amazon)/.test(d)
            ? `arn:${partition}:ssm:${region}::document/${d}`
            : `arn:${partition}:ssm:${region}:${account}:document/${d}`,
        ),
      });
    }
    this.waitForBootstrap = step('WaitForBootstrap', 'wait-for-bootstrap', 'Checks the bootstrap command').allow({
      actions: ['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'],
      resources: ['*'],
    });
    this.rollBack = step('RollBack', 'roll-back', 'Removes what a failed create made')
      .allow(describeInstances)
      .allow(findZones)
      .allow(readZone)
      .allow(changeRecords('DELETE'))
      .allow(terminateManaged);

    this.cleanUpExecution = step(
      'CleanUpExecution',
      'clean-up-execution',
      'Removes what a create left when no Catch saw it end',
    )
      .allow(describeInstances)
      .allow(findZones)
      .allow(readZone)
      .allow(changeRecords('DELETE'))
      .allow(terminateManaged);

    this.resolveHost = step('ResolveHost', 'resolve-host', 'Finds the record and instance behind a hostname', {
      ALLOW_FORCE: String(props.allowForceDestroy),
    })
      .allow(findZones)
      .allow(readZone)
      .allow(describeInstances);
    this.terminateInstance = step('TerminateInstance', 'terminate-instance', 'Terminates the instance').allow(
      props.allowForceDestroy ? { actions: ['ec2:TerminateInstances'], resources: [anyInstance] } : terminateManaged,
    );
    this.waitUntilTerminated = step(
      'WaitUntilTerminated',
      'wait-until-terminated',
      'Checks the instance is gone',
    ).allow(describeInstances);
    this.removeDns = step('RemoveDns', 'remove-dns', 'Deletes the Route 53 record')
      .allow(readZone)
      .allow(changeRecords('DELETE'));
    this.expandFleet = step('ExpandFleet', 'expand-fleet', 'Turns a fleet input into one input per host');
    this.hostResult = step('HostResult', 'host-result', "Keeps one fleet host's outcome, small");
    this.reportFleet = step('ReportFleet', 'report-fleet', "Reports each host's result");
    this.all = this.node.children.filter((c): c is StepFunction => c instanceof StepFunction);
  }
}
