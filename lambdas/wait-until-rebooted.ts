/**
 * WaitUntilRebooted check. Each call advances one step of: agent Online? → send a read-only probe →
 * probe done? → boot id changed, the hostname resolves to the fqdn and the static hostname is
 * the one set? A probe that still sees the old boot
 * id means the reboot has not happened yet: keep waiting. A new boot with the wrong hostname means
 * the hostname did not survive the reboot: RebootNotVerified.
 */
import { parseReport, probeScript, staticHostname } from './lib/commands';
import type { CreateState, PollEvent, RebootedResult } from './lib/contract';
import { RebootNotVerified } from './lib/errors';
import { instrument } from './lib/logger';
import { type CheckOutcome, pollCheck } from './lib/poll';
import { agentInfo, invocation, isRunning, sendScript } from './lib/run-command';

async function check(
  state: CreateState,
  previous: RebootedResult | undefined,
  commandSeconds: number | undefined,
): Promise<CheckOutcome<RebootedResult>> {
  const instanceId = state.instance?.instanceId ?? '';
  const bootBefore = state.hostnameResult?.bootId;
  if (previous?.probeCommandId) {
    const result = await invocation(previous.probeCommandId, instanceId);
    if (isRunning(result.status))
      return { done: false, probeCommandId: previous.probeCommandId, waitSeconds: commandSeconds };
    // A probe cut short by the reboot itself is expected: probe again once the agent is back.
    if (result.status !== 'Success') return { done: false };
    const { bootId, fqdn, staticHostname: found } = parseReport(result.stdout);
    if (!bootId || bootId === bootBefore) return { done: false, bootId };
    const { config } = state;
    if (fqdn !== config.fqdn) {
      throw new RebootNotVerified(
        `after the reboot the hostname resolves to ${fqdn ?? '(nothing)'}, not ${config.fqdn}`,
      );
    }
    const expected = staticHostname(config.fqdn, config.hostname);
    if (found !== expected) {
      throw new RebootNotVerified(`after the reboot the static hostname is ${found ?? '(empty)'}, not ${expected}`);
    }
    return { done: true, bootId, fqdn, staticHostname: found, at: new Date().toISOString() };
  }
  const info = await agentInfo(instanceId);
  if (info?.pingStatus !== 'Online') return { done: false };
  const probeCommandId = await sendScript(instanceId, probeScript(), 'instance-lifecycle reboot check');
  // The probe is a few seconds' work: look again then, not a whole poll interval later.
  return { done: false, probeCommandId, waitSeconds: commandSeconds };
}

export const handler = instrument(
  (event: PollEvent<CreateState>): Promise<RebootedResult> =>
    pollCheck<CreateState, RebootedResult>(event, (state, previous) => check(state, previous, event.commandSeconds)),
);
