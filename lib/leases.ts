import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LEASE_PREFIX } from '../lambdas/lib/lease';
import { acknowledgeWildcard } from './nag';
import type { Steps } from './steps';

export interface LeasesProps {
  readonly steps: Steps;
  /** What a lease's schedule starts when it expires. */
  readonly destroyVm: sfn.IStateMachine;
}

/**
 * Leases: hosts created with `expiresIn` or `expiresAt` are destroyed by a one-time EventBridge
 * Scheduler schedule each, `lease-<instanceId>` in this construct's schedule group. The schedules
 * run as a role that may only start destroy-vm, and only EventBridge Scheduler, for this account's
 * lease group, may assume it. LaunchInstance creates a schedule (and passes that role, to the
 * Scheduler only); RollBack, CleanUpExecution and TerminateInstance delete one; nothing else may
 * touch them.
 */
export class Leases extends Construct {
  readonly group: scheduler.ScheduleGroup;
  /** The role every lease's schedule runs as. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LeasesProps) {
    super(scope, id);
    const { partition, region, account } = Stack.of(this);
    // Deleting the stack deletes the group and, with it, the schedules of hosts still leased:
    // without destroy-vm they could start nothing.
    this.group = new scheduler.ScheduleGroup(this, 'ScheduleGroup', { removalPolicy: RemovalPolicy.DESTROY });
    const groupName = this.group.scheduleGroupName;
    this.role = new iam.Role(this, 'SchedulerRole', {
      description: 'instance-lifecycle leases: EventBridge Scheduler starts destroy-vm, nothing else',
      // The confused-deputy guard AWS documents for the Scheduler: this account's lease group only.
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': account },
        ArnEquals: { 'aws:SourceArn': this.group.scheduleGroupArn },
      }),
    });
    props.destroyVm.grantStartExecution(this.role);

    const schedules = `arn:${partition}:scheduler:${region}:${account}:schedule/${groupName}/${LEASE_PREFIX}*`;
    acknowledgeWildcard(
      props.steps,
      schedules,
      'a lease schedule is named after its instance, known only at launch: lease-<instanceId>, in the lease group',
    );
    const settings = {
      LEASE_SCHEDULE_GROUP: groupName,
      LEASE_ROLE_ARN: this.role.roleArn,
      DESTROY_VM_ARN: props.destroyVm.stateMachineArn,
    };
    const { launchInstance, rollBack, cleanUpExecution, terminateInstance } = props.steps;
    for (const [name, value] of Object.entries(settings)) launchInstance.addEnvironment(name, value);
    launchInstance.allow({ actions: ['scheduler:CreateSchedule'], resources: [schedules] }).allow({
      actions: ['iam:PassRole'],
      resources: [this.role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
    for (const step of [rollBack, cleanUpExecution, terminateInstance]) {
      step.addEnvironment('LEASE_SCHEDULE_GROUP', groupName);
      step.allow({ actions: ['scheduler:DeleteSchedule'], resources: [schedules] });
    }
  }
}
