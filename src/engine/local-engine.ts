/**
 * Runs the synthesized state machines on this machine: aws-local-stepfunctions interprets the ASL
 * read from the template; each Lambda task runs the handler from the bundle `cdk synth` wrote, in
 * this process, with its AWS SDK pointed at the emulator through AWS_ENDPOINT_URL.
 */
import './polyfills';
import { randomUUID } from 'node:crypto';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { StateMachine } from 'aws-local-stepfunctions';
import { CreateInstanceProfileCommand } from '../emulator/iam-lite';
import { clientConfig, LOCAL_CREDENTIALS, LOCAL_REGION } from '../emulator/seed';
import { taskError } from './lambda-error';
import { synthesize } from './synth';
import {
  type AslDefinition,
  allStates,
  type LambdaBundle,
  LOCAL_ACCOUNT,
  LOCAL_INSTANCE_PROFILE,
  type LocalDeployment,
  loadDeployment,
  type TaskTarget,
  WORKFLOWS,
  type Workflow,
} from './template';
import { type ExecutionResult, executionName, type StepEvent } from './types';

export type { Workflow } from './template';
export type { ExecutionResult, StepEvent } from './types';

/** Ways to watch or steer one run: the benchmark keeps virtual time through them. */
export interface RunHooks {
  /** Runs each Task: `state` is its name, `invoke` its handler (or child execution) on its input. */
  task?(state: string, invoke: () => Promise<unknown>): Promise<unknown>;
  /** The run's `waitTimeOverrides` (milliseconds by Wait state name), instead of `waitMs` for all. */
  waits?(definition: AslDefinition): Record<string, number>;
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
  private readonly handlers = new Map<string, (event: unknown) => Promise<unknown>>();
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
      LOG_LEVEL: this.options.verbose ? 'INFO' : 'SILENT',
    });
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
        try {
          return await fn(JSON.parse(JSON.stringify(event)), {
            functionName: bundle.logicalId,
            awsRequestId: randomUUID(),
          });
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
   * with the child's description as the cause.
   */
  private runnerFor(target: TaskTarget, onStep?: (event: StepEvent) => void): (event: unknown) => Promise<unknown> {
    if ('file' in target) return this.handlerFor(target);
    return async (parameters: unknown) => {
      const input = (parameters as { Input?: { hostname?: string } }).Input;
      // A child's states are reported too, named after the host they are for: `web2/SetHostname`.
      const prefix = input?.hostname ?? target.child;
      const result = await this.run(
        target.child,
        input,
        onStep && ((event) => onStep({ ...event, name: `${prefix}/${event.name}` })),
      );
      if (result.status === 'SUCCEEDED') {
        return { Status: 'SUCCEEDED', Output: result.output, ExecutionArn: result.executionId };
      }
      const description = {
        Status: 'FAILED',
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
      await new CreateInstanceProfileCommand(endpoint, LOCAL_INSTANCE_PROFILE).send();
    } catch (error) {
      if ((error as Error).name !== 'EntityAlreadyExists') throw error;
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
    this.prepared = true;
  }

  definition(workflow: Workflow): AslDefinition {
    return this.deployment.definitions[workflow];
  }

  async run(
    workflow: Workflow,
    input: unknown,
    onStep?: (event: StepEvent) => void,
    hooks: RunHooks = {},
  ): Promise<ExecutionResult> {
    // The handlers find the emulator through the process environment: one engine per process.
    if (process.env.AWS_ENDPOINT_URL !== this.options.endpoint) {
      throw new Error(
        `another local engine in this process points the AWS SDK at ${process.env.AWS_ENDPOINT_URL}, not ${this.options.endpoint}`,
      );
    }
    await this.prepare();
    const definition = this.definition(workflow);
    const tasks = this.deployment.tasks[workflow];
    const overrides: Overrides = {
      taskResourceLocalHandlers: Object.fromEntries(
        [...tasks].map(([name, target]) => {
          const runner = this.runnerFor(target, onStep);
          const task = hooks.task;
          const handler = task ? (event: unknown) => task(name, () => runner(event)) : runner;
          return [name, handler as unknown as TaskHandler];
        }),
      ),
      waitTimeOverrides:
        hooks.waits?.(definition) ??
        Object.fromEntries(waitStates(definition).map((name) => [name, this.options.waitMs ?? 0])),
      retryIntervalOverrides: Object.fromEntries([...tasks.keys()].map((name) => [name, this.options.retryMs ?? 10])),
    };
    const name = executionName(workflow, (input ?? {}) as Record<string, unknown>);
    const executionId = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${WORKFLOWS[workflow].machine}:${name}`;
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    const execution = machine.run(input as never, {
      overrides,
      context: {
        Execution: { Id: executionId, Name: name, Input: input, StartTime: new Date().toISOString() },
        StateMachine: {
          Id: executionId.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
          Name: WORKFLOWS[workflow].machine,
        },
      } as never,
    });
    const follow = followEvents(execution.eventLogs as AsyncIterable<RawEvent>, onStep);
    try {
      const output = await execution.result;
      const { transitions } = await follow;
      return { status: 'SUCCEEDED', output, executionId, stateTransitions: transitions };
    } catch (error) {
      // The execution's own failure event carries the error and cause as Step Functions reports them.
      const { failed, transitions } = await follow.catch(() => ({ failed: undefined, transitions: 0 }));
      const e = error as Error;
      return {
        status: 'FAILED',
        error: failed?.Error ?? e.name,
        cause: failed?.Cause === undefined ? e.message : String(failed.Cause),
        executionId,
        stateTransitions: transitions,
      };
    }
  }
}

interface RawEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown };
  Error?: string;
  Cause?: unknown;
}

function waitStates(definition: AslDefinition): string[] {
  return allStates(definition)
    .filter(([, state]) => state.Type === 'Wait')
    .map(([name]) => name);
}

/**
 * Reports each finished state; resolves with the ExecutionFailed event, if the execution failed,
 * and the state transitions: every state entered, in branches too, and every retry.
 */
async function followEvents(
  events: AsyncIterable<RawEvent>,
  onStep?: (event: StepEvent) => void,
): Promise<{ failed?: RawEvent; transitions: number }> {
  const entered = new Map<string, { timestamp: number; input: unknown }>();
  const caught = new Set<string>();
  let failed: RawEvent | undefined;
  let transitions = 0;
  for await (const event of events) {
    if (event.type === 'ExecutionFailed') failed = event;
    const state = event.state;
    if (!state) continue;
    if (event.type === 'StateEntered' || event.type === 'StateRetried') transitions += 1;
    if (event.type === 'StateEntered') {
      entered.set(state.name, { timestamp: event.timestamp, input: state.input });
      caught.delete(state.name);
      continue;
    }
    if (event.type === 'StateCaught') caught.add(state.name);
    // After a Catch the library also reports the state as exited; the console does not.
    if (event.type === 'StateExited' && caught.has(state.name)) continue;
    const status = (
      { StateExited: 'Succeeded', StateFailed: 'Failed', StateRetried: 'Retried', StateCaught: 'Caught' } as const
    )[event.type as 'StateExited'];
    if (!status || !onStep) continue;
    onStep({
      name: state.name,
      type: state.type,
      status,
      durationMs: event.timestamp - (entered.get(state.name)?.timestamp ?? event.timestamp),
      input: entered.get(state.name)?.input,
      error: event.Error,
      cause: event.Cause === undefined ? undefined : String(event.Cause),
    });
  }
  return { failed, transitions };
}
