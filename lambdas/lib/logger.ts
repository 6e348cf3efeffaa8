/**
 * Structured logs through Powertools for AWS Lambda's Logger: one JSON object per line with its
 * keys (`level`, `message`, `timestamp`, `service`, `cold_start`, `function_name`,
 * `function_request_id`, `xray_trace_id`, `sampling_rate`...), plus the step (a persistent key) and
 * the execution (a key of the invocation), so that CloudWatch Logs Insights follows one execution
 * across every Lambda, and an organisation's Powertools queries apply as they are:
 *
 *   fields @timestamp, step, level, message | filter execution = "create-web1-..." | sort @timestamp
 *
 * Powertools' own variables configure it: POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL (DEBUG,
 * INFO, WARN, ERROR, SILENT; Lambda's AWS_LAMBDA_LOG_LEVEL wins when set),
 * POWERTOOLS_LOGGER_SAMPLE_RATE (the share of invocations logged at DEBUG). Where invocations run
 * concurrently in one process (AWS_LAMBDA_MAX_CONCURRENCY, the runtime's InvokeStore: the local
 * engine runs its handlers so), each invocation's keys and level are its own.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { THROTTLING_ERRORS } from './errors';
import { STEP } from './step';

export const logger = new Logger({ persistentKeys: { step: STEP } });

/** The part of the Lambda context the logger reads. */
export type LambdaContext = Partial<Context>;

type Carrier = { executionId?: unknown; config?: Carrier; target?: Carrier; state?: Carrier } | undefined;

/** The execution ARN, wherever this project's events carry it (see lambdas/lib/contract.ts). */
export function executionOf(event: unknown): string | undefined {
  const e = event as Carrier;
  const found = [e?.executionId, e?.config, e?.target, e?.state?.config, e?.state?.target]
    .map((c) => (typeof c === 'string' ? c : (c as Carrier)?.executionId))
    .find((v) => typeof v === 'string' && v.length > 0);
  return found as string | undefined;
}

/** Errors Step Functions retries (lib/lambda-step.ts): a warning here, not an error. */
const RETRIED: ReadonlySet<string> = new Set(THROTTLING_ERRORS);

/**
 * Wraps a step's handler as Powertools' injectLambdaContext does (the Lambda context, a new
 * sampling decision, the invocation's keys removed at its end), with the execution as a key of the
 * invocation. Every invocation ends with one line, `step done` (with the duration, and a poll
 * check's status and attempt) or `step failed` (with the error; it is thrown on unchanged).
 */
export function instrument<E, R>(handler: (event: E) => Promise<R>): (event: E, context?: LambdaContext) => Promise<R> {
  return async (event, context) => {
    logger.refreshSampleRateCalculation();
    logger.addContext((context ?? {}) as Context);
    const executionArn = executionOf(event);
    logger.appendKeys({ execution: executionArn?.slice(executionArn.lastIndexOf(':') + 1), executionArn });
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
      const fields = { durationMs: Date.now() - started, error: e };
      if (RETRIED.has(e.name)) logger.warn('step failed, Step Functions retries it', fields);
      else logger.error('step failed', fields);
      throw error;
    } finally {
      logger.resetKeys();
    }
  };
}
