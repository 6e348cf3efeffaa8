/**
 * RollBack: the create workflow's compensation, run on any failure after ValidateInput. It trusts
 * no partial state: it finds what this execution launched by its execution tag, removes the record
 * only if it points at one of those instances (never somebody else's), and terminates them.
 */
import type { CaughtError, CreateConfig } from './lib/contract';
import { instrument, logger } from './lib/logger';
import { type Undone, undoExecution } from './lib/undo';

export interface RollBackEvent {
  config: CreateConfig;
  error: CaughtError;
}

export type RollBackResult = Undone;

export const handler = instrument(async (event: RollBackEvent): Promise<RollBackResult> => {
  const { config } = event;
  const undone = await undoExecution(config.executionId, { zoneId: config.zoneId, fqdn: config.fqdn });
  logger.info('rolled back', { error: event.error.Error, ...undone });
  return undone;
});
