/**
 * ResolveHost: what destroy has to remove. By hostname, the record leads to the instance (its
 * private DNS name or IP), with the fqdn tag as a fallback; by instanceId, the fqdn tag leads to the
 * record; by both (what a lease's schedule starts), the instance must still carry that hostname.
 * Partial states (only a record, only an instance) are returned for cleaning; nothing at all is
 * HostNotFound. An instance not launched by instance-lifecycle is refused without `force`.
 */
import type { Instance } from '@aws-sdk/client-ec2';
import { type DestroyTarget, FQDN_TAG, MANAGED_BY_TAG } from './lib/contract';
import { type DnsRecord, findZone, hostRecord } from './lib/dns';
import { HostNotFound, InvalidInput, NotManaged } from './lib/errors';
import { type DestroyRequest, fqdnOf, parseDestroyRequest } from './lib/input';
import { describeInstance, isManaged, LIVE_STATES, liveInstances, tagOf } from './lib/instances';
import { instrument, logger } from './lib/logger';
import { DEFAULT_POLL_SECONDS } from './lib/poll';

export interface ResolveHostEvent {
  input: unknown;
  executionId: string;
}

async function instancesBehind(record: DnsRecord): Promise<Instance[]> {
  const name = record.type === 'A' ? 'private-ip-address' : 'private-dns-name';
  const values = record.values.map((v) => v.replace(/\.$/, ''));
  return liveInstances([{ Name: name, Values: values }]);
}

async function byHostname(
  request: DestroyRequest,
): Promise<Omit<DestroyTarget, 'pollIntervalSeconds' | 'force' | 'executionId'>> {
  const fqdn = fqdnOf(request.hostname ?? '', request.dnsZone ?? '');
  const zone = await findZone(request.dnsZone ?? '');
  const record = await hostRecord(zone.id, fqdn);
  const candidates = record ? await instancesBehind(record) : [];
  if (candidates.length === 0) candidates.push(...(await liveInstances([{ Name: `tag:${FQDN_TAG}`, Values: [fqdn] }])));
  if (candidates.length > 1) {
    const ids = candidates.map((i) => i.InstanceId).join(', ');
    throw new InvalidInput('hostname', `${fqdn} leads to several live instances (${ids}); destroy by instanceId`);
  }
  const instance = candidates[0];
  if (!record && !instance) throw new HostNotFound(fqdn);
  return { fqdn, zoneId: zone.id, record, instanceId: instance?.InstanceId, instanceState: instance?.State?.Name };
}

async function byInstanceId(
  request: DestroyRequest,
): Promise<Omit<DestroyTarget, 'pollIntervalSeconds' | 'force' | 'executionId'>> {
  const instanceId = request.instanceId ?? '';
  const instance = await describeInstance(instanceId);
  const state = instance?.State?.Name ?? 'terminated';
  if (!instance || !LIVE_STATES.includes(state)) throw new HostNotFound(instanceId);
  const fqdn = tagOf(instance, FQDN_TAG);
  // With a hostname too (a lease's destroy), the instance must still be that host.
  if (request.hostname !== undefined) {
    const expected = fqdnOf(request.hostname, request.dnsZone ?? '');
    if (fqdn !== expected) {
      throw new InvalidInput(
        'instanceId',
        `${instanceId} is not ${expected}: its ${FQDN_TAG} tag is ${fqdn ?? 'absent'}`,
      );
    }
  }
  if (!fqdn) return { instanceId, instanceState: state };
  const zone = await findZone(request.dnsZone ?? fqdn.slice(fqdn.indexOf('.') + 1)).catch(() => undefined);
  const record = zone ? await hostRecord(zone.id, fqdn) : undefined;
  const pointsHere = record?.values.some((v) =>
    [instance.PrivateDnsName, instance.PrivateIpAddress].includes(v.replace(/\.$/, '')),
  );
  return { fqdn, zoneId: zone?.id, instanceId, instanceState: state, record: pointsHere ? record : undefined };
}

export const handler = instrument(async (event: ResolveHostEvent): Promise<DestroyTarget> => {
  const request = parseDestroyRequest(event.input);
  if (request.force && process.env.ALLOW_FORCE !== 'true') {
    throw new InvalidInput(
      'force',
      'this deployment does not allow destroying unmanaged instances (allowForceDestroy)',
    );
  }
  const found = request.instanceId ? await byInstanceId(request) : await byHostname(request);
  if (found.instanceId) {
    const instance = await describeInstance(found.instanceId);
    if (instance && !isManaged(instance) && !request.force) throw new NotManaged(found.instanceId, MANAGED_BY_TAG);
  }
  const target: DestroyTarget = {
    ...found,
    pollIntervalSeconds: request.pollIntervalSeconds ?? DEFAULT_POLL_SECONDS,
    force: request.force,
    executionId: event.executionId,
  };
  logger.info('target resolved', { ...target });
  return target;
});
