/**
 * Structured logs, one JSON object per line, in the shape of Powertools' Logger: level, timestamp,
 * service, the step, the execution, the Lambda request id and the cold start flag on every line, so
 * that CloudWatch Logs Insights follows one execution across every Lambda:
 *
 *   fields @timestamp, step, level, message | filter execution = "create-web1-..." | sort @timestamp
 *
 * The level comes from LOG_LEVEL (DEBUG, INFO, WARN, ERROR, SILENT), else Lambda's
 * AWS_LAMBDA_LOG_LEVEL; INFO by default. The invocation context lives in AsyncLocalStorage, so
 * concurrent invocations in one process (the local engine) never mix their lines.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { STEP } from './step';

const LEVELS = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 100 } as const;
type Level = Exclude<keyof typeof LEVELS, 'SILENT'>;

interface InvocationContext {
  execution?: string;
  executionArn?: string;
  requestId?: string;
  coldStart: boolean;
}

/** The part of the Lambda context the logger reads. */
export interface LambdaContext {
  awsRequestId?: string;
}

const invocation = new AsyncLocalStorage<InvocationContext>();
let coldStart = true;

function threshold(): number {
  const name = (process.env.LOG_LEVEL ?? process.env.AWS_LAMBDA_LOG_LEVEL ?? 'INFO').toUpperCase();
  return LEVELS[name as keyof typeof LEVELS] ?? LEVELS.INFO;
}

/** Errors as objects with their name and message (JSON.stringify turns an Error into `{}`). */
function serialise(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

function write(level: Level, message: string, fields: Record<string, unknown>): void {
  if (LEVELS[level] < threshold()) return;
  const ctx = invocation.getStore();
  const line = {
    level,
    timestamp: new Date().toISOString(),
    service: 'instance-lifecycle',
    step: STEP,
    execution: ctx?.execution,
    executionArn: ctx?.executionArn,
    requestId: ctx?.requestId,
    coldStart: ctx?.coldStart,
    message,
    ...fields,
  };
  process.stdout.write(`${JSON.stringify(line, serialise)}\n`);
}

export const logger = {
  debug: (message: string, fields: Record<string, unknown> = {}) => write('DEBUG', message, fields),
  info: (message: string, fields: Record<string, unknown> = {}) => write('INFO', message, fields),
  warn: (message: string, fields: Record<string, unknown> = {}) => write('WARN', message, fields),
  error: (message: string, fields: Record<string, unknown> = {}) => write('ERROR', message, fields),
};

type Carrier = { executionId?: unknown; config?: Carrier; target?: Carrier; state?: Carrier } | undefined;

/** The execution ARN, wherever this project's events carry it (see lambdas/lib/contract.ts). */
export function executionOf(event: unknown): string | undefined {
  const e = event as Carrier;
  const found = [e?.executionId, e?.config, e?.target, e?.state?.config, e?.state?.target]
    .map((c) => (typeof c === 'string' ? c : (c as Carrier)?.executionId))
    .find((v) => typeof v === 'string' && v.length > 0);
  return found as string | undefined;
}

/** Errors AWS raises to slow callers down: Step Functions retries them, so they are warnings here. */
const RETRIED = /Throttl|RequestLimitExceeded|PriorRequestNotComplete|TooManyRequests|ServiceUnavailable|Internal/;

/**
 * Wraps a step's handler: every invocation runs with its execution and request id in the log
 * context, and ends with one line, `step done` (with the duration, and a poll check's status and
 * attempt) or `step failed` (with the error's name and message; the error is thrown on unchanged).
 */
export function instrument<E, R>(handler: (event: E) => Promise<R>): (event: E, context?: LambdaContext) => Promise<R> {
  return (event, context) => {
    const executionArn = executionOf(event);
    const ctx: InvocationContext = {
      executionArn,
      execution: executionArn?.slice(executionArn.lastIndexOf(':') + 1),
      requestId: context?.awsRequestId,
      coldStart,
    };
    coldStart = false;
    return invocation.run(ctx, async () => {
      const started = Date.now();
      try {
        const result = await handler(event);
        const poll = result as { status?: unknown; attempt?: unknown } | undefined;
        logger.info('step done', {
          durationMs: Date.now() - started,
          ...(typeof poll?.attempt === 'number' ? { status: poll.status, attempt: poll.attempt } : {}),
        });
        return result;
      } catch (error) {
        const e = error as Error;
        const fields = { durationMs: Date.now() - started, error: { name: e.name, message: e.message } };
        if (RETRIED.test(e.name)) logger.warn('step failed, Step Functions retries it', fields);
        else logger.error('step failed', fields);
        throw error;
      }
    });
  };
}
