import { CfnOutput, type Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { fleetPace } from '../lambdas/lib/fleet';
import {
  assertReadableParameter,
  type Defaults,
  defaultsValue,
  PUBLIC_PARAMETER_PATH,
  parseDefaults,
  parseParameterPath,
} from '../lambdas/lib/input';
import { CleanUp } from './clean-up';
import { CreateVmWorkflow } from './create-vm-workflow';
import { DestroyVmWorkflow } from './destroy-vm-workflow';
import { type ExpectedLatency, expectedLatency as expectedLatencyOf } from './expected-latency';
import { FailureNotifications } from './failure-notifications';
import { FleetWorkflow } from './fleet-workflow';
import { Leases } from './leases';
import { acknowledgeWildcard, nagResourceName } from './nag';
import { Steps } from './steps';

export interface InstanceLifecycleStackProps extends StackProps {
  /** Route 53 hosted zone ids the workflows may change. @default [] (every zone of the account) */
  readonly hostedZoneIds?: string[];
  /** Defaults for optional create fields, written to SSM Parameter Store. @default {} */
  readonly defaults?: Record<string, unknown>;
  /** Let destroy `force` terminate instances without the ManagedBy tag. @default false */
  readonly allowForceDestroy?: boolean;
  /**
   * SSM documents a create's post-boot `bootstrap` may name (e.g. AWS-ApplyAnsiblePlaybooks, or an
   * account's own). Plain `bootstrap.commands` need none. @default []
   */
  readonly bootstrapDocuments?: string[];
  /**
   * Parameter paths, besides AWS's public /aws/service/, under which an execution's imageParameter
   * may name its AMI (e.g. `/golden-ami/`): ValidateInput may read them, and refuses any other.
   * @default []
   */
  readonly imageParameterPaths?: string[];
  /**
   * The ARN of a customer managed KMS key that encrypts every root volume; LaunchInstance gets the
   * KMS permissions EBS needs for it. The key's policy must let the account's IAM grant them.
   * @default none: the account's default EBS encryption key
   */
  readonly ebsKmsKeyArn?: string;
  /** Hosts a fleet execution creates or destroys at once, 1 to 50. @default 50: all of them */
  readonly fleetConcurrency?: number;
  /**
   * Hosts a fleet starts each second, after the first four: the pace EC2's RunInstances bucket
   * refills at (2 a second by default; more where AWS raised the account's limit). 0 starts every
   * host at once. @default 2
   */
  readonly fleetLaunchesPerSecond?: number;
  /** @default Duration.minutes(45) */
  readonly createTimeout?: Duration;
  /** @default Duration.minutes(30) */
  readonly destroyTimeout?: Duration;
  /**
   * How long AWS usually takes for what the workflows wait on: each poll's first wait. Set the
   * figures measured in a deployment's region and instance types. @default EXPECTED_LATENCY
   */
  readonly expectedLatency?: Partial<ExpectedLatency>;
  /**
   * Where failed, timed-out and aborted executions of either workflow are announced. The topic's
   * policy must let events.amazonaws.com publish (CDK adds that for a topic defined in this app).
   * @default none: the events are still on the default event bus for any other rule to route
   */
  readonly failureTopic?: sns.ITopic;
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/;

/** Wires the constructs together and says where to find them. */
export class InstanceLifecycleStack extends Stack {
  readonly createVm: CreateVmWorkflow;
  readonly destroyVm: DestroyVmWorkflow;
  readonly createFleet: FleetWorkflow;
  readonly destroyFleet: FleetWorkflow;
  readonly cleanUp: CleanUp;
  readonly leases: Leases;
  readonly defaultsParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: InstanceLifecycleStackProps = {}) {
    super(scope, id, props);
    for (const document of props.bootstrapDocuments ?? []) {
      if (!/^[A-Za-z0-9_.-]{3,128}$/.test(document))
        throw new Error(`bootstrapDocuments: ${document} is not a document name`);
    }
    for (const zoneId of props.hostedZoneIds ?? []) {
      if (!/^Z[A-Z0-9]{1,31}$/.test(zoneId)) throw new Error(`hostedZoneIds: ${zoneId} is not a hosted zone id`);
    }
    const imageParameterPaths = (props.imageParameterPaths ?? []).map(parseParameterPath);
    if (props.ebsKmsKeyArn !== undefined && !KMS_KEY_ARN.test(props.ebsKmsKeyArn)) {
      throw new Error(`ebsKmsKeyArn: ${props.ebsKmsKeyArn} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)`);
    }
    // Bad defaults fail the synth, not the first execution.
    const defaults: Defaults = parseDefaults(props.defaults ?? {});
    if (defaults.imageParameter && !defaults.imageId) {
      assertReadableParameter(defaults.imageParameter, [PUBLIC_PARAMETER_PATH, ...imageParameterPaths]);
    }
    const expectedLatency = expectedLatencyOf(props.expectedLatency);

    this.defaultsParameter = new ssm.StringParameter(this, 'Defaults', {
      // A fixed, stack-scoped path: operators and the CLI read and change it without a lookup.
      parameterName: `/instance-lifecycle/${this.stackName}/defaults`,
      stringValue: defaultsValue(defaults),
      // Standard up to 4 KB, Advanced beyond; `defaults set` asks the same, so neither downgrades the other.
      tier: ssm.ParameterTier.INTELLIGENT_TIERING,
      description: 'instance-lifecycle defaults for optional create fields (JSON); execution input overrides them',
    });

    const instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Instances launched by instance-lifecycle: SSM agent only',
    });
    const ssmCore = iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore');
    instanceRole.addManagedPolicy(ssmCore);
    Validations.of(instanceRole).acknowledge({
      id: `AwsSolutions-IAM4[Policy::${nagResourceName(instanceRole, ssmCore.managedPolicyArn)}]`,
      reason:
        'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for the SSM agent, which replaces SSH here; a copy would drift from it',
    });
    const instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', {
      role: instanceRole,
    });

    const steps = new Steps(this, 'Steps', {
      hostedZoneIds: props.hostedZoneIds ?? [],
      defaultsParameter: this.defaultsParameter,
      instanceRole,
      instanceProfileArn: instanceProfile.instanceProfileArn,
      allowForceDestroy: props.allowForceDestroy ?? false,
      bootstrapDocuments: props.bootstrapDocuments ?? [],
      imageParameterPaths,
      ebsKmsKeyArn: props.ebsKmsKeyArn,
    });
    this.createVm = new CreateVmWorkflow(this, 'CreateVm', {
      steps,
      timeout: props.createTimeout,
      expectedLatency,
    });
    this.destroyVm = new DestroyVmWorkflow(this, 'DestroyVm', {
      steps,
      timeout: props.destroyTimeout,
      expectedLatency,
    });
    this.createFleet = new FleetWorkflow(this, 'CreateFleet', {
      steps,
      action: 'create',
      hostMachine: this.createVm.stateMachine,
      maxConcurrency: props.fleetConcurrency,
      pace: fleetPace(props.fleetLaunchesPerSecond),
    });
    this.destroyFleet = new FleetWorkflow(this, 'DestroyFleet', {
      steps,
      action: 'destroy',
      hostMachine: this.destroyVm.stateMachine,
      maxConcurrency: props.fleetConcurrency,
      pace: fleetPace(props.fleetLaunchesPerSecond),
    });
    this.cleanUp = new CleanUp(this, 'CleanUp', { steps, createVm: this.createVm.stateMachine });
    this.leases = new Leases(this, 'Leases', { steps, destroyVm: this.destroyVm.stateMachine });
    if (props.failureTopic) this.notifyFailuresTo(props.failureTopic);
    for (const fn of steps.all) {
      for (const workflow of [this.createVm, this.destroyVm, this.createFleet, this.destroyFleet, this.cleanUp]) {
        acknowledgeWildcard(
          workflow,
          `${fn.functionArn}:*`,
          'Step Functions may invoke versions and aliases of its own step functions',
        );
      }
    }
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'DescribeInstances/Images/Subnets/InstanceTypeOfferings, DescribeInstanceInformation, GetCommandInvocation, ListCommandInvocations, ListHostedZonesByName and X-Ray writes support no resource-level permissions',
    });

    new CfnOutput(this, 'CreateVmStateMachineArn', {
      value: this.createVm.stateMachine.stateMachineArn,
      description: 'Start an execution with {"hostname": "...", "dnsZone": "..."}',
    });
    new CfnOutput(this, 'DestroyVmStateMachineArn', {
      value: this.destroyVm.stateMachine.stateMachineArn,
      description: 'Start an execution with {"hostname": "...", "dnsZone": "..."} or {"instanceId": "..."}',
    });
    new CfnOutput(this, 'CreateFleetStateMachineArn', {
      value: this.createFleet.stateMachine.stateMachineArn,
      description: 'Start an execution with {"hostnames": ["web1", "web2"], "dnsZone": "..."}',
    });
    new CfnOutput(this, 'DestroyFleetStateMachineArn', {
      value: this.destroyFleet.stateMachine.stateMachineArn,
      description: 'Start an execution with {"hostnames": ["web1", "web2"], "dnsZone": "..."}',
    });
    new CfnOutput(this, 'CleanUpStateMachineArn', {
      value: this.cleanUp.stateMachine.stateMachineArn,
      description: 'Runs by itself after a create-vm execution that ended without its roll-back',
    });
    new CfnOutput(this, 'LeaseScheduleGroupName', {
      value: this.leases.group.scheduleGroupName,
      description: "Leased hosts' schedules (lease-<instanceId>): lifecycle extend moves them",
    });
    new CfnOutput(this, 'LeaseRoleArn', {
      value: this.leases.role.roleArn,
      description: 'The role lease schedules run as: it may only start destroy-vm',
    });
    new CfnOutput(this, 'DefaultsParameterName', {
      value: this.defaultsParameter.parameterName,
      description: 'SSM parameter holding the defaults (JSON); change it without redeploying',
    });
  }

  /** Announces failed, timed-out and aborted executions of every workflow, the clean-up's too, on `topic`. */
  notifyFailuresTo(topic: sns.ITopic): FailureNotifications {
    return new FailureNotifications(this, 'FailureNotifications', {
      stateMachines: [
        this.createVm.stateMachine,
        this.destroyVm.stateMachine,
        this.createFleet.stateMachine,
        this.destroyFleet.stateMachine,
        this.cleanUp.stateMachine,
      ],
      topic,
    });
  }
}
