/**
 * The Step Functions API's side of the emulator, by workflow name: start an execution of one of the
 * loaded stack's machines, wait for its end, stop it. What the parity suite, the recorded
 * histories and the benchmark drive moto's engine with; the CLI's deployed mode does the same
 * against AWS through `src/cli/deployed/`.
 */
import {
  DescribeExecutionCommand,
  type HistoryEvent,
  paginateGetExecutionHistory,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { WORKFLOWS, type Workflow } from '../engine/template';
import { type ExecutionResult, executionName } from '../engine/types';
import { clientConfig } from './account';
import type { DeployedStack } from './cloudformation';

/** The stack output that holds each workflow's state machine ARN. */
export function outputOf(workflow: Workflow): string {
  return `${WORKFLOWS[workflow].logicalPrefix}StateMachineArn`;
}

export interface ApiExecution {
  executionArn: string;
  result: Promise<ExecutionResult>;
  stop(error?: string, cause?: string): Promise<void>;
}

export class ApiEngine {
  readonly sfn: SFNClient;

  constructor(
    endpoint: string,
    private readonly stack: () => DeployedStack | undefined,
    private readonly pollMs = 100,
  ) {
    this.sfn = new SFNClient(clientConfig(endpoint));
  }

  machineArn(workflow: Workflow): string {
    const stack = this.stack();
    const arn = stack?.outputs[outputOf(workflow)];
    if (!arn) throw new Error(`the emulator has no ${outputOf(workflow)}: start it with a stack`);
    return arn;
  }

  async start(workflow: Workflow, input: unknown, name?: string): Promise<ApiExecution> {
    const out = await this.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: this.machineArn(workflow),
        name: name ?? executionName(workflow, (input ?? {}) as Record<string, unknown>),
        input: JSON.stringify(input),
      }),
    );
    const executionArn = out.executionArn ?? '';
    return {
      executionArn,
      result: this.result(executionArn),
      stop: async (error, cause) => {
        await this.sfn.send(new StopExecutionCommand({ executionArn, error, cause }));
      },
    };
  }

  async run(workflow: Workflow, input: unknown): Promise<ExecutionResult> {
    return (await this.start(workflow, input)).result;
  }

  /** DescribeExecution until the execution ends, as the CLI and CI scripts poll. */
  async result(executionArn: string): Promise<ExecutionResult> {
    for (;;) {
      const d = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status && d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') {
        const history = await this.history(executionArn);
        const stateTransitions = history.filter((e) => e.type?.endsWith('StateEntered')).length;
        if (d.status === 'SUCCEEDED') {
          return {
            status: 'SUCCEEDED',
            output: JSON.parse(d.output ?? 'null'),
            executionId: executionArn,
            stateTransitions,
          };
        }
        return {
          status: d.status as Exclude<ExecutionResult['status'], 'SUCCEEDED'>,
          error: d.error ?? '',
          cause: d.cause ?? '',
          executionId: executionArn,
          stateTransitions,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    for await (const page of paginateGetExecutionHistory({ client: this.sfn }, { executionArn, maxResults: 1000 })) {
      events.push(...(page.events ?? []));
    }
    return events;
  }
}
