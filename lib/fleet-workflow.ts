import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { lambdaStep } from './lambda-step';
import { acknowledgeRoleWildcards } from './nag';
import type { Steps } from './steps';
import { workflowStateMachine } from './workflow-state-machine';

export interface FleetWorkflowProps {
  readonly steps: Steps;
  /** Which single-host workflow each host runs. */
  readonly action: 'create' | 'destroy';
  /** The single-host state machine: each host is one execution of it, with its own roll-back. */
  readonly hostMachine: sfn.StateMachine;
  /** Hosts at once. @default 5 */
  readonly maxConcurrency?: number;
  /** @default Duration.hours(2) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * create-fleet / destroy-fleet: ExpandFleet → Hosts [Map, at most maxConcurrency at once: one
 * execution of the single-host machine per hostname → HostResult] → ReportFleet. A host that fails
 * is rolled back by its own execution and reported; the others go on. No state carries more than
 * one copy of the shared input and one small result per host, so fifty hosts at the contract's
 * limits stay inside Step Functions' 256 KiB payload limit.
 */
export class FleetWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: FleetWorkflowProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 5;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 40) {
      throw new Error(`fleetConcurrency: ${maxConcurrency} is not an integer from 1 to 40`);
    }
    const expand = lambdaStep(this, {
      fn: props.steps.expandFleet,
      name: 'ExpandFleet',
      payload: { 'input.$': '$', workflow: props.action, 'executionId.$': '$$.Execution.Id' },
      comment: 'Every host input checked before any host is started',
    });
    // Each host's input: its hostname merged into the shared fields (one copy in the state, not fifty).
    const host = new tasks.StepFunctionsStartExecution(this, props.action === 'create' ? 'CreateHost' : 'DestroyHost', {
      stateMachine: props.hostMachine,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromJsonPathAt(
        sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.host'), sfn.JsonPath.objectAt('$.shared')),
      ),
      resultSelector: { 'output.$': '$.Output', 'executionArn.$': '$.ExecutionArn' },
      resultPath: '$.result',
    });
    const result = lambdaStep(this, {
      fn: props.steps.hostResult,
      name: 'HostResult',
      payload: { 'hostname.$': '$.host.hostname', workflow: props.action, 'result.$': '$.result' },
      comment: "The host's outcome, small: a fleet's Map holds fifty of them",
    });
    host.addCatch(result, { resultPath: '$.result' });
    const hosts = new sfn.Map(this, 'Hosts', {
      itemsPath: '$.hostnames',
      itemSelector: {
        host: { 'hostname.$': '$$.Map.Item.Value' },
        'shared.$': '$.shared',
      },
      maxConcurrency,
      resultPath: '$.results',
    }).itemProcessor(host.next(result));
    const report = lambdaStep(this, {
      fn: props.steps.reportFleet,
      name: 'ReportFleet',
      payload: { 'results.$': '$.results' },
    });

    this.stateMachine = workflowStateMachine(this, {
      comment: `instance-lifecycle ${props.action}-fleet: one ${props.action}-vm execution per hostname`,
      definition: expand.next(hosts).next(report),
      timeout: props.timeout ?? Duration.hours(2),
      logRetention: props.logRetention,
    });
    // RUN_JOB reads and stops the executions it starts: their names are only known at run time.
    const acknowledged = acknowledgeRoleWildcards(
      this.stateMachine.role,
      /:states:.*:execution:/,
      `the fleet describes and stops only executions of ${props.action}-vm, whose names Step Functions gives at start`,
    );
    if (acknowledged.length === 0) throw new Error('FleetWorkflow: no execution wildcard found to acknowledge');
  }
}
