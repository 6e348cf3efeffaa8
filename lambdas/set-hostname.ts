/**
 * SetHostname: once cloud-init has finished the user data, hostnamectl + cloud-init
 * preserve_hostname + an /etc/hosts line, through SSM Run Command (no SSH).
 */
import { SET_HOSTNAME_TIMEOUT_SECONDS, setHostnameScript } from './lib/commands';
import type { CommandStarted, CreateState } from './lib/contract';
import { instrument, logger } from './lib/logger';
import { sendScript } from './lib/run-command';

export const handler = instrument(async (state: CreateState): Promise<CommandStarted> => {
  const { config } = state;
  const instanceId = state.instance?.instanceId ?? '';
  const script = setHostnameScript(config.fqdn, config.hostname, state.running?.privateIp ?? '127.0.1.1');
  const commandId = await sendScript(
    instanceId,
    script,
    `instance-lifecycle set hostname ${config.fqdn}`,
    SET_HOSTNAME_TIMEOUT_SECONDS,
  );
  logger.info('command sent', { instanceId, commandId });
  return { commandId, instanceId };
});
