/** What every command shares: where it writes, the machines' names. */
import { WORKFLOWS, type Workflow } from '../engine/template';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const stdio: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export const MACHINE = Object.fromEntries(Object.entries(WORKFLOWS).map(([w, d]) => [w, d.machine])) as Record<
  Workflow,
  string
>;

/** A fleet's execution succeeds when every host has an outcome; the exit code says whether all succeeded. */
export function fleetFailures(output: unknown): number {
  const failed = (output as { failed?: unknown } | null)?.failed;
  return typeof failed === 'number' ? failed : 0;
}
