import type { PollEvent, PollResult } from './contract';

/** What a check reports: whether the loop is done, and the fields it wants to keep. */
export type CheckOutcome<R extends PollResult> = { done: boolean } & Partial<Omit<R, keyof PollResult>>;

/**
 * Runs one check of a poll loop and stamps the result with `status` and `attempt`, which the poll
 * fragment's Choice state reads. `previous` is this loop's last result, absent on the first check.
 */
export async function pollCheck<S, R extends PollResult>(
  event: PollEvent<S>,
  check: (state: S, previous: R | undefined) => Promise<CheckOutcome<R>>,
): Promise<R> {
  const previous = (event.state as Record<string, unknown>)[event.slot] as R | undefined;
  const { done, ...fields } = await check(event.state, previous);
  return { ...fields, status: done ? 'DONE' : 'WAITING', attempt: (previous?.attempt ?? 0) + 1 } as unknown as R;
}
