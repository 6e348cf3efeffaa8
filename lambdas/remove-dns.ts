/**
 * RemoveDns: DELETE the record exactly as ResolveHost read it. If it is already gone, there is
 * nothing to wait for (empty change id); if it changed meanwhile, Route 53 refuses and so do we.
 */
import type { DestroyState } from './lib/contract';
import { removeRecord } from './lib/dns';
import { instrument, logger } from './lib/logger';

export const handler = instrument(async (state: DestroyState): Promise<{ changeId: string }> => {
  const { record, zoneId = '', fqdn = '' } = state.target;
  if (!record) return { changeId: '' };
  const changeId = await removeRecord(zoneId, record, `instance-lifecycle destroy ${fqdn}`);
  logger.info(changeId ? 'record deleted' : 'record already gone', { ...record, changeId });
  return { changeId };
});
