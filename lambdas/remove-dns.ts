/**
 * RemoveDns: DELETE the record exactly as ResolveHost read it. If it is already gone, there is
 * nothing to wait for (empty change id); if it changed meanwhile, Route 53 refuses and so do we.
 */
import type { DestroyState } from './lib/contract';
import { deleteRecord, hostRecord } from './lib/dns';
import { DnsChangeRejected } from './lib/errors';
import { log } from './lib/log';

export const handler = async (state: DestroyState): Promise<{ changeId: string }> => {
  const { record, zoneId = '', fqdn = '' } = state.target;
  if (!record) return { changeId: '' };
  try {
    const changeId = await deleteRecord(zoneId, record, `instance-lifecycle destroy ${fqdn}`);
    log({ step: 'RemoveDns' }, 'record deleted', { ...record, changeId });
    return { changeId };
  } catch (error) {
    if ((error as Error).name !== 'InvalidChangeBatch') throw error;
    if (!(await hostRecord(zoneId, fqdn))) return { changeId: '' };
    throw new DnsChangeRejected(`${fqdn} changed since it was read; rerun destroy: ${(error as Error).message}`);
  }
};
