/** WaitForHostname check: GetCommandInvocation of the set-hostname command; keeps the boot id it read. */
import { parseReport } from './lib/commands';
import type { CreateState, HostnameResult, PollEvent } from './lib/contract';
import { CommandFailed } from './lib/errors';
import { instrument } from './lib/logger';
import { pollCheck } from './lib/poll';
import { invocation, isRunning } from './lib/run-command';

export const handler = instrument(
  (event: PollEvent<CreateState>): Promise<HostnameResult> =>
    pollCheck<CreateState, HostnameResult>(event, async (state) => {
      const { commandId = '', instanceId = '' } = state.hostnameCommand ?? {};
      const result = await invocation(commandId, instanceId);
      if (isRunning(result.status)) return { done: false, commandStatus: result.status };
      if (result.status !== 'Success') throw new CommandFailed(commandId, result.status, result.stderr.slice(-500));
      const { bootId } = parseReport(result.stdout);
      // Without the boot id before the reboot, the reboot could not be proven later: fail now.
      if (!bootId) throw new CommandFailed(commandId, result.status, 'the script reported no boot id');
      return { done: true, commandStatus: result.status, bootId, at: new Date().toISOString() };
    }),
);
