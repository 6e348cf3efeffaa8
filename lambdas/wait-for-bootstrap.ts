/**
 * WaitForBootstrap check: the bootstrap command's status, then every step of its document (an
 * operator's own document may have several), with each step's status and the tail of its output.
 */
import type { BootstrapResult, CreateState, PollEvent } from './lib/contract';
import { BootstrapFailed } from './lib/errors';
import { instrument } from './lib/logger';
import { pollCheck } from './lib/poll';
import { commandSteps, isRunning } from './lib/run-command';

const tail = (text: string, chars: number) => text.slice(-chars);

export const handler = instrument(
  (event: PollEvent<CreateState>): Promise<BootstrapResult> =>
    pollCheck<CreateState, BootstrapResult>(event, async (state) => {
      const { commandId = '', instanceId = '' } = state.bootstrapCommand ?? {};
      const { status, steps } = await commandSteps(commandId, instanceId);
      if (isRunning(status)) return { done: false, commandId, commandStatus: status };
      const failed = steps.find((s) => s.status !== 'Success');
      if (status !== 'Success' || failed) {
        const detail = failed ? `step ${failed.name} ended ${failed.status}: ${tail(failed.stderr, 500)}` : '';
        throw new BootstrapFailed(commandId, status, detail);
      }
      const last = steps[steps.length - 1];
      return {
        done: true,
        commandId,
        commandStatus: status,
        output: tail(last?.stdout ?? '', 2000),
        errorOutput: tail(last?.stderr ?? '', 2000),
        steps: steps.map((s) => ({
          name: s.name,
          status: s.status,
          output: tail(s.stdout, 1000),
          errorOutput: tail(s.stderr, 500),
        })),
        at: new Date().toISOString(),
      };
    }),
);
