import { readFileSync } from 'node:fs';
import { InvalidInput } from '../../lambdas/lib/errors';
import {
  parseCreateRequest,
  parseDestroyRequest,
  parseDuration,
  parseFleetRequest,
  parseHostname,
  parseUtcTime,
  parseZone,
} from '../../lambdas/lib/input';
import type { CreateOptions, DestroyOptions, ExtendOptions, RunOptions } from './program';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function readInputFile(file: string | undefined): Record<string, unknown> {
  if (!file) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--input ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--input ${file}: the execution input must be a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function compact(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}

function tagsOf(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new UsageError(`--tag ${pair}: expected key=value`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

/** --bootstrap-command lines, or --bootstrap-document with its --bootstrap-parameter KEY=VALUE pairs. */
function bootstrapOf(o: CreateOptions): Record<string, unknown> | undefined {
  const commands = o.bootstrapCommand;
  const document = o.bootstrapDocument;
  const pairs = o.bootstrapParameter;
  if (pairs && !document) throw new UsageError('--bootstrap-parameter goes with --bootstrap-document');
  if (commands) return { commands };
  if (!document) return undefined;
  const parameters: Record<string, string[]> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--bootstrap-parameter ${pair}: expected KEY=VALUE`);
    const key = pair.slice(0, eq);
    parameters[key] = [...(parameters[key] ?? []), pair.slice(eq + 1)];
  }
  return { document, parameters };
}

/** The create execution input: --input's JSON, then each flag over it. */
export function createInput(o: CreateOptions): Record<string, unknown> {
  const fromFile = readInputFile(o.input);
  const tags = tagsOf(o.tag);
  return compact({
    ...fromFile,
    ...compact({
      hostname: o.hostname,
      hostnames: o.hostnames,
      dnsZone: o.zone,
      imageId: o.imageId,
      imageParameter: o.imageParameter,
      instanceType: o.instanceType,
      subnetId: o.subnetId,
      keyName: o.keyName,
      securityGroupIds: o.securityGroupIds,
      tags: tags ? { ...((fromFile.tags as Record<string, string>) ?? {}), ...tags } : undefined,
      recordType: o.recordType,
      ttl: o.ttl,
      pollIntervalSeconds: o.pollInterval,
      adminUser: o.adminUser,
      sshPublicKey: o.sshPublicKey,
      bootstrap: bootstrapOf(o),
      expiresIn: o.expiresIn,
      expiresAt: o.expiresAt,
    }),
  });
}

export function destroyInput(o: DestroyOptions): Record<string, unknown> {
  return compact({
    ...readInputFile(o.input),
    ...compact({
      hostname: o.hostname,
      hostnames: o.hostnames,
      dnsZone: o.zone,
      instanceId: o.instanceId,
      force: o.force,
      pollIntervalSeconds: o.pollInterval,
    }),
  });
}

/** Flags that only make sense in one of the two modes. */
function checkMode(o: RunOptions): void {
  if (o.local) {
    if (o.wait === false || o.stateMachineArn || o.stackName) {
      throw new UsageError('--no-wait, --state-machine-arn and --stack-name go with a deployed stack, not --local');
    }
  } else if (o.verbose || o.guests) {
    throw new UsageError('--verbose and --guests go with --local');
  }
}

/**
 * The execution input of create or destroy, checked by the workflow's own parser: a mistake is
 * refused here, before any AWS call, instead of becoming a started, failed (and billed) execution.
 * Only what needs AWS is left to the workflow: the zone, the image, the name being free, and
 * which SSM documents the deployment allows.
 */
export function checkedInput(action: 'create' | 'destroy', o: CreateOptions | DestroyOptions): Record<string, unknown> {
  checkMode(o);
  const input = action === 'create' ? createInput(o as CreateOptions) : destroyInput(o as DestroyOptions);
  if (input.hostname === undefined && input.hostnames === undefined && input.instanceId === undefined) {
    throw new UsageError(
      action === 'create'
        ? 'give --hostname NAME or --hostnames A,B,... (or hostname in --input)'
        : 'give --hostname NAME, --hostnames A,B,... or --instance-id ID (or them in --input)',
    );
  }
  try {
    if ('hostnames' in input) parseFleetRequest(input, action, { anyDocument: true });
    else if (action === 'create') parseCreateRequest(input, { anyDocument: true });
    else parseDestroyRequest(input);
  } catch (error) {
    if (error instanceof InvalidInput) throw new UsageError(`InvalidInput: ${error.message}`);
    throw error;
  }
  return input;
}

/** extend's arguments, checked before any AWS call: a host, its zone, and exactly one of --by and --to. */
export function checkedExtend(hostname: string, o: ExtendOptions): void {
  if (o.by === undefined && o.to === undefined) throw new UsageError('give --by DURATION or --to TIME');
  if (o.local && !o.endpoint) throw new UsageError('--local needs --endpoint URL: the emulator the host is on');
  try {
    parseHostname(hostname, 'hostname');
    parseZone(o.zone, '--zone');
    if (o.by !== undefined) parseDuration(o.by, '--by');
    if (o.to !== undefined) parseUtcTime(o.to, '--to');
  } catch (error) {
    if (error instanceof InvalidInput) throw new UsageError(error.message);
    throw error;
  }
}
