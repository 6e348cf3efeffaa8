/** WaitUntilRunning check: DescribeInstances until `running`; a terminal state fails the loop. */
import type { CreateState, PollEvent, RunningResult } from './lib/contract';
import { InstanceFailed } from './lib/errors';
import { describeInstance } from './lib/instances';
import { instrument } from './lib/logger';
import { pollCheck } from './lib/poll';

const GIVEN_UP = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

export const handler = instrument(
  (event: PollEvent<CreateState>): Promise<RunningResult> =>
    pollCheck<CreateState, RunningResult>(event, async (state) => {
      const instanceId = state.instance?.instanceId ?? '';
      const instance = await describeInstance(instanceId);
      const name = instance?.State?.Name ?? 'pending';
      if (GIVEN_UP.has(name)) throw new InstanceFailed(instanceId, name, instance?.StateReason?.Message);
      if (name !== 'running') return { done: false, state: name };
      return {
        done: true,
        state: name,
        privateIp: instance?.PrivateIpAddress,
        privateDnsName: instance?.PrivateDnsName,
        at: new Date().toISOString(),
      };
    }),
);
