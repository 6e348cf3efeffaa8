import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ErrorNames } from '../lambdas/lib/errors';
import { lambdaStep } from './lambda-step';

export interface PollProps {
  /** The check Lambda: returns `{ status: 'WAITING' | 'DONE', attempt }` plus its own fields. */
  readonly check: lambda.IFunction;
  /** State key the check's result is written to (and read back from on the next attempt). */
  readonly slot: string;
  /** JSONPath to the seconds between checks, so that a local run can use 0. */
  readonly intervalPath: string;
  /** Checks before the loop ends in a PollTimeout error. */
  readonly maxAttempts: number;
  /** Extra payload fields for the check, besides `state` (the whole state) and `slot`. */
  readonly payload?: Record<string, unknown>;
  readonly comment?: string;
}

/**
 * The one polling loop: check → Choice (done → next state; attempts used up → PollTimeout;
 * otherwise → Wait → check). Every loop sleeps between checks and every loop is bounded.
 * States are named after the fragment id: `X`, `X?`, `X (wait)`, `X timed out`.
 */
export class Poll extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: PollProps) {
    super(scope, id);
    if (!Number.isInteger(props.maxAttempts) || props.maxAttempts < 1) {
      throw new Error(`Poll ${id}: maxAttempts must be a positive integer, got ${props.maxAttempts}`);
    }
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(props.slot)) throw new Error(`Poll ${id}: slot must be a plain key`);
    const status = `$.${props.slot}.status`;
    const check = lambdaStep(this, {
      fn: props.check,
      name: id,
      payload: { 'state.$': '$', slot: props.slot, ...props.payload },
      resultPath: `$.${props.slot}`,
      comment: props.comment,
    });
    const wait = new sfn.Wait(this, `${id} (wait)`, {
      time: sfn.WaitTime.secondsPath(props.intervalPath),
    });
    const timedOut = new sfn.Fail(this, `${id} timed out`, {
      error: ErrorNames.pollTimeout,
      cause: `${id}: not done after ${props.maxAttempts} checks`,
    });
    const choice = new sfn.Choice(this, `${id}?`)
      .when(
        sfn.Condition.and(
          sfn.Condition.stringEquals(status, 'WAITING'),
          sfn.Condition.numberGreaterThanEquals(`$.${props.slot}.attempt`, props.maxAttempts),
        ),
        timedOut,
      )
      .when(sfn.Condition.stringEquals(status, 'WAITING'), wait.next(check));
    check.next(choice);
    this.startState = check;
    this.endStates = choice.afterwards({ includeOtherwise: true }).endStates;
  }
}
