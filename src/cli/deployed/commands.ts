/** The commands that work on a deployed stack: following executions, status, list, logs. */

import { fleetFailures, type Io } from '../io';
import { header, readableCause, stepLine } from '../output';
import { CLI_NAME, type ListOptions, type StatusOptions, type TargetOptions } from '../program';
import { type Aws, awsClients, DEFAULT_STACK_NAME } from './aws';
import { type Followed, failureReport, follow, recentExecutions } from './executions';
import { deploymentOf } from './stack';

export function clientsFor(v: TargetOptions): Aws {
  return awsClients({ region: v.region, profile: v.profile, endpoint: v.endpoint });
}

/** Prints the execution as it goes; Ctrl-C stops following and leaves it running. */
export async function followExecution(
  aws: Aws,
  executionArn: string,
  io: Io,
  json: boolean,
  once = false,
): Promise<number> {
  const machine = /:execution:([^:]+):/.exec(executionArn)?.[1] ?? 'execution';
  if (!json) io.out(header(`${machine} ${executionArn}`));
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.once('SIGINT', onInterrupt);
  let result: Followed;
  try {
    result = await follow(aws, executionArn, {
      signal: stop.signal,
      once,
      onStep: json ? undefined : (event) => io.out(stepLine(event)),
    });
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  return reportFollowed(result, machine, io, json, stop.signal.aborted);
}

function reportFollowed(result: Followed, machine: string, io: Io, json: boolean, interrupted: boolean): number {
  if (result.status === 'SUCCEEDED') {
    io.out(JSON.stringify(result.output, null, json ? 0 : 2));
    const failed = fleetFailures(result.output);
    if (failed > 0) io.err(`${machine}: ${failed} host(s) failed and were rolled back; the others are done`);
    return failed > 0 ? 1 : 0;
  }
  if (result.status === 'RUNNING') {
    const how = `follow it with: ${CLI_NAME} status ${result.executionArn}`;
    io.err(interrupted ? `stopped following; the execution goes on. ${how}` : `still running; ${how}`);
    return interrupted ? 130 : 0;
  }
  io.err(
    `${machine} ${result.status.toLowerCase().replace('_', ' ')}: ${result.error}: ${readableCause(result.cause)}`,
  );
  io.err(`details: ${CLI_NAME} logs ${result.executionArn}`);
  return 1;
}

/** The region an ARN names: an execution lives there, whatever AWS_REGION says. */
function regionOf(arn: string): string {
  return arn.split(':')[3];
}

export async function statusCommand(arn: string, v: StatusOptions, io: Io): Promise<number> {
  return followExecution(clientsFor({ ...v, region: v.region ?? regionOf(arn) }), arn, io, !!v.json, !v.wait);
}

function duration(start?: Date, stop?: Date): string {
  if (!start) return '-';
  const seconds = Math.round(((stop ?? new Date()).getTime() - start.getTime()) / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

export async function listCommand(v: ListOptions, io: Io): Promise<number> {
  const aws = clientsFor(v);
  const rows = await recentExecutions(aws, await deploymentOf(aws, v.stackName ?? DEFAULT_STACK_NAME), v.max);
  if (v.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  io.out(
    `${'MACHINE'.padEnd(13)} ${'HOSTNAME'.padEnd(22)} ${'STATUS'.padEnd(10)} ${'STARTED'.padEnd(20)} ${'DURATION'.padStart(8)}  EXECUTION`,
  );
  for (const r of rows) {
    const started = r.startDate ? r.startDate.toISOString().slice(0, 19).replace('T', ' ') : '-';
    io.out(
      `${r.machine.padEnd(13)} ${r.hostname.padEnd(22)} ${r.status.padEnd(10)} ${started.padEnd(20)} ${duration(r.startDate, r.stopDate).padStart(8)}  ${r.executionArn}`,
    );
  }
  if (rows.length === 0) io.err('no executions yet');
  return 0;
}

export async function logsCommand(arn: string, v: TargetOptions, io: Io): Promise<number> {
  const report = await failureReport(
    clientsFor({ ...v, region: v.region ?? regionOf(arn) }),
    arn,
    v.stackName ?? DEFAULT_STACK_NAME,
  );
  if (!report.error) {
    io.out(`the execution ${report.status === 'RUNNING' ? 'is still running' : 'succeeded'}: nothing failed`);
    return 0;
  }
  io.out(`${report.status}: ${report.error}: ${readableCause(report.cause ?? '')}`);
  if (!report.step) return 1;
  io.out(`failed step: ${report.step}${report.logGroup ? ` (log group ${report.logGroup})` : ''}`);
  for (const line of report.lines) io.out(line);
  if (report.logGroup && report.lines.length === 0)
    io.out('(no log lines for this execution: they may take a minute to arrive)');
  return 1;
}
