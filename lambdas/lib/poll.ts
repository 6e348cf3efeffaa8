import type { PollEvent, PollResult } from './contract';

/** Seconds between a poll's later checks when neither the input nor the defaults say. */
export const DEFAULT_POLL_SECONDS = 5;

/** What a check reports: whether the loop is done, and the fields it wants to keep. */
export type CheckOutcome<R extends PollResult> = { done: boolean; waitSeconds?: number } & Partial<
  Omit<R, keyof PollResult>
>;

/**
 * Runs one check of a poll loop and stamps the result with `status`, `attempt` and `waitSeconds`,
 * which the poll fragment's Choice and Wait states read. `previous` is this loop's last result,
 * absent on the first check. The wait before the next check is the operator's interval unless the
 * check knows how long the thing it started takes (a probe command's few seconds).
 */
export async function pollCheck<S, R extends PollResult>(
  event: PollEvent<S>,
  check: (state: S, previous: R | undefined) => Promise<CheckOutcome<R>>,
  now: () => number = Date.now,
): Promise<R> {
  const previous = (event.state as Record<string, unknown>)[event.slot] as R | undefined;
  const startedAt = previous?.startedAt ?? new Date(now()).toISOString();
  const { done, waitSeconds, ...fields } = await check(event.state, previous);
  const elapsedSeconds = Math.max(0, Math.floor((now() - Date.parse(startedAt)) / 1000));
  const interval = event.interval ?? DEFAULT_POLL_SECONDS;
  // No wait goes past the loop's bound: its last check comes at the bound, not an interval later.
  const left = event.maxSeconds === undefined ? interval : Math.max(0, event.maxSeconds - elapsedSeconds);
  return {
    ...fields,
    status: done ? 'DONE' : 'WAITING',
    attempt: (previous?.attempt ?? 0) + 1,
    // A Wait's SecondsPath takes whole seconds only.
    waitSeconds: Math.max(0, Math.round(Math.min(waitSeconds ?? interval, interval, left))),
    startedAt,
    elapsedSeconds,
  } as unknown as R;
}
