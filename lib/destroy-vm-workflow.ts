import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { lambdaStep } from './lambda-step';
import { Poll } from './poll';
import type { Steps } from './steps';
import { workflowStateMachine } from './workflow-state-machine';

export interface DestroyVmWorkflowProps {
  readonly steps: Steps;
  /** @default Duration.minutes(30) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

export const DESTROY_MAX_ATTEMPTS = { terminated: 60, dnsSync: 60 } as const;

/**
 * destroy-vm, top to bottom: ResolveHost → [TerminateInstance → WaitUntilTerminated] if there is an
 * instance → [RemoveDns → WaitForDnsSync] if there is a record → Done. Each step is safe to rerun,
 * so a failed destroy is finished by running destroy again.
 */
export class DestroyVmWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: DestroyVmWorkflowProps) {
    super(scope, id);
    const s = props.steps;
    const intervalPath = '$.target.pollIntervalSeconds';

    const resolve = lambdaStep(this, {
      fn: s.resolveHost,
      name: 'ResolveHost',
      payload: { 'input.$': '$', 'executionId.$': '$$.Execution.Id' },
      resultPath: '$.target',
    });
    const terminate = lambdaStep(this, {
      fn: s.terminateInstance,
      name: 'TerminateInstance',
      resultPath: '$.termination',
    });
    const terminated = new Poll(this, 'WaitUntilTerminated', {
      check: s.waitUntilTerminated,
      slot: 'terminated',
      intervalPath,
      maxAttempts: DESTROY_MAX_ATTEMPTS.terminated,
    });
    const removeDns = lambdaStep(this, {
      fn: s.removeDns,
      name: 'RemoveDns',
      resultPath: '$.removal',
    });
    const dnsSync = new Poll(this, 'WaitForDnsSync', {
      check: s.waitForDnsSync,
      slot: 'dnsSync',
      intervalPath,
      maxAttempts: DESTROY_MAX_ATTEMPTS.dnsSync,
      payload: { 'changeId.$': '$.removal.changeId' },
    });
    const done = new sfn.Pass(this, 'Done', {
      parameters: { 'removed.$': '$.target' },
    });

    // Explicit joins: Choice.afterwards() does not see through a poll fragment's own Choice.
    const hasRecord = new sfn.Choice(this, 'HasRecord?')
      .when(sfn.Condition.isPresent('$.target.record'), removeDns.next(dnsSync.next(done)))
      .otherwise(done);
    const hasInstance = new sfn.Choice(this, 'HasInstance?')
      .when(sfn.Condition.isPresent('$.target.instanceId'), terminate.next(terminated.next(hasRecord)))
      .otherwise(hasRecord);

    this.stateMachine = workflowStateMachine(this, {
      comment: 'instance-lifecycle destroy-vm: terminate the instance behind a hostname, remove its record',
      definition: resolve.next(hasInstance),
      timeout: props.timeout ?? Duration.minutes(30),
      logRetention: props.logRetention,
    });
  }
}
