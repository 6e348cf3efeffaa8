import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DEFAULT_FLEET_PACE, type FleetPace, fleetGroups, INLINE_MAP_CONCURRENCY } from '../lambdas/lib/fleet';
import { MAX_FLEET } from '../lambdas/lib/input';
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
  /** Hosts at once, 1 to MAX_FLEET. @default MAX_FLEET: every host of a fleet */
  readonly maxConcurrency?: number;
  /** How fast hosts start: launches at once, then per second. @default DEFAULT_FLEET_PACE */
  readonly pace?: FleetPace;
  /** @default Duration.hours(2) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * create-fleet / destroy-fleet: ExpandFleet → Groups [Map of groups → Hosts [Map, at most
 * maxConcurrency hosts at once in all: StartAfter (the fleet's pace) → one execution of the
 * single-host machine per hostname]] → ReportFleet. A host that fails is rolled back by its own
 * execution and reported (HostResult reads its error); the others go on. A host that succeeds is
 * reported by the task's own ResultSelector: no Lambda, no extra transition. No state carries more
 * than one copy of the shared input and one small result per host, so fifty hosts at the
 * contract's limits stay inside Step Functions' 256 KiB payload limit.
 *
 * Hosts start at the pace EC2's RunInstances bucket refills (lambdas/lib/fleet.ts): all of a
 * fifty-host fleet runs at once, its launches spread over 23 s, none refused. An inline Map runs at
 * most 40 iterations at once, hence the Map of groups: two groups of 25 for fifty at once.
 */
export class FleetWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: FleetWorkflowProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? MAX_FLEET;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > MAX_FLEET) {
      throw new Error(`fleetConcurrency: ${maxConcurrency} is not an integer from 1 to ${MAX_FLEET}`);
    }
    const pace = props.pace ?? DEFAULT_FLEET_PACE;
    if (!(Number.isFinite(pace.perSecond) && pace.perSecond >= 0)) {
      throw new Error(`fleetLaunchesPerSecond: ${pace.perSecond} is not a number from 0 (0: every host at once)`);
    }
    const { groups, perGroup } = fleetGroups(maxConcurrency);
    const expand = lambdaStep(this, {
      fn: props.steps.expandFleet,
      name: 'ExpandFleet',
      payload: {
        'input.$': '$',
        workflow: props.action,
        'executionId.$': '$$.Execution.Id',
        groups,
        concurrency: perGroup,
        pace: { burst: pace.burst, perSecond: pace.perSecond },
      },
      comment: 'Every host input checked before any host is started; the start planned at the launch pace',
    });
    const startAfter = new sfn.Wait(this, 'StartAfter', {
      time: sfn.WaitTime.secondsPath('$.startAfter'),
      comment: "The host's turn at the fleet's launch pace",
    });
    // Each host's input: its hostname merged into the shared fields (one copy in the state, not fifty).
    const hostResult: Record<string, string> =
      props.action === 'create'
        ? {
            'hostname.$': '$.Input.hostname',
            status: 'SUCCEEDED',
            'executionArn.$': '$.ExecutionArn',
            'instanceId.$': '$.Output.instanceId',
            'fqdn.$': '$.Output.fqdn',
            'privateIp.$': '$.Output.privateIp',
          }
        : {
            'hostname.$': '$.Input.hostname',
            status: 'SUCCEEDED',
            'executionArn.$': '$.ExecutionArn',
            'removed.$': '$.Output.removed',
          };
    const host = new tasks.StepFunctionsStartExecution(this, props.action === 'create' ? 'CreateHost' : 'DestroyHost', {
      stateMachine: props.hostMachine,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromJsonPathAt(
        sfn.JsonPath.jsonMerge(sfn.JsonPath.objectAt('$.host'), sfn.JsonPath.objectAt('$.shared')),
      ),
      // The host's result, small: its execution holds the rest (a create's bootstrap output).
      resultSelector: hostResult,
    });
    const failed = lambdaStep(this, {
      fn: props.steps.hostResult,
      name: 'HostResult',
      payload: { 'hostname.$': '$.host.hostname', workflow: props.action, 'result.$': '$.result' },
      comment: "A failed host's error, readable and small: a fleet's Map holds fifty results",
    });
    host.addCatch(failed, { resultPath: '$.result' });
    const hosts = new sfn.Map(this, 'Hosts', {
      itemsPath: '$.hosts',
      itemSelector: {
        host: { 'hostname.$': '$$.Map.Item.Value.hostname' },
        'startAfter.$': '$$.Map.Item.Value.startAfter',
        'shared.$': '$.shared',
      },
      maxConcurrency: perGroup,
    }).itemProcessor(startAfter.next(host));
    const byGroup = new sfn.Map(this, 'Groups', {
      itemsPath: '$.groups',
      itemSelector: { 'hosts.$': '$$.Map.Item.Value', 'shared.$': '$.shared' },
      maxConcurrency: groups,
      resultPath: '$.results',
      comment: `At most ${INLINE_MAP_CONCURRENCY} iterations of an inline Map run at once: more hosts at once run in groups`,
    }).itemProcessor(hosts);
    const report = lambdaStep(this, {
      fn: props.steps.reportFleet,
      name: 'ReportFleet',
      payload: { 'results.$': '$.results', workflow: props.action },
    });

    this.stateMachine = workflowStateMachine(this, {
      comment: `instance-lifecycle ${props.action}-fleet: one ${props.action}-vm execution per hostname`,
      definition: expand.next(byGroup).next(report),
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
