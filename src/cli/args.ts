import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where a command reaches the deployed stack. */
const TARGET = {
  'stack-name': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  endpoint: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const COMMON = {
  ...TARGET,
  local: { type: 'boolean' },
  guests: { type: 'string' },
  input: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'state-machine-arn': { type: 'string' },
  'no-wait': { type: 'boolean' },
} as const;

export const STATUS_OPTIONS = {
  region: { type: 'string' },
  profile: { type: 'string' },
  endpoint: { type: 'string' },
  json: { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const LIST_OPTIONS = { ...TARGET, max: { type: 'string' }, json: { type: 'boolean' } } as const;

export const LOGS_OPTIONS = TARGET;

export const DEFAULTS_OPTIONS = { ...TARGET, local: { type: 'boolean' } } as const;

export const CREATE_OPTIONS = {
  ...COMMON,
  hostname: { type: 'string' },
  hostnames: { type: 'string' },
  zone: { type: 'string' },
  'image-id': { type: 'string' },
  'image-parameter': { type: 'string' },
  'instance-type': { type: 'string' },
  'subnet-id': { type: 'string' },
  'key-name': { type: 'string' },
  'security-group-ids': { type: 'string' },
  tag: { type: 'string', multiple: true },
  'record-type': { type: 'string' },
  ttl: { type: 'string' },
  'poll-interval': { type: 'string' },
  'admin-user': { type: 'string' },
  'ssh-public-key': { type: 'string' },
  'bootstrap-command': { type: 'string', multiple: true },
  'bootstrap-document': { type: 'string' },
  'bootstrap-parameter': { type: 'string', multiple: true },
} as const;

export const DESTROY_OPTIONS = {
  ...COMMON,
  hostname: { type: 'string' },
  hostnames: { type: 'string' },
  zone: { type: 'string' },
  'instance-id': { type: 'string' },
  force: { type: 'boolean' },
  'poll-interval': { type: 'string' },
} as const;

export const EMULATOR_OPTIONS = {
  port: { type: 'string' },
  guests: { type: 'string' },
  zone: { type: 'string', multiple: true },
  timings: { type: 'string' },
  'no-stack': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const DEMO_OPTIONS = {
  guests: { type: 'string' },
  hostname: { type: 'string', default: 'web1' },
  zone: { type: 'string', default: 'example.internal' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Options = Parameters<typeof parseArgs>[0] extends infer C ? (C extends { options?: infer O } ? O : never) : never;

export function parse<O extends Options>(argv: string[], options: O) {
  return parseWithPositionals(argv, options, 0).values;
}

/** Flags and up to `positionals` bare arguments (an execution ARN, `get`, `KEY=VALUE`…). */
export function parseWithPositionals<O extends Options>(argv: string[], options: O, positionals: number) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument '${parsed.positionals[positionals]}'`);
  }
  return parsed;
}

/** Numbers stay numbers; anything else is passed on as given, for the workflow to name the field. */
function numberish(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^-?\d+$/.test(value) ? Number(value) : value;
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

function listOf(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim());
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

type CreateValues = ReturnType<typeof parse<typeof CREATE_OPTIONS>>;

/** --bootstrap-command lines, or --bootstrap-document with its --bootstrap-parameter KEY=VALUE pairs. */
function bootstrapOf(v: CreateValues): Record<string, unknown> | undefined {
  const commands = v['bootstrap-command'] as string[] | undefined;
  const document = v['bootstrap-document'] as string | undefined;
  const pairs = v['bootstrap-parameter'] as string[] | undefined;
  if (commands && document) throw new UsageError('give --bootstrap-command or --bootstrap-document, not both');
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
type DestroyValues = ReturnType<typeof parse<typeof DESTROY_OPTIONS>>;

/** The create execution input: --input's JSON, then each flag over it. */
export function createInput(v: CreateValues): Record<string, unknown> {
  const fromFile = readInputFile(v.input);
  const tags = tagsOf(v.tag as string[] | undefined);
  return compact({
    ...fromFile,
    ...compact({
      hostname: v.hostname,
      hostnames: listOf(v.hostnames as string | undefined),
      dnsZone: v.zone,
      imageId: v['image-id'],
      imageParameter: v['image-parameter'],
      instanceType: v['instance-type'],
      subnetId: v['subnet-id'],
      keyName: v['key-name'],
      securityGroupIds: listOf(v['security-group-ids'] as string | undefined),
      tags: tags ? { ...((fromFile.tags as Record<string, string>) ?? {}), ...tags } : undefined,
      recordType: v['record-type'],
      ttl: numberish(v.ttl as string | undefined),
      pollIntervalSeconds: numberish(v['poll-interval'] as string | undefined),
      adminUser: v['admin-user'],
      sshPublicKey: v['ssh-public-key'],
      bootstrap: bootstrapOf(v),
    }),
  });
}

export function destroyInput(v: DestroyValues): Record<string, unknown> {
  return compact({
    ...readInputFile(v.input),
    ...compact({
      hostname: v.hostname,
      hostnames: listOf(v.hostnames as string | undefined),
      dnsZone: v.zone,
      instanceId: v['instance-id'],
      force: v.force,
      pollIntervalSeconds: numberish(v['poll-interval'] as string | undefined),
    }),
  });
}

export type GuestMode = 'simulated' | 'container';

/** --guests: the emulator's simulated guests (anywhere), or real ones booted as containers (Linux, root). */
export function timingsOf(value: unknown): 'fast' | 'deployed' {
  if (value === undefined) return 'fast';
  if (value === 'fast' || value === 'deployed') return value;
  throw new UsageError(`--timings ${value}: say fast or deployed`);
}

export function guestMode(value: unknown): GuestMode {
  if (value === undefined) return 'simulated';
  if (value === 'simulated' || value === 'container') return value;
  throw new UsageError(`--guests ${value}: say simulated or container`);
}
