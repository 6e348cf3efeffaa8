import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { ssm } from './clients/ssm';

export interface AgentInfo {
  pingStatus: string;
  platform?: string;
}

/** The SSM agent's view of the instance, or undefined before the agent first registers. */
export async function agentInfo(instanceId: string): Promise<AgentInfo | undefined> {
  const out = await ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
  );
  const info = out.InstanceInformationList?.[0];
  if (!info) return undefined;
  return { pingStatus: info.PingStatus ?? 'Unknown', platform: info.PlatformName };
}

/** Sends a shell script to one instance through AWS-RunShellScript; returns the command id. */
export async function sendScript(
  instanceId: string,
  commands: string[],
  comment: string,
  executionTimeoutSeconds = 120,
): Promise<string> {
  return sendDocument(
    instanceId,
    'AWS-RunShellScript',
    { commands, executionTimeout: [String(executionTimeoutSeconds)] },
    comment,
  );
}

/** Runs an SSM document on one instance; returns the command id. */
export async function sendDocument(
  instanceId: string,
  document: string,
  parameters: Record<string, string[]>,
  comment: string,
): Promise<string> {
  const out = await ssm.send(
    new SendCommandCommand({
      DocumentName: document,
      InstanceIds: [instanceId],
      Parameters: parameters,
      TimeoutSeconds: 60,
      Comment: comment.slice(0, 100),
    }),
  );
  const commandId = out.Command?.CommandId;
  if (!commandId) throw new Error('SendCommand returned no command id');
  return commandId;
}

export interface Invocation {
  /** Pending, InProgress, Delayed, Success, Cancelled, TimedOut, Failed, Cancelling. */
  status: string;
  stdout: string;
  stderr: string;
}

const RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

export function isRunning(status: string): boolean {
  return RUNNING.has(status);
}

/**
 * The invocation, or a Pending one while SSM has not registered it yet. A document with several
 * steps needs the step's name (`pluginName`): AWS refuses the call without it.
 */
export async function invocation(commandId: string, instanceId: string, pluginName?: string): Promise<Invocation> {
  try {
    const out = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId, PluginName: pluginName }),
    );
    return {
      status: out.Status ?? 'Pending',
      stdout: out.StandardOutputContent ?? '',
      stderr: out.StandardErrorContent ?? '',
    };
  } catch (error) {
    if ((error as Error).name === 'InvocationDoesNotExist') return { status: 'Pending', stdout: '', stderr: '' };
    throw error;
  }
}

export interface StepResult extends Invocation {
  /** The step's name in the document (`aws:runShellScript` for AWS-RunShellScript). */
  name: string;
}

/**
 * The command on one instance, every step of its document included: the overall status while it
 * runs, then each step's status and output (GetCommandInvocation per step, which keeps the last
 * 24,000 characters of output where ListCommandInvocations keeps the first 2,500).
 */
export async function commandSteps(
  commandId: string,
  instanceId: string,
): Promise<{ status: string; steps: StepResult[] }> {
  const out = await ssm.send(
    new ListCommandInvocationsCommand({ CommandId: commandId, InstanceId: instanceId, Details: true }),
  );
  const found = out.CommandInvocations?.[0];
  if (!found) return { status: 'Pending', steps: [] };
  const status = found.Status ?? 'Pending';
  if (isRunning(status)) return { status, steps: [] };
  const steps: StepResult[] = [];
  for (const plugin of found.CommandPlugins ?? []) {
    const name = plugin.Name ?? '';
    const detail = await invocation(commandId, instanceId, name);
    steps.push({ ...detail, name, status: plugin.Status ?? detail.status });
  }
  return { status, steps };
}
