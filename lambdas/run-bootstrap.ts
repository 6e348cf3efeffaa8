/**
 * RunBootstrap: after the verified reboot, the operator's post-boot commands (AWS-RunShellScript)
 * or SSM document (one the deployment allows) on the new instance.
 */
import type { CommandStarted, CreateState } from './lib/contract';
import { instrument, logger } from './lib/logger';
import { sendDocument, sendScript } from './lib/run-command';

const DEFAULT_TIMEOUT_SECONDS = 600;

export const handler = instrument(async (state: CreateState): Promise<CommandStarted> => {
  const { config } = state;
  const instanceId = state.instance?.instanceId ?? '';
  const bootstrap = config.bootstrap;
  if (!bootstrap) throw new Error('RunBootstrap ran without a bootstrap in the config');
  const timeout = bootstrap.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const comment = `instance-lifecycle bootstrap ${config.fqdn}`;
  const commandId =
    'commands' in bootstrap
      ? await sendScript(instanceId, bootstrap.commands, comment, timeout)
      : await sendDocument(instanceId, bootstrap.document, bootstrap.parameters, comment);
  logger.info('bootstrap sent', {
    instanceId,
    commandId,
    ...('document' in bootstrap ? { document: bootstrap.document } : { commands: bootstrap.commands.length }),
  });
  return { commandId, instanceId };
});
