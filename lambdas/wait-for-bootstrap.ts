/** WaitForBootstrap check: GetCommandInvocation of the bootstrap command; its output goes to the result. */
import type { BootstrapResult, CreateState, PollEvent } from './lib/contract';
import { BootstrapFailed } from './lib/errors';
import { instrument } from './lib/logger';
import { pollCheck } from './lib/poll';
import { invocation, isRunning } from './lib/run-command';

const tail = (text: string) => text.slice(-2000);

export const handler = instrument(
  (event: PollEvent<CreateState>): Promise<BootstrapResult> =>
    pollCheck<CreateState, BootstrapResult>(event, async (state) => {
      const { commandId = '', instanceId = '' } = state.bootstrapCommand ?? {};
      const result = await invocation(commandId, instanceId);
      if (isRunning(result.status)) return { done: false, commandId, commandStatus: result.status };
      if (result.status !== 'Success')
        throw new BootstrapFailed(commandId, result.status, tail(result.stderr).slice(-500));
      return {
        done: true,
        commandId,
        commandStatus: result.status,
        output: tail(result.stdout),
        errorOutput: tail(result.stderr),
        at: new Date().toISOString(),
      };
    }),
);
