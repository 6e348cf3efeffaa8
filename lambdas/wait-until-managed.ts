/** WaitUntilManaged check: SSM DescribeInstanceInformation until the agent's PingStatus is Online. */
import type { CreateState, ManagedResult, PollEvent } from './lib/contract';
import { instrument } from './lib/logger';
import { pollCheck } from './lib/poll';
import { agentInfo } from './lib/run-command';

export const handler = instrument(
  (event: PollEvent<CreateState>): Promise<ManagedResult> =>
    pollCheck<CreateState, ManagedResult>(event, async (state) => {
      const info = await agentInfo(state.instance?.instanceId ?? '');
      const pingStatus = info?.pingStatus ?? 'NotRegistered';
      if (pingStatus !== 'Online') return { done: false, pingStatus };
      return { done: true, pingStatus, platform: info?.platform, at: new Date().toISOString() };
    }),
);
