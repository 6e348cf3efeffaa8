import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { lambdaStep } from './lambda-step';
import { STEP_TIMEOUT } from './step-function';
import type { Steps } from './steps';
import { workflowStateMachine } from './workflow-state-machine';

export interface CleanUpProps {
  readonly steps: Steps;
  /** The workflow whose executions are cleaned up after. */
  readonly createVm: sfn.IStateMachine;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/** The end states after which a create-vm execution may have left something: no Catch saw them, or the roll-back failed. */
export const CLEAN_UP_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/**
 * What no Catch sees is cleaned up here. Step Functions puts an "Execution Status Change" event on
 * the default bus when an execution ends; for a create-vm execution that timed out, was stopped
 * (by an operator, or by a fleet stopping its hosts), or failed (an error States.ALL does not
 * catch, or a roll-back that failed), a rule starts this small state machine: LetStepsFinish (a
 * step still running when the execution ended has finished by then) → CleanUpExecution (the
 * roll-back of that execution, found by its lifecycle:execution tag). A create that rolled itself
 * back leaves nothing, and the clean-up finds nothing.
 */
export class CleanUp extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: CleanUpProps) {
    super(scope, id);
    const lingerSeconds = STEP_TIMEOUT.toSeconds() + 30;
    const letStepsFinish = new sfn.Wait(this, 'LetStepsFinish', {
      time: sfn.WaitTime.duration(Duration.seconds(lingerSeconds)),
      comment: `${lingerSeconds} s, past any step Lambda's timeout: one still running when the execution ended has finished`,
    });
    const cleanUp = lambdaStep(this, {
      fn: props.steps.cleanUpExecution,
      name: 'CleanUpExecution',
      payload: { 'executionId.$': '$.executionId', 'status.$': '$.status' },
      comment: 'Terminates what the execution launched and removes its record, if anything is left',
    });
    this.stateMachine = workflowStateMachine(this, {
      comment: 'instance-lifecycle clean-up: what a create-vm execution left when no Catch saw it end',
      definition: letStepsFinish.next(cleanUp),
      timeout: Duration.minutes(30),
      logRetention: props.logRetention,
    });
    this.rule = new events.Rule(this, 'Rule', {
      description: 'instance-lifecycle: create-vm executions that ended without their roll-back, to the clean-up',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: CLEAN_UP_STATUSES, stateMachineArn: [props.createVm.stateMachineArn] },
      },
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(this.stateMachine, {
        input: events.RuleTargetInput.fromObject({
          executionId: events.EventField.fromPath('$.detail.executionArn'),
          status: events.EventField.fromPath('$.detail.status'),
        }),
      }),
    );
  }
}
