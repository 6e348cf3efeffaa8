/** WaitForDnsSync check: Route 53 GetChange until INSYNC (all name servers answer the change). */
import { GetChangeCommand } from '@aws-sdk/client-route-53';
import { route53 } from './lib/clients/route53';
import type { DnsSyncResult, PollEvent } from './lib/contract';
import { instrument } from './lib/logger';
import { pollCheck } from './lib/poll';

export interface DnsSyncEvent extends PollEvent<object> {
  /** Empty when there was nothing to change (a record already gone): done at once. */
  changeId: string;
}

export const handler = instrument(
  (event: DnsSyncEvent): Promise<DnsSyncResult> =>
    pollCheck<object, DnsSyncResult>(event, async () => {
      if (!event.changeId) return { done: true, changeStatus: 'NONE', at: new Date().toISOString() };
      const out = await route53.send(new GetChangeCommand({ Id: event.changeId }));
      const changeStatus = out.ChangeInfo?.Status ?? 'PENDING';
      return changeStatus === 'INSYNC'
        ? { done: true, changeStatus, at: new Date().toISOString() }
        : { done: false, changeStatus };
    }),
);
