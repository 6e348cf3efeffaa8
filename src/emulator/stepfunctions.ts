/**
 * Step Functions' "Execution Status Change" events, for the executions moto's engine runs: the
 * emulator watches every execution and, when one starts or ends, puts the event AWS would put on
 * the default bus through the account's own EventBridge rules (moto's Events cannot deliver to a
 * state machine target: it answers 500). So the clean-up after a stopped or timed-out create runs
 * through the API too.
 */
import { createHash } from 'node:crypto';
import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { matches, type RuleTarget, type StatusChangeEvent, targetInput } from '../engine/events';
import { clientConfig, LOCAL_ACCOUNT_ID, LOCAL_REGION } from './account';

/** Turns on moto's ASL engine; it applies to state machines created after it. */
export async function enableStepFunctionsEngine(motoUrl: string): Promise<void> {
  const res = await fetch(`${motoUrl}/moto-api/config`, {
    method: 'POST',
    body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
  });
  if (!res.ok) throw new Error(`moto refused the Step Functions engine: ${res.status} ${await res.text()}`);
}

export class StatusChangeBridge {
  private readonly sfn: SFNClient;
  private readonly events: EventBridgeClient;
  private readonly seen = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  /**
   * Whether a state machine can exist yet. Until one can, a look would only load moto's Step
   * Functions engine (most of a second of the emulator's one Python thread) in the middle of a
   * local create, which runs its workflow in this process and never calls Step Functions.
   */
  private armed = false;
  /** Every event put on the bus, in order. */
  readonly published: StatusChangeEvent[] = [];

  /**
   * @param beforeStart what the emulator does before any StartExecution (its timings), since the
   * executions the rules start go to moto directly.
   */
  constructor(
    motoUrl: string,
    private readonly beforeStart: (stateMachineArn: string) => Promise<void> = async () => {},
    private readonly intervalMs = 250,
  ) {
    this.sfn = new SFNClient(clientConfig(motoUrl));
    this.events = new EventBridgeClient(clientConfig(motoUrl));
  }

