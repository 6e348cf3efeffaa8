/**
 * ValidateInput: the whole contract is checked, defaults resolved and the name proven free before
 * anything is launched. Errors: InvalidInput, ZoneNotFound, HostnameTaken.
 */
import { createHash } from 'node:crypto';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ec2 } from './lib/clients/ec2';
import { ssm } from './lib/clients/ssm';
import { type CreateConfig, FQDN_TAG } from './lib/contract';
import { findZone, recordsAt } from './lib/dns';
import { requireEnv } from './lib/env';
import { HostnameTaken, InvalidInput } from './lib/errors';
import {
  assertReadableParameter,
  type CreateRequest,
  type Defaults,
  fqdnOf,
  parseCreateRequest,
  parseDefaults,
  readableParameterPaths,
  resolveLease,
} from './lib/input';
import { liveInstances } from './lib/instances';
import { instrument, logger } from './lib/logger';
import { choosePlacement } from './lib/placement';
import { DEFAULT_POLL_SECONDS } from './lib/poll';

export interface ValidateInputEvent {
  input: unknown;
  executionId: string;
}

/** Used where neither the execution input nor the stored defaults say otherwise. */
export const BUILT_IN_DEFAULTS = {
  imageParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  instanceType: 't3.micro',
  recordType: 'CNAME',
  ttl: 300,
  pollIntervalSeconds: DEFAULT_POLL_SECONDS,
} as const satisfies Defaults;

async function storedDefaults(): Promise<Defaults> {
  const name = requireEnv('DEFAULTS_PARAMETER');
  let text: string | undefined;
  try {
    text = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') return {};
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text ?? '{}');
  } catch {
    throw new InvalidInput('defaults', `the SSM parameter ${name} does not hold JSON`);
  }
  return parseDefaults(raw);
}

async function resolveImage(imageId: string | undefined, parameter: string): Promise<string> {
  if (imageId) return imageId;
  try {
    const value = (await ssm.send(new GetParameterCommand({ Name: parameter }))).Parameter?.Value;
    if (value) return value;
  } catch (error) {
    if ((error as Error).name !== 'ParameterNotFound') throw error;
  }
  throw new InvalidInput('imageParameter', `SSM parameter ${parameter} holds no AMI id`);
}

async function rootDeviceOf(imageId: string): Promise<{ rootDeviceName: string; rootVolumeSize?: number }> {
  try {
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    const rootDeviceName = image?.RootDeviceName;
    if (rootDeviceName) {
      const root = image.BlockDeviceMappings?.find((m) => m.DeviceName === rootDeviceName);
      return { rootDeviceName, rootVolumeSize: root?.Ebs?.VolumeSize };
    }
  } catch (error) {
    if (!/^InvalidAMIID\./.test((error as Error).name)) throw error;
  }
  throw new InvalidInput('imageId', `${imageId} is not an image this account can launch`);
}

export function clientTokenFor(executionId: string): string {
  return createHash('sha256').update(executionId).digest('hex').slice(0, 64);
}

/** The request over the stored defaults over the built-in ones; the lease is resolved apart (resolveLease). */
function merge(request: CreateRequest, stored: Defaults): { merged: CreateRequest; fromDefaults: string[] } {
  const merged: Record<string, unknown> = { ...BUILT_IN_DEFAULTS };
  const fromDefaults = new Set<string>(Object.keys(BUILT_IN_DEFAULTS));
  for (const [key, value] of Object.entries(stored)) {
    if (key === 'expiresIn') continue;
    merged[key] = value;
    fromDefaults.add(key);
  }
  for (const [key, value] of Object.entries(request)) {
    if (key === 'expiresIn' || key === 'expiresAt') continue;
    merged[key] = value;
    fromDefaults.delete(key);
  }
  merged.tags = { ...(stored.tags ?? {}), ...(request.tags ?? {}) };
  if (request.imageId === undefined && request.imageParameter !== undefined) delete merged.imageId;
  return { merged: merged as unknown as CreateRequest, fromDefaults: [...fromDefaults].sort() };
}

export const handler = instrument(async (event: ValidateInputEvent): Promise<{ config: CreateConfig }> => {
  const now = new Date();
  const request = parseCreateRequest(event.input, { now });
  const stored = await storedDefaults();
  const { merged, fromDefaults } = merge(request, stored);
  // Checked before any other AWS call: a lease past the deployment's longest is the input's fault.
  const lease = resolveLease(request, stored, now);
  if (lease?.from === 'defaults') fromDefaults.push('expiresAt');
  const fqdn = fqdnOf(merged.hostname, merged.dnsZone);

  const zone = await findZone(merged.dnsZone);
  const existing = await recordsAt(zone.id, fqdn);
  if (existing.length > 0) {
    throw new HostnameTaken(fqdn, `the zone already has a ${existing.map((r) => r.type).join('/')} record for it`);
  }
  const holders = await liveInstances([{ Name: `tag:${FQDN_TAG}`, Values: [fqdn] }]);
  if (holders.length > 0) {
    throw new HostnameTaken(fqdn, `live instance ${holders.map((i) => i.InstanceId).join(', ')} carries it`);
  }

  const imageParameter = merged.imageParameter ?? BUILT_IN_DEFAULTS.imageParameter;
  if (!merged.imageId) assertReadableParameter(imageParameter, readableParameterPaths());
  const imageId = await resolveImage(merged.imageId, imageParameter);
  const { rootDeviceName, rootVolumeSize } = await rootDeviceOf(imageId);
  const instanceType = merged.instanceType ?? BUILT_IN_DEFAULTS.instanceType;
  const placement = await choosePlacement(
    { instanceType, subnetId: merged.subnetId, subnetIds: merged.subnetIds },
    zone,
  );
  const subnetId = placement.subnetId;
  if (placement.chosen) fromDefaults.push('subnetId');

  const config: CreateConfig = {
    hostname: merged.hostname,
    dnsZone: merged.dnsZone,
    fqdn,
    zoneId: zone.id,
    privateZone: zone.privateZone,
    imageId,
    rootDeviceName,
    rootVolumeSize,
    instanceType,
    subnetId,
    keyName: merged.keyName,
    securityGroupIds: merged.securityGroupIds,
    tags: merged.tags ?? {},
    recordType: merged.recordType ?? BUILT_IN_DEFAULTS.recordType,
    ttl: merged.ttl ?? BUILT_IN_DEFAULTS.ttl,
    pollIntervalSeconds: merged.pollIntervalSeconds ?? BUILT_IN_DEFAULTS.pollIntervalSeconds,
    adminUser: merged.adminUser,
    sshPublicKey: merged.sshPublicKey,
    bootstrap: merged.bootstrap,
    expiresAt: lease?.expiresAt ?? null,
    clientToken: clientTokenFor(event.executionId),
    executionId: event.executionId,
    fromDefaults,
  };
  logger.info('input valid', { fqdn, zoneId: zone.id, imageId, subnetId, expiresAt: config.expiresAt, fromDefaults });
  return { config };
});
