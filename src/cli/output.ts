import type { ExecutionResult, StepEvent } from '../engine/types';

/** Wide enough for the longest state name, a fleet host's included: `web12/WaitUntilTerminated (first wait)`. */
const NAME_WIDTH = 40;

/** One line per finished state, like the console's execution event list. */
export function stepLine(event: StepEvent): string {
  const seconds = (event.durationMs / 1000).toFixed(2).padStart(7);
  const detail = event.error ? `  ${event.error}` : '';
  return `  ${event.name.padEnd(NAME_WIDTH)} ${event.type.padEnd(9)} ${event.status.padEnd(10)} ${seconds} s${detail}`;
}

export function header(title: string): string {
  return `${title}\n  ${'STATE'.padEnd(NAME_WIDTH)} ${'TYPE'.padEnd(9)} ${'STATUS'.padEnd(10)} ${'DURATION'.padStart(9)}`;
}

/** The cause as a person wants it: Lambda errors arrive as JSON with an errorMessage. */
export function readableCause(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) return parsed.errorMessage;
  } catch {
    // not JSON: already readable
  }
  return cause;
}

export function failureLine(machine: string, result: Exclude<ExecutionResult, { status: 'SUCCEEDED' }>): string {
  const how = result.status.toLowerCase().replace('_', ' ');
  return `${machine} ${how}: ${result.error}: ${readableCause(result.cause)}`;
}
