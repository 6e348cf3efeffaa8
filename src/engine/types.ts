/** What a run of a state machine reports, on either engine, and what the CLI prints from it. */
import { randomBytes } from 'node:crypto';
import type { Workflow } from './template';

export interface StepEvent {
  name: string;
  type: string;
  status: 'Succeeded' | 'Failed' | 'Retried' | 'Caught';
  durationMs: number;
  error?: string;
  cause?: string;
  /** The state's input as it was entered. */
  input?: unknown;
}

/** How an execution ended, as DescribeExecution says. */
export type EndStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export type ExecutionResult = (
  | { status: 'SUCCEEDED'; output: unknown }
  | { status: Exclude<EndStatus, 'SUCCEEDED'>; error: string; cause: string }
) & {
  executionId: string;
  /** States entered plus retries: what Step Functions bills a Standard workflow for. */
  stateTransitions: number;
  /** The largest state input or output the run carried (the local engine measures it). */
  largestPayload?: { state: string; bytes: number };
};

/** `create-web1-20261127T101500Z-3fa2c1`: the workflow, the host, when, and 6 hex against collisions. */
export function executionName(workflow: Workflow, input: Record<string, unknown>, now = new Date()): string {
  const fleet = Array.isArray(input.hostnames) ? `${input.hostnames.length}-hosts` : undefined;
  const who = String(input.hostname ?? input.instanceId ?? fleet ?? 'host')
    .replace(/[^A-Za-z0-9-]/g, '-')
    .slice(0, 40);
  const when = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const action = workflow.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return `${action}-${who}-${when}-${randomBytes(3).toString('hex')}`;
}
