import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { THROTTLING_ERRORS } from '../lambdas/lib/errors';

export interface LambdaStepProps {
  readonly fn: lambda.IFunction;
  /** The state's name in the console; also its construct id. */
  readonly name: string;
  /** @default the whole state input */
  readonly payload?: Record<string, unknown>;
  /** Where the handler's result goes. @default '$' (replaces the state) */
  readonly resultPath?: string;
  readonly comment?: string;
}

/**
 * A Lambda task as every step uses it: the handler's return value is the result (no SDK envelope),
 * Lambda service errors are retried (the LambdaInvoke default), and AWS throttling or 5xx errors
 * thrown by the handler are retried with exponential backoff and full jitter.
 */
export function lambdaStep(scope: Construct, props: LambdaStepProps): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, props.name, {
    lambdaFunction: props.fn,
    payloadResponseOnly: true,
    payload: props.payload ? sfn.TaskInput.fromObject(props.payload) : undefined,
    resultPath: props.resultPath,
    comment: props.comment,
    retryOnServiceExceptions: true,
  });
  task.addRetry({
    errors: [...THROTTLING_ERRORS],
    interval: Duration.seconds(1),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.seconds(20),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}
