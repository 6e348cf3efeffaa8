/**
 * Structured JSON log lines, one object per line, carrying the step and the execution so that
 * CloudWatch Logs Insights can follow one execution across every Lambda.
 */
export interface LogContext {
  step: string;
  execution?: string;
}

export function log(ctx: LogContext, message: string, fields: Record<string, unknown> = {}): void {
  if (process.env.LIFECYCLE_QUIET_LOGS === '1') return;
  process.stdout.write(
    `${JSON.stringify({ level: 'INFO', timestamp: new Date().toISOString(), ...ctx, message, ...fields })}\n`,
  );
}
