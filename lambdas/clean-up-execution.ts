/**
 * CleanUpExecution: what a create-vm execution left when it ended where no Catch could see it
 * (its state machine timeout, StopExecution, a fleet stopping its hosts, an error States.ALL does
 * not catch) or when its own roll-back failed. Started by the execution's status-change event; a
 * create whose roll-back finished leaves nothing, and this finds nothing.
 */
import { instrument, logger } from './lib/logger';
import { type Undone, undoExecution } from './lib/undo';

export interface CleanUpEvent {
  /** The create-vm execution that ended: its ARN is the lifecycle:execution tag it put on what it made. */
  executionId: string;
  status: string;
  error?: string;
}

export const handler = instrument(async (event: CleanUpEvent): Promise<Undone & { executionId: string }> => {
  const undone = await undoExecution(event.executionId);
  const left = undone.terminated.length > 0 || undone.removedRecord !== undefined || undone.removedLeases.length > 0;
  logger.info(left ? 'cleaned up after the execution' : 'the execution left nothing', {
    status: event.status,
    error: event.error,
    ...undone,
  });
  return { executionId: event.executionId, ...undone };
});
