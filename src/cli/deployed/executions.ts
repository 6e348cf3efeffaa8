/**
 * Executions on a deployed stack: started with readable names, followed through their history,
 * the recent ones listed, a failure explained with the failing step's own log lines.
 */
import { DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { WORKFLOWS, type Workflow } from '../../engine/template';
import type { StepEvent } from '../../engine/types';
import { type Aws, explain } from './aws';
import { HistoryReader } from './history';
import type { Deployment } from './stack';

export async function startExecution(aws: Aws, stateMachineArn: string, name: string, input: unknown): Promise<string> {
  try {
    const out = await aws.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    return out.executionArn ?? '';
  } catch (error) {
    throw explain(error, { endpoint: aws.endpoint });
  }
}

async function history(aws: Aws, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: true }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

export type Followed =
  | { status: 'SUCCEEDED'; output: unknown; executionArn: string }
  | { status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; error: string; cause: string; executionArn: string }
  | { status: 'RUNNING'; executionArn: string };

export interface FollowOptions {
  onStep?: (event: StepEvent) => void;
  /** Between polls. @default 2000 */
  intervalMs?: number;
  /** Stop following (Ctrl-C): the execution goes on. */
  signal?: AbortSignal;
  /** Read the history once and return, even if the execution still runs. */
  once?: boolean;
}

/** Prints each state as it finishes until the execution ends (or the signal stops the following). */
export async function follow(aws: Aws, executionArn: string, options: FollowOptions = {}): Promise<Followed> {
  const reader = new HistoryReader();
  try {
    for (;;) {
      const described = await aws.sfn.send(new DescribeExecutionCommand({ executionArn }));
      for (const step of reader.read(await history(aws, executionArn))) options.onStep?.(step);
      const status = described.status ?? 'RUNNING';
      if (status === 'SUCCEEDED') {
        return { status, output: JSON.parse(described.output ?? 'null'), executionArn };
      }
      if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED') {
        return { status, error: described.error ?? status, cause: described.cause ?? '', executionArn };
      }
      if (options.once || options.signal?.aborted) return { status: 'RUNNING', executionArn };
      // One listener per wait, removed when the wait ends: a long execution polls hundreds of times.
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          options.signal?.removeEventListener('abort', wake);
          resolve();
        }, options.intervalMs ?? 2000);
        options.signal?.addEventListener('abort', wake, { once: true });
      });
      if (options.signal?.aborted) return { status: 'RUNNING', executionArn };
    }
  } catch (error) {
    throw explain(error, { endpoint: aws.endpoint });
  }
}

export interface ExecutionSummary {
  machine: string;
  name: string;
  hostname: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
  executionArn: string;
}

/** Recent executions of every machine, newest first, with the hostname (or fleet) each was for. */
export async function recentExecutions(aws: Aws, deployment: Deployment, max: number): Promise<ExecutionSummary[]> {
  try {
    const lists = await Promise.all(
      (['create', 'destroy', 'createFleet', 'destroyFleet'] as const).map(async (workflow) => {
        const stateMachineArn = deployment[workflow];
        if (!stateMachineArn) return [];
        const out = await aws.sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: max }));
        return (out.executions ?? []).map((e) => ({ workflow, e }));
      }),
    );
    const rows = await Promise.all(
      lists.flat().map(async ({ workflow, e }: { workflow: Workflow; e: ExecutionListItem }) => ({
        machine: WORKFLOWS[workflow].machine,
        name: e.name ?? '',
        hostname: await hostnameOf(aws, e),
        status: e.status ?? '',
        startDate: e.startDate,
        stopDate: e.stopDate,
        executionArn: e.executionArn ?? '',
      })),
    );
    return rows.sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0)).slice(0, max);
  } catch (error) {
    throw explain(error, { endpoint: aws.endpoint });
  }
}

/** From a name the CLI gave, else from the execution's input (the console and CI name theirs). */
async function hostnameOf(aws: Aws, e: ExecutionListItem): Promise<string> {
  const named = /^(?:create|destroy)-(?:fleet-)?(.+)-\d{8}T\d{6}Z-[0-9a-f]{6}$/.exec(e.name ?? '');
  if (named) return named[1];
  const described = await aws.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
  try {
    const input = JSON.parse(described.input ?? '{}') as Record<string, unknown>;
    const fleet = Array.isArray(input.hostnames) ? input.hostnames.join(',') : undefined;
    return String(input.hostname ?? input.instanceId ?? fleet ?? '-');
  } catch {
    return '-';
  }
}

export interface FailureReport {
  status: string;
  error?: string;
  cause?: string;
  /** The task state whose error ended the execution, if one did. */
  step?: string;
  logGroup?: string;
  lines: string[];
}

/** What failed, why, and what the failing step's Lambda logged for this execution. */
export async function failureReport(aws: Aws, executionArn: string, stackName: string): Promise<FailureReport> {
  try {
    const described = await aws.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const status = described.status ?? 'RUNNING';
    if (status === 'SUCCEEDED' || status === 'RUNNING') return { status, lines: [] };
    const events = await history(aws, executionArn);
    const step = failingTask(events);
    const report: FailureReport = { status, error: described.error, cause: described.cause, step, lines: [] };
    if (!step) return report;
    const resources = await aws.cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
    const group = (resources.StackResources ?? []).find(
      (r) => r.ResourceType === 'AWS::Logs::LogGroup' && (r.LogicalResourceId ?? '').startsWith(`Steps${step}Logs`),
    );
    if (!group?.PhysicalResourceId) return report;
    report.logGroup = group.PhysicalResourceId;
    const name = executionArn.slice(executionArn.lastIndexOf(':') + 1);
    let nextToken: string | undefined;
    do {
      const page = await aws.logs.send(
        new FilterLogEventsCommand({
          logGroupName: group.PhysicalResourceId,
          filterPattern: `{ $.execution = "${name}" }`,
          startTime: described.startDate?.getTime(),
          nextToken,
        }),
      );
      report.lines.push(...(page.events ?? []).map((e) => (e.message ?? '').trimEnd()));
      nextToken = page.nextToken;
    } while (nextToken && report.lines.length < 1000);
    return report;
  } catch (error) {
    throw explain(error, { stackName, region: aws.region, endpoint: aws.endpoint });
  }
}

/** The state of the last task failure in the history: the step whose Lambda's logs explain it. */
export function failingTask(events: HistoryEvent[]): string | undefined {
  const byId = new Map(events.map((e) => [e.id ?? 0, e]));
  const failures = events.filter((e) => /^(Task|LambdaFunction)(Failed|TimedOut)$/.test(e.type ?? ''));
  let current = failures[failures.length - 1];
  while (current) {
    if (current.type === 'TaskStateEntered') return current.stateEnteredEventDetails?.name;
    current = byId.get(current.previousEventId ?? 0) as HistoryEvent;
  }
  return undefined;
}
