import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXPECTED_LATENCY, type ExpectedLatency } from './expected-latency';
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
  /** Each poll's first wait. @default EXPECTED_LATENCY */
  readonly expectedLatency?: ExpectedLatency;
}

/** Each loop's bounds, as for create-vm (CREATE_POLL_BOUNDS). */
export const DESTROY_POLL_BOUNDS = {
  terminated: { maxSeconds: 600, maxAttempts: 120 },
  dnsSync: { maxSeconds: 300, maxAttempts: 60 },
} as const;

/**
 * destroy-vm, top to bottom: ResolveHost → ([TerminateInstance → WaitUntilTerminated] if there is
 * an instance ‖ [RemoveDns → WaitForDnsSync] if there is a record) → Done. The two are independent
 * and take about as long, so they run side by side. Each step is safe to rerun, so a failed
 * destroy is finished by running destroy again.
 */
export class DestroyVmWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: DestroyVmWorkflowProps) {
    super(scope, id);
    const s = props.steps;
    const intervalPath = '$.target.pollIntervalSeconds';
    const expected = props.expectedLatency ?? EXPECTED_LATENCY;

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
      firstWaitSeconds: expected.terminated,
      ...DESTROY_POLL_BOUNDS.terminated,
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
      firstWaitSeconds: expected.dnsInSync,
      ...DESTROY_POLL_BOUNDS.dnsSync,
      payload: { 'changeId.$': '$.removal.changeId' },
    });
    const done = new sfn.Pass(this, 'Done', {
      parameters: { 'removed.$': '$[0].target' },
    });
    const teardown = new sfn.Parallel(this, 'Teardown', {
      comment: 'The instance and its record go at the same time; either may be absent already',
    })
      .branch(
        new sfn.Choice(this, 'HasInstance?')
          .when(
            sfn.Condition.isPresent('$.target.instanceId'),
            terminate.next(terminated).next(new sfn.Succeed(this, 'InstanceGone')),
          )
          .otherwise(new sfn.Succeed(this, 'NoInstance')),
      )
      .branch(
        new sfn.Choice(this, 'HasRecord?')
          .when(
            sfn.Condition.isPresent('$.target.record'),
            removeDns.next(dnsSync).next(new sfn.Succeed(this, 'RecordGone')),
          )
          .otherwise(new sfn.Succeed(this, 'NoRecord')),
      );

    this.stateMachine = workflowStateMachine(this, {
      comment: 'instance-lifecycle destroy-vm: terminate the instance behind a hostname, remove its record',
      definition: resolve.next(teardown).next(done),
      timeout: props.timeout ?? Duration.minutes(30),
      logRetention: props.logRetention,
    });
  }
}
