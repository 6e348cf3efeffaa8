/**
 * WaitForHostname check: GetCommandInvocation of the set-hostname command, which first waits for
 * cloud-init to finish the user data. Keeps the boot id it read: the reboot must change it.
 */
import { CLOUD_INIT_WAIT_SECONDS, parseReport } from './lib/commands';
import type { CreateState, HostnameResult, PollEvent } from './lib/contract';
import { CommandFailed, UserDataFailed } from './lib/errors';
import { instrument } from './lib/logger';
import { pollCheck } from './lib/poll';
import { invocation, isRunning } from './lib/run-command';

export const handler = instrument(
  (event: PollEvent<CreateState>): Promise<HostnameResult> =>
    pollCheck<CreateState, HostnameResult>(event, async (state) => {
      const { commandId = '', instanceId = '' } = state.hostnameCommand ?? {};
      const result = await invocation(commandId, instanceId);
      if (isRunning(result.status)) return { done: false, commandStatus: result.status };
      const report = parseReport(result.stdout);
      if (report.cloudInit === '124') {
        throw new UserDataFailed(instanceId, `cloud-init was still running after ${CLOUD_INIT_WAIT_SECONDS} s`);
      }
      if (report.cloudInit === '1') throw new UserDataFailed(instanceId, `cloud-init: ${result.stderr.slice(-500)}`);
      if (result.status !== 'Success') throw new CommandFailed(commandId, result.status, result.stderr.slice(-500));
      // Without the boot id before the reboot, the reboot could not be proven later: fail now.
      if (!report.bootId) throw new CommandFailed(commandId, result.status, 'the script reported no boot id');
      return { done: true, commandStatus: result.status, bootId: report.bootId, at: new Date().toISOString() };
    }),
);
