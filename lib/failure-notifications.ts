import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface FailureNotificationsProps {
  /** The state machines whose failed executions are announced. */
  readonly stateMachines: sfn.IStateMachine[];
  /** Where the announcements go. */
  readonly topic: sns.ITopic;
}

/** The end states an operator wants to hear about: the execution did not do what was asked. */
export const FAILED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/**
 * Step Functions puts an "Execution Status Change" event on the default event bus for every
 * execution that ends; this rule sends the failed ones of the workflows to an SNS topic, with the
 * execution, its error and cause, ready for email, chat or a pager.
 */
export class FailureNotifications extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: FailureNotificationsProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: 'instance-lifecycle: failed, timed out or aborted executions to the failure topic',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: FAILED_STATUSES,
          stateMachineArn: props.stateMachines.map((m) => m.stateMachineArn),
        },
      },
    });
    this.rule.addTarget(
      new targets.SnsTopic(props.topic, {
        message: events.RuleTargetInput.fromObject({
          summary: `instance-lifecycle execution ${events.EventField.fromPath('$.detail.name')} ended ${events.EventField.fromPath('$.detail.status')}`,
          execution: events.EventField.fromPath('$.detail.executionArn'),
          stateMachine: events.EventField.fromPath('$.detail.stateMachineArn'),
          status: events.EventField.fromPath('$.detail.status'),
          error: events.EventField.fromPath('$.detail.error'),
          cause: events.EventField.fromPath('$.detail.cause'),
          input: events.EventField.fromPath('$.detail.input'),
          startDate: events.EventField.fromPath('$.detail.startDate'),
          stopDate: events.EventField.fromPath('$.detail.stopDate'),
        }),
      }),
    );
  }
}
