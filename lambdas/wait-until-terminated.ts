/** WaitUntilTerminated check: DescribeInstances until `terminated` (or EC2 forgets the instance). */
import type { DestroyState, PollEvent, TerminatedResult } from './lib/contract';
import { describeInstance } from './lib/instances';
import { instrument } from './lib/logger';
import { pollCheck } from './lib/poll';

export const handler = instrument(
  (event: PollEvent<DestroyState>): Promise<TerminatedResult> =>
    pollCheck<DestroyState, TerminatedResult>(event, async (state) => {
      const instance = await describeInstance(state.target.instanceId ?? '');
      const name = instance?.State?.Name ?? 'terminated';
      return name === 'terminated'
        ? { done: true, state: name, at: new Date().toISOString() }
        : { done: false, state: name };
    }),
);
