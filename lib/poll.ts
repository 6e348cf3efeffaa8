import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { WorkflowErrors } from '../lambdas/lib/errors';
import { lambdaStep } from './lambda-step';

export interface PollProps {
  /** The check Lambda: returns `{ status: 'WAITING' | 'DONE', attempt }` plus its own fields. */
  readonly check: lambda.IFunction;
  /** State key the check's result is written to (and read back from on the next attempt). */
  readonly slot: string;
  /**
   * Seconds to wait before the first check: how long the awaited work is expected to take
   * (lib/expected-latency.ts). 0 checks at once.
   */
  readonly firstWaitSeconds: number;
  /**
   * JSONPath to the operator's seconds between later checks. The check receives it as `interval`
   * and answers `waitSeconds`: that interval, or its own shorter figure when it knows better.
   */
  readonly intervalPath: string;
  /** Checks before the loop ends in a PollTimeout error. */
  readonly maxAttempts: number;
  /**
   * Seconds from the first check after which the loop ends in a PollTimeout error, whatever the
   * operator's interval: later waits are cut to what is left, so the loop's last check comes at
   * this bound. With the first wait and one check, this is the most a loop can take.
   */
  readonly maxSeconds: number;
  /** Extra payload fields for the check, besides `state` (the whole state) and `slot`. */
  readonly payload?: Record<string, unknown>;
  readonly comment?: string;
}

/** Where a check reports the seconds since the loop's first check (lambdas/lib/poll.ts). */
export const ELAPSED_FIELD = 'elapsedSeconds';

/**
 * The one polling loop: first wait (the expected time) → check → Choice (done → next state;
 * time or attempts used up → PollTimeout; otherwise → Wait `waitSeconds` → check). When AWS takes the time
 * it usually does, a loop costs one check and three state transitions. Every loop is bounded.
 * States are named after the fragment id: `X (first wait)`, `X`, `X?`, `X (wait)`, `X timed out`.
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
    if (!Number.isInteger(props.maxSeconds) || props.maxSeconds < 1) {
      throw new Error(`Poll ${id}: maxSeconds must be a positive whole number of seconds, got ${props.maxSeconds}`);
    }
    if (!Number.isInteger(props.firstWaitSeconds) || props.firstWaitSeconds < 0) {
      throw new Error(`Poll ${id}: firstWaitSeconds must be whole seconds, got ${props.firstWaitSeconds}`);
    }
    const status = `$.${props.slot}.status`;
    const check = lambdaStep(this, {
      fn: props.check,
      name: id,
      payload: {
        'state.$': '$',
        slot: props.slot,
        'interval.$': props.intervalPath,
        maxSeconds: props.maxSeconds,
        ...props.payload,
      },
      resultPath: `$.${props.slot}`,
      comment: props.comment,
    });
    const wait = new sfn.Wait(this, `${id} (wait)`, {
      time: sfn.WaitTime.secondsPath(`$.${props.slot}.waitSeconds`),
    });
    const timedOut = new sfn.Fail(this, `${id} timed out`, {
      error: WorkflowErrors.pollTimeout,
      cause: `${id}: not done after ${props.maxSeconds} s (or ${props.maxAttempts} checks)`,
    });
    const choice = new sfn.Choice(this, `${id}?`)
      .when(
        sfn.Condition.and(
          sfn.Condition.stringEquals(status, 'WAITING'),
          sfn.Condition.or(
            sfn.Condition.numberGreaterThanEquals(`$.${props.slot}.${ELAPSED_FIELD}`, props.maxSeconds),
            sfn.Condition.numberGreaterThanEquals(`$.${props.slot}.attempt`, props.maxAttempts),
          ),
        ),
        timedOut,
      )
      .when(sfn.Condition.stringEquals(status, 'WAITING'), wait.next(check));
    check.next(choice);
    this.startState = check;
    if (props.firstWaitSeconds > 0) {
      const firstWait = new sfn.Wait(this, `${id} (first wait)`, {
        time: sfn.WaitTime.duration(Duration.seconds(props.firstWaitSeconds)),
        comment: `${props.firstWaitSeconds} s: how long this usually takes`,
      });
      firstWait.next(check);
      this.startState = firstWait;
    }
    this.endStates = choice.afterwards({ includeOtherwise: true }).endStates;
  }
}