  /** A call that can make a state machine went to moto (Step Functions, CloudFormation...): look from now on. */
  arm(): void {
    this.armed = true;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (!this.polling) this.polling = this.poll().finally(() => (this.polling = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  /**
   * Resolves once no execution runs and every end has been published and acted on: what a run set
   * off (a clean-up) has ended too.
   */
  async settled(timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      await this.polling;
      if (!this.armed) return;
      const executions = await this.executions();
      const done = executions.every((e) => e.status !== 'RUNNING' && this.seen.get(e.executionArn ?? '') === e.status);
      if (done) return;
      if (Date.now() > end) throw new Error(`executions still running after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async executions() {
    const machines = (await this.sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
    const all = [];
    for (const machine of machines) {
      const out = await this.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, maxResults: 1000 }),
      );
      all.push(...(out.executions ?? []));
    }
    return all;
  }

  /** Forgets what it saw (an emulator reset). */
  reset(): void {
    this.armed = false;
    this.seen.clear();
    this.published.length = 0;
  }

  /** One look at every execution: a new status is an event. */
  async poll(): Promise<void> {
    if (!this.armed) return;
    try {
      for (const execution of await this.executions()) {
        const arn = execution.executionArn ?? '';
        const status = execution.status ?? 'RUNNING';
        if (this.seen.get(arn) === status) continue;
        // Marked seen once its rules have been acted on: an error here is retried by the next look.
        await this.publish(arn);
        this.seen.set(arn, status);
      }
    } catch {
      // the emulator is being reset or stopped: the next look catches up
    }
  }

  private async publish(executionArn: string): Promise<void> {
    const d = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const event: StatusChangeEvent = {
      version: '0',
      // One id per execution and status: published again after an error, it starts nothing twice.
      id: stableUuid(`${executionArn} ${d.status}`),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: LOCAL_ACCOUNT_ID,
      time: new Date().toISOString(),
      region: LOCAL_REGION,
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: d.stateMachineArn ?? '',
        name: d.name ?? '',
        status: (d.status ?? 'RUNNING') as StatusChangeEvent['detail']['status'],
        startDate: d.startDate?.getTime() ?? Date.now(),
        stopDate: d.stopDate?.getTime() ?? null,
        input: d.input ?? '{}',
        inputDetails: { included: true },
        output: d.output ?? null,
        outputDetails: d.output === undefined ? null : { included: true },
        error: d.error ?? null,
        cause: d.cause ?? null,
      },
    };
    this.published.push(event);
    const rules = (await this.events.send(new ListRulesCommand({}))).Rules ?? [];
    for (const rule of rules) {
      if (rule.State === 'DISABLED' || !rule.EventPattern) continue;
      if (!matches(JSON.parse(rule.EventPattern), event as unknown as Record<string, unknown>)) continue;
      const targets = (await this.events.send(new ListTargetsByRuleCommand({ Rule: rule.Name }))).Targets ?? [];
      for (const target of targets) {
        if (!target.Arn?.includes(':states:')) continue; // an SNS topic or other target: not modelled
        const shaped: RuleTarget = {
          arn: target.Arn,
          input: target.Input,
          transformer: target.InputTransformer
            ? {
                paths: target.InputTransformer.InputPathsMap ?? {},
                template: target.InputTransformer.InputTemplate ?? '',
              }
            : undefined,
        };
        await this.beforeStart(target.Arn);
        // Named after the event, so that a StartExecution retried by the SDK (a response lost on a
        // reused connection) starts one execution, not two: Step Functions dedupes by name and input.
        try {
          await this.sfn.send(
            new StartExecutionCommand({
              stateMachineArn: target.Arn,
              name: event.id,
              input: JSON.stringify(targetInput(shaped, event)),
            }),
          );
        } catch (error) {
          if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
        }
      }
    }
  }
}

/** How the emulator's machines wait: `fast` rewrites their Waits and Retries, `deployed` keeps them. */
export type Timings = 'fast' | 'deployed';

/**
 * The emulator's fast timings: every Wait waits 0 s, so a create takes seconds, not minutes (the
 * launcher also stops moto's engine sleeping between Retry attempts: LIFECYCLE_FAST_RETRIES). Retry
 * counts, error names and the states visited stay the template's.
 */
export function fastTimings(definition: Record<string, unknown>): Record<string, unknown> {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (typeof value !== 'object' || value === null) return value;
    const node = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, visit(v)]));
    if (node.Type === 'Wait') {
      for (const key of ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']) delete node[key];
      node.Seconds = 0;
    }
    return node;
  };
  return visit(definition) as Record<string, unknown>;
}

/**
 * Applies fast timings to a state machine before an execution of it starts, whoever created it
 * (the loaded stack, `cdk deploy`, CreateStateMachine): only moto's copy changes, never a template.
 */
export class MachineTimings {
  private readonly sfn: SFNClient;
  /** Digests of definitions already fast: a machine updated since is rewritten again. */
  private readonly fast = new Set<string>();

  constructor(
    motoUrl: string,
    readonly mode: Timings,
  ) {
    this.sfn = new SFNClient(clientConfig(motoUrl));
  }

  async prepare(stateMachineArn: string): Promise<void> {
    if (this.mode !== 'fast' || !stateMachineArn) return;
    let definition: string;
    try {
      definition = (await this.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).definition ?? '{}';
    } catch {
      return; // no such machine: StartExecution answers for it
    }
    if (this.fast.has(digest(definition))) return;
    const rewritten = JSON.stringify(fastTimings(JSON.parse(definition)));
    this.fast.add(digest(rewritten));
    if (rewritten !== definition) {
      await this.sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition: rewritten }));
    }
  }

  reset(): void {
    this.fast.clear();
  }
}

/** A UUID-shaped id that is the same for the same text. */
function stableUuid(text: string): string {
  const h = digest(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
