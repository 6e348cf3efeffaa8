/**
 * Runs the synthesized state machines on this machine: aws-local-stepfunctions interprets the ASL
 * read from the template; each Lambda task runs the handler from the bundle `cdk synth` wrote, in
 * this process, with its AWS SDK pointed at the emulator through AWS_ENDPOINT_URL. Around the
 * interpreter, what Step Functions does and it does not: StopExecution and the state machine's
 * timeout (a fleet's hosts stopped with it), the 256 KiB payload limit (States.DataLimitExceeded,
 * which no Catch sees), and an "Execution Status Change" event when an execution ends, delivered
 * to the stack's EventBridge rules (the clean-up) once the steps still running have finished.
 * After each execution, and when asked (`fireDueSchedules`), the EventBridge Scheduler schedules
 * due on the emulator's clock whose target is one of these machines (a lease's destroy-vm) start
 * it here, as the Scheduler would.
 */
import './polyfills';
import { randomUUID } from 'node:crypto';
import { CreateInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clientConfig, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../emulator/account';
import { StateMachine } from './asl-library';
import { followEvents, type RawEvent } from './event-log';
import { type LocalRule, matches, type StatusChangeEvent, targetInput } from './events';
import { installInvokeStore, runInvocation } from './invoke-store';
import { taskError } from './lambda-error';
import { dataLimitExceeded, PAYLOAD_LIMIT_BYTES, payloadBytes } from './payload';
import { type FiredSchedule, fireDueSchedules } from './schedules';
import { synthesize } from './synth';
import {
  type AslDefinition,
  allStates,
  type LambdaBundle,
  LOCAL_INSTANCE_PROFILE,
  type LocalDeployment,
  loadDeployment,
  type TaskTarget,
  type Workflow,
} from './template';
import { type ExecutionResult, executionName, type StepEvent } from './types';

export type { Workflow } from './template';
export type { ExecutionResult, StepEvent } from './types';

/** Ways to watch or steer one run: the benchmark keeps virtual time through them. */
export interface RunHooks {
  /**
   * Runs each Task: `state` is its name, `invoke` its handler on its input, or the child execution
   * it starts (`target.child`, a fleet's host).
   */
  task?(state: string, invoke: () => Promise<unknown>, target: { child?: Workflow }): Promise<unknown>;
  /** The run's `waitTimeOverrides` (milliseconds by Wait state name), instead of `waitMs` for all. */
  waits?(definition: AslDefinition): Record<string, number>;
  /** The run's `retryIntervalOverrides` (milliseconds by Task state name), instead of `retryMs` for all. */
  retries?(definition: AslDefinition): Record<string, number>;
  /** The hooks of a child execution this run starts; without it, the child runs with none. */
  child?(workflow: Workflow, input: unknown): RunHooks;
  /** How the execution ended, once it has. */
  ended?(result: ExecutionResult): void;
}

export interface RunOptions {
  onStep?: (event: StepEvent) => void;
  hooks?: RunHooks;
  /** Seconds before the execution times out, instead of its definition's TimeoutSeconds (a test's fraction of a second). */
  timeoutSeconds?: number;
  /** The execution's name. @default one like the CLI's, `create-web1-20261127T101500Z-3fa2c1` */
  name?: string;
}

/** A started execution: its ARN, its end, and StopExecution. */
export interface LocalExecution {
  executionId: string;
  result: Promise<ExecutionResult>;
  stop(error?: string, cause?: string): void;
}

export interface LocalEngineOptions {
  /** AWS_ENDPOINT_URL of a running emulator. */
  endpoint: string;
  /** Milliseconds each Wait state sleeps locally, whatever its seconds say. @default 0 */
  waitMs?: number;
  /** Milliseconds between Retry attempts locally. @default 10 */
  retryMs?: number;
  /** Show the handlers' JSON log lines. @default false */
  verbose?: boolean;
  /** A template already synthesized (tests); otherwise the app is synthesized into cdk.out. */
  templatePath?: string;
}

type Overrides = NonNullable<NonNullable<Parameters<StateMachine['run']>[1]>['overrides']>;
type TaskHandler = NonNullable<Overrides['taskResourceLocalHandlers']>[string];

export class LocalEngine {
  readonly deployment: LocalDeployment;
  /** Every status-change event put on the bus, in order. */
  readonly events: StatusChangeEvent[] = [];
  private readonly handlers = new Map<string, (event: unknown) => Promise<unknown>>();
  /** Work started by events (the clean-up) and schedules (a lease's destroy), until it ends. */
  private readonly background = new Set<Promise<unknown>>();
  /** Every schedule this engine fired, in order. */
  readonly firedSchedules: FiredSchedule[] = [];
  private readonly firedKeys = new Set<string>();
  private firing: Promise<FiredSchedule[]> = Promise.resolve([]);
  private prepared = false;

  constructor(private readonly options: LocalEngineOptions) {
    const templatePath = options.templatePath ?? synthesize().templatePath;
    this.deployment = loadDeployment(templatePath);
    this.configureEnvironment();
  }

  /** One environment for every bundle: the emulator endpoint plus the union of the functions' variables. */
  private configureEnvironment(): void {
    const merged: Record<string, string> = {};
    for (const bundle of this.bundles()) {
      for (const [key, value] of Object.entries(bundle.environment)) {
        if (key in merged && merged[key] !== value) {
          throw new Error(`functions disagree on ${key}; the local engine runs them in one process`);
        }
        merged[key] = value;
      }
    }
    Object.assign(process.env, merged, {
      AWS_ENDPOINT_URL: this.options.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      POWERTOOLS_LOG_LEVEL: this.options.verbose ? 'INFO' : 'SILENT',
      // As Lambda sets it for an environment that was not provisioned ahead: the logs' cold_start.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    });
    // The steps run here several at once, as in one Lambda execution environment of many concurrent invocations.
    installInvokeStore();
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
  }

  private bundles(): LambdaBundle[] {
    return Object.values(this.deployment.tasks)
      .flatMap((tasks) => [...tasks.values()])
      .filter((t): t is LambdaBundle => 'file' in t);
  }

  private handlerFor(bundle: LambdaBundle): (event: unknown) => Promise<unknown> {
    let handler = this.handlers.get(bundle.file);
    if (!handler) {
      const mod = require(bundle.file) as Record<string, (event: unknown, context: unknown) => Promise<unknown>>;
      const fn = mod[bundle.handlerName];
      if (typeof fn !== 'function') throw new Error(`${bundle.file} exports no ${bundle.handlerName}`);
      handler = async (event: unknown) => {
        const awsRequestId = randomUUID();
        try {
          return await runInvocation(awsRequestId, () =>
            fn(JSON.parse(JSON.stringify(event)), { functionName: bundle.logicalId, awsRequestId }),
          );
        } catch (error) {
          throw taskError(error);
        }
      };
      this.handlers.set(bundle.file, handler);
    }
    return handler;
  }

  /**
   * A Task's local runner: its Lambda bundle, or (for a fleet's host) an execution of the child
   * workflow answering as `startExecution.sync:2` does: the child's output, or States.TaskFailed
   * with the child's description as the cause. A task's input and result are held to the payload
   * limit; what runs is tracked, so that the execution's end can wait for it.
   */
  private runnerFor(state: string, target: TaskTarget, run: Run): (event: unknown) => Promise<unknown> {
    const invoke = 'file' in target ? this.handlerFor(target) : this.childRunner(target.child, run);
    return (event: unknown) => {
      // aws-local-stepfunctions still fires pending retries and queued Map items after an abort;
      // Step Functions starts nothing for an execution that has ended.
      if (run.ended)
        return Promise.reject(Object.assign(new Error('the execution has ended'), { name: 'States.Aborted' }));
      const inBytes = payloadBytes(event);
      if (inBytes > PAYLOAD_LIMIT_BYTES) return Promise.reject(dataLimitExceeded(state, inBytes));
      const work = invoke(event).then((result) => {
        const outBytes = payloadBytes(result);
        if (outBytes > PAYLOAD_LIMIT_BYTES) throw dataLimitExceeded(state, outBytes);
        return result;
      });
      run.inflight.add(work);
      work.then(
        () => run.inflight.delete(work),
        () => run.inflight.delete(work),
      );
      return work;
    };
  }

  private childRunner(child: Workflow, run: Run): (event: unknown) => Promise<unknown> {
    return async (parameters: unknown) => {
      const { Input: input, Name: name } = parameters as { Input?: { hostname?: string }; Name?: string };
      // A child's states are reported too, named after the host they are for: `web2/SetHostname`.
      const prefix = input?.hostname ?? child;
      const onStep = run.onStep;
      // As startExecution.sync:2 does: without a Name, Step Functions names the child with a UUID.
      const childInput = JSON.parse(JSON.stringify(input ?? {}));
      const execution = this.start(child, childInput, {
        name: name ?? randomUUID(),
        onStep: onStep && ((event) => onStep({ ...event, name: `${prefix}/${event.name}` })),
        hooks: run.hooks?.child?.(child, childInput),
      });
      run.children.add(execution);
      const result = await execution.result;
      if (result.status === 'SUCCEEDED') {
        return { Status: 'SUCCEEDED', Input: childInput, Output: result.output, ExecutionArn: result.executionId };
      }
      const description = {
        Status: result.status,
        Error: result.error,
        Cause: result.cause,
        ExecutionArn: result.executionId,
      };
      throw Object.assign(new Error(JSON.stringify(description)), { name: 'States.TaskFailed' });
    };
  }

  /** What the stack's deployment would have made before any execution: the instance profile, the defaults. */
  async prepare(force = false): Promise<void> {
    if (this.prepared && !force) return;
    const endpoint = this.options.endpoint;
    try {
      await new IAMClient(clientConfig(endpoint)).send(
        new CreateInstanceProfileCommand({ InstanceProfileName: LOCAL_INSTANCE_PROFILE }),
      );
    } catch (error) {
      if ((error as Error).name !== 'EntityAlreadyExistsException') throw error;
    }
    const ssm = new SSMClient(clientConfig(endpoint));
    try {
      await ssm.send(
        new PutParameterCommand({
          Name: this.deployment.defaults.name,
          Value: this.deployment.defaults.value,
          Type: 'String',
          Overwrite: false,
          Tier: 'Intelligent-Tiering',
        }),
      );
    } catch (error) {
      // Operators may have changed the defaults in this emulator: keep theirs.
      if ((error as Error).name !== 'ParameterAlreadyExists') throw error;
    }
    const scheduler = new SchedulerClient(clientConfig(endpoint));
    for (const group of this.deployment.scheduleGroups) {
      try {
        await scheduler.send(new CreateScheduleGroupCommand({ Name: group }));
      } catch (error) {
        if ((error as Error).name !== 'ConflictException') throw error;
      }
    }
    this.prepared = true;
  }

  /** The emulator's clock (it can be moved forward: POST /_emulator/clock); real time elsewhere. */
  private async now(): Promise<Date> {
    try {
      const res = await fetch(`${this.options.endpoint}/_emulator/clock`);
      if (res.ok) return new Date(((await res.json()) as { now: string }).now);
    } catch {
      // not the project's emulator
    }
    return new Date();
  }

  /**
   * Starts the executions of the schedules due on the emulator's clock whose target is one of this
   * engine's machines, and deletes each schedule (ActionAfterCompletion DELETE); `idle()` waits for
   * those executions. One look at a time. What it fired.
   */
  fireDueSchedules(): Promise<FiredSchedule[]> {
    const next = this.firing
      .catch(() => [])
      .then(async () => {
        const scheduler = new SchedulerClient(clientConfig(this.options.endpoint));
        const fired = await fireDueSchedules(
          scheduler,
          await this.now(),
          async (arn, input, name) => {
            const workflow = (Object.keys(this.deployment.machineArns) as Workflow[]).find(
              (w) => this.deployment.machineArns[w] === arn,
            );
            if (!workflow) return undefined;
            const execution = this.start(workflow, input, { name });
            this.track(execution.result, `schedule ${name}: ${workflow}`);
            return execution.executionId;
          },
          this.firedKeys,
        );
        this.firedSchedules.push(...fired);
        return fired;
      });
    this.firing = next;
    return next;
  }

  definition(workflow: Workflow): AslDefinition {
    return this.deployment.definitions[workflow];
  }

  /** Runs an execution to its end. */
  async run(
    workflow: Workflow,
    input: unknown,
    onStep?: (event: StepEvent) => void,
    hooks: RunHooks = {},
  ): Promise<ExecutionResult> {
    return this.start(workflow, input, { onStep, hooks }).result;
  }

  /** Starts an execution: StartExecution, with StopExecution on the handle. */
  start(workflow: Workflow, input: unknown, options: RunOptions = {}): LocalExecution {
    // The handlers find the emulator through the process environment: one engine per process.
    if (process.env.AWS_ENDPOINT_URL !== this.options.endpoint) {
      throw new Error(
        `another local engine in this process points the AWS SDK at ${process.env.AWS_ENDPOINT_URL}, not ${this.options.endpoint}`,
      );
    }
    const name = options.name ?? executionName(workflow, (input ?? {}) as Record<string, unknown>);
    const machineArn = this.deployment.machineArns[workflow];
    const executionId = `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const run: Run = { inflight: new Set(), children: new Set(), onStep: options.onStep, hooks: options.hooks };
    const started = new Date();
    let stop: ((error?: string, cause?: string) => void) | undefined;
    let stopRequest: { error: string; cause: string } | undefined;
    const result = (async (): Promise<ExecutionResult> => {
      await this.prepare();
      this.publish(workflow, name, executionId, input, started, { status: 'RUNNING' });
      const inBytes = payloadBytes(input);
      if (inBytes > PAYLOAD_LIMIT_BYTES) {
        const error = dataLimitExceeded('execution input', inBytes);
        return { status: 'FAILED', error: error.name, cause: error.message, executionId, stateTransitions: 0 };
      }
      const ended = await this.execute(
        workflow,
        input,
        name,
        executionId,
        run,
        options,
        (abort) => {
          stop = (error = '', cause = '') => {
            stopRequest = { error, cause };
            abort();
          };
          if (stopRequest) abort();
        },
        () => stopRequest,
      );
      options.hooks?.ended?.(ended);
      if (ended.status !== 'SUCCEEDED') {
        // Step Functions stops what a stopped, timed-out or failed execution's tasks had started.
        for (const child of run.children)
          child.stop('States.Aborted', `the parent execution ${executionId} ended ${ended.status}`);
      }
      // The status-change event is delivered once the steps still running have finished: on AWS
      // the clean-up waits longer than any step's timeout before it looks.
      await Promise.allSettled([...run.inflight, ...[...run.children].map((c) => c.result)]);
      this.publish(workflow, name, executionId, input, started, ended);
      // As time passes on AWS, leases come due: whatever is due by now runs after this execution.
      this.track(this.fireDueSchedules(), 'due schedules');
      return ended;
    })();
    return {
      executionId,
      result,
      stop: (error, cause) => {
        if (stop) stop(error, cause);
        else stopRequest = { error: error ?? '', cause: cause ?? '' };
      },
    };
  }

  private async execute(
    workflow: Workflow,
    input: unknown,
    name: string,
    executionId: string,
    run: Run,
    options: RunOptions,
    onAbortable: (abort: () => void) => void,
    stopped: () => { error: string; cause: string } | undefined,
  ): Promise<ExecutionResult> {
    const hooks = options.hooks ?? {};
    const machineArn = this.deployment.machineArns[workflow];
    const definition = withTaskTimeouts(this.definition(workflow));
    if (options.timeoutSeconds !== undefined) definition.TimeoutSeconds = options.timeoutSeconds;
    const tasks = this.deployment.tasks[workflow];
    const overrides: Overrides = {
      taskResourceLocalHandlers: Object.fromEntries(
        [...tasks].map(([state, target]) => {
          const runner = this.runnerFor(state, target, run);
          const task = hooks.task;
          const kind = 'file' in target ? {} : { child: target.child };
          const handler = task ? (event: unknown) => task(state, () => runner(event), kind) : runner;
          return [state, handler as unknown as TaskHandler];
        }),
      ),
      waitTimeOverrides:
        hooks.waits?.(definition) ??
        Object.fromEntries(waitStates(definition).map((state) => [state, this.options.waitMs ?? 0])),
      retryIntervalOverrides:
        hooks.retries?.(definition) ??
        Object.fromEntries([...tasks.keys()].map((state) => [state, this.options.retryMs ?? 10])),
    };
    // Not validated again here: the synth validated the definition (and test/asl.test.ts holds it to
    // the States Language's schema); the interpreter's own check compiles a JSON schema each time
    // (a third of a second), and a test's fractional timeout would not pass it.
    const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
    const execution = machine.run(input as never, {
      overrides,
      context: {
        Execution: { Id: executionId, Name: name, Input: input, StartTime: new Date().toISOString() },
        StateMachine: { Id: machineArn, Name: machineArn.slice(machineArn.lastIndexOf(':') + 1) },
      } as never,
    });
    let overLimit: Error | undefined;
    onAbortable(() => {
      run.ended = true;
      execution.abort();
    });
    const follow = followEvents(execution.eventLogs as AsyncIterable<RawEvent>, run.onStep, (state, bytes) => {
      overLimit = dataLimitExceeded(state, bytes);
      run.ended = true;
      execution.abort();
    });
    const base = { executionId };
    try {
      const output = await execution.result;
      const { transitions, largestPayload } = await follow;
      return { status: 'SUCCEEDED', output, ...base, stateTransitions: transitions, largestPayload };
    } catch (error) {
      run.ended = true;
      const summary = await follow.catch(() => ({ failed: undefined, transitions: 0, largestPayload: undefined }));
      const counts = { stateTransitions: summary.transitions, largestPayload: summary.largestPayload };
      const e = error as Error;
      if (overLimit) return { status: 'FAILED', error: overLimit.name, cause: overLimit.message, ...base, ...counts };
      if (e.name === 'ExecutionTimeoutError') {
        return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'the execution timed out', ...base, ...counts };
      }
      if (e.name === 'ExecutionAbortedError') {
        const request = stopped();
        return { status: 'ABORTED', error: request?.error ?? '', cause: request?.cause ?? '', ...base, ...counts };
      }
      // The execution's own failure event carries the error and cause as Step Functions reports them.
      const failed = summary.failed;
      return {
        status: 'FAILED',
        error: failed?.Error ?? e.name,
        cause: failed?.Cause === undefined ? e.message : String(failed.Cause),
        ...base,
        ...counts,
      };
    }
  }

  /** Puts the execution's status-change event on the bus and starts the targets of the rules it matches. */
  private publish(
    workflow: Workflow,
    name: string,
    executionArn: string,
    input: unknown,
    started: Date,
    ended: { status: StatusChangeEvent['detail']['status']; output?: unknown; error?: string; cause?: string },
  ): void {
    const end = ended;
    const event: StatusChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: LOCAL_ACCOUNT_ID,
      time: new Date().toISOString(),
      region: LOCAL_REGION,
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: this.deployment.machineArns[workflow],
        name,
        status: ended.status,
        startDate: started.getTime(),
        stopDate: ended.status === 'RUNNING' ? null : Date.now(),
        input: JSON.stringify(input ?? {}),
        inputDetails: { included: true },
        output: end.output === undefined ? null : JSON.stringify(end.output),
        outputDetails: end.output === undefined ? null : { included: true },
        error: end.error ?? null,
        cause: end.cause ?? null,
      },
    };
    this.events.push(event);
    for (const rule of this.deployment.rules) {
      if (!matches(rule.pattern, event as unknown as Record<string, unknown>)) continue;
      for (const target of rule.targets) this.deliver(rule, target, event);
    }
  }

  /** A state machine target starts an execution; other targets (an SNS topic) are not modelled locally. */
  private deliver(rule: LocalRule, target: LocalRule['targets'][number], event: StatusChangeEvent): void {
    const workflow = (Object.keys(this.deployment.machineArns) as Workflow[]).find(
      (w) => this.deployment.machineArns[w] === target.arn,
    );
    if (!workflow) return;
    this.track(this.start(workflow, targetInput(target, event)).result, `rule ${rule.id}: ${workflow}`);
  }

  /** Work `idle()` waits for; a failure to run it is reported, not thrown. */
  private track(work: Promise<unknown>, what: string): void {
    const tracked = work.catch((error: Error) => {
      process.stderr.write(`${what} failed to start: ${error.message}\n`);
    });
    this.background.add(tracked);
    tracked.finally(() => this.background.delete(tracked));
  }

  /** Resolves once every execution the bus started (and any they started in turn) has ended. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }
}

/** One execution's bookkeeping: the tasks it has under way, and the child executions it started. */
interface Run {
  /** Set when the execution stopped, timed out or failed: nothing new starts for it. */
  ended?: boolean;
  inflight: Set<Promise<unknown>>;
  children: Set<LocalExecution>;
  onStep?: (event: StepEvent) => void;
  hooks?: RunHooks;
}

/**
 * The definition with a timeout on every Task that has none. Step Functions lets such a task run
 * as long as its execution; the interpreter would fail it after 60 s (the States Language's own
 * default), which a fleet's host (a child execution of minutes) outlasts.
 */
function withTaskTimeouts(original: AslDefinition): AslDefinition {
  const definition = JSON.parse(JSON.stringify(original)) as AslDefinition;
  // As long as the execution may run, within what a timer can hold (24.8 days).
  const longest = Math.min(Number(definition.TimeoutSeconds ?? Number.POSITIVE_INFINITY), 2_147_483);
  for (const [, state] of allStates(definition)) {
    if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = longest;
    }
  }
  return definition;
}

function waitStates(definition: AslDefinition): string[] {
  return allStates(definition)
    .filter(([, state]) => state.Type === 'Wait')
    .map(([name]) => name);
}
