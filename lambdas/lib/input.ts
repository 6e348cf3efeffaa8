/**
 * The public input contract, checked field by field. Pure functions: no AWS call here, so every rule
 * is unit-tested directly. Values that pass these checks are the only ones that reach a command line.
 */

import type { Bootstrap, RecordType } from './contract';
import { InvalidInput } from './errors';

/** Fields an operator may set per execution (and, except hostname/dnsZone, in the stored defaults). */
export interface CreateRequest {
  hostname: string;
  dnsZone: string;
  imageId?: string;
  imageParameter?: string;
  instanceType?: string;
  subnetId?: string;
  /** Subnets to choose from when subnetId is not given: the one with the most free addresses. */
  subnetIds?: string[];
  keyName?: string;
  securityGroupIds?: string[];
  tags?: Record<string, string>;
  recordType?: RecordType;
  ttl?: number;
  pollIntervalSeconds?: number;
  adminUser?: string;
  sshPublicKey?: string;
  bootstrap?: Bootstrap;
  /** A lease: the host is destroyed this long after the create starts (`30m`, `4h`, `2d`). */
  expiresIn?: string;
  /** A lease: the host is destroyed at this UTC time (ISO 8601, normalised to whole seconds). */
  expiresAt?: string;
}

/** In the stored defaults `expiresIn` is the longest lease a create may ask for (see resolveLease). */
export type Defaults = Omit<CreateRequest, 'hostname' | 'dnsZone' | 'expiresAt'> & { dnsZone?: string };

export interface DestroyRequest {
  hostname?: string;
  dnsZone?: string;
  instanceId?: string;
  force: boolean;
  pollIntervalSeconds?: number;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IMAGE_ID = /^ami-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const SSM_PARAMETER = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
const KEY_NAME = /^[A-Za-z0-9 ._\-@+=,]{1,255}$/;
const ADMIN_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SSH_PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._-]{1,100})?$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** Tags the product sets itself; an operator may not override them. */
const RESERVED_TAG = /^(Name|ManagedBy|lifecycle:.*|aws:.*)$/i;

const CREATE_FIELDS = [
  'hostname',
  'dnsZone',
  'imageId',
  'imageParameter',
  'instanceType',
  'subnetId',
  'subnetIds',
  'keyName',
  'securityGroupIds',
  'tags',
  'recordType',
  'ttl',
  'pollIntervalSeconds',
  'adminUser',
  'sshPublicKey',
  'bootstrap',
  'expiresIn',
  'expiresAt',
] as const;
/** An absolute expiry makes no sense as a default: the defaults hold the longest lease, `expiresIn`. */
const DEFAULT_FIELDS = CREATE_FIELDS.filter((f) => f !== 'hostname' && f !== 'expiresAt');
const DESTROY_FIELDS = ['hostname', 'dnsZone', 'instanceId', 'force', 'pollIntervalSeconds'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknown(raw: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      throw new InvalidInput(key, `unknown field in ${where}; allowed: ${allowed.join(', ')}`);
    }
  }
}

function str(raw: Record<string, unknown>, field: string, pattern: RegExp, what: string): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidInput(field, `must be a string, got ${typeof value}`);
  if (!pattern.test(value)) throw new InvalidInput(field, `${JSON.stringify(value)} is not ${what}`);
  return value;
}

function int(raw: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInput(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * One DNS label as RFC 1123 allows it: letters, digits, inner hyphens, 1 to 63 characters.
 * Upper case is folded to lower case (DNS names are case-insensitive); nothing else is rewritten.
 */
export function parseHostname(value: unknown, field = 'hostname'): string {
  if (typeof value !== 'string') throw new InvalidInput(field, 'is required and must be a string');
  if (value.length === 0) throw new InvalidInput(field, 'must not be empty');
  if (value.length > 63) throw new InvalidInput(field, `is ${value.length} characters; a DNS label has at most 63`);
  const label = value.toLowerCase();
  if (!LABEL.test(label)) {
    throw new InvalidInput(
      field,
      `${JSON.stringify(value)} is not a DNS label (letters, digits and inner hyphens only, RFC 1123)`,
    );
  }
  return label;
}

/** A hosted zone name: dot-separated RFC 1123 labels; one trailing dot and upper case are normalised. */
export function parseZone(value: unknown, field = 'dnsZone'): string {
  if (typeof value !== 'string') throw new InvalidInput(field, 'is required and must be a string');
  const zone = value.toLowerCase().replace(/\.$/, '');
  if (zone.length === 0) throw new InvalidInput(field, 'must not be empty');
  if (zone.length > 253) throw new InvalidInput(field, `is ${zone.length} characters; a DNS name has at most 253`);
  const labels = zone.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    throw new InvalidInput(field, `${JSON.stringify(value)} is not a DNS zone name such as example.internal`);
  }
  return zone;
}

export function fqdnOf(hostname: string, zone: string): string {
  const fqdn = `${hostname}.${zone}`;
  if (fqdn.length > 253) throw new InvalidInput('hostname', `${fqdn} is longer than 253 characters`);
  return fqdn;
}

function parseTags(raw: Record<string, unknown>): Record<string, string> | undefined {
  const value = raw.tags;
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new InvalidInput('tags', 'must be an object of string keys to string values');
  const entries = Object.entries(value);
  if (entries.length > 40) throw new InvalidInput('tags', `has ${entries.length} tags; at most 40`);
  const tags: Record<string, string> = {};
  for (const [key, tagValue] of entries) {
    if (!TAG_KEY.test(key)) throw new InvalidInput(`tags.${key}`, 'is not a valid EC2 tag key');
    if (RESERVED_TAG.test(key)) throw new InvalidInput(`tags.${key}`, 'is set by instance-lifecycle itself');
    if (typeof tagValue !== 'string' || !TAG_VALUE.test(tagValue)) {
      throw new InvalidInput(`tags.${key}`, 'must be a string of at most 256 letters, digits, spaces or _.:/=+-@');
    }
    tags[key] = tagValue;
  }
  return tags;
}

/** A list of 1 to `max` ids matching `pattern`. */
function idList(raw: Record<string, unknown>, field: string, pattern: RegExp, max: number, what: string) {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > max) {
    throw new InvalidInput(field, `must be a list of 1 to ${max} ${what}s`);
  }
  return value.map((id, i) => {
    if (typeof id !== 'string' || !pattern.test(id)) {
      throw new InvalidInput(`${field}[${i}]`, `${JSON.stringify(id)} is not a ${what}`);
    }
    return id;
  });
}

function parseSecurityGroups(raw: Record<string, unknown>): string[] | undefined {
  return idList(raw, 'securityGroupIds', SECURITY_GROUP_ID, 5, 'security group id (sg-…)');
}

/**
 * The most a bootstrap may carry, commands or document parameters: SSM's own limit for a document
 * (64 KB). It also keeps a fleet's shared input, which every state of the fleet carries once, well
 * inside Step Functions' 256 KiB payload limit.
 */
export const BOOTSTRAP_MAX_CHARS = 65_536;

function withinBootstrapSize(field: string, values: string[]): void {
  const chars = values.reduce((n, v) => n + v.length + 1, 0);
  if (chars > BOOTSTRAP_MAX_CHARS) {
    throw new InvalidInput(field, `are ${chars} characters in all; a bootstrap carries at most ${BOOTSTRAP_MAX_CHARS}`);
  }
}

/** The longest a bootstrap may run (its `timeoutSeconds`): WaitForBootstrap's bound follows from it. */
export const BOOTSTRAP_MAX_TIMEOUT_SECONDS = 1800;

const DOCUMENT_NAME = /^[A-Za-z0-9_.-]{3,128}$/;
const PARAMETER_NAME = /^[A-Za-z0-9_]{1,64}$/;

/** The document names a deployment lets bootstrap run, besides plain commands (BOOTSTRAP_DOCUMENTS). */
export function allowedDocuments(): string[] {
  return (process.env.BOOTSTRAP_DOCUMENTS ?? '').split(',').filter(Boolean);
}

/**
 * Post-boot bootstrap: shell commands (run as root through AWS-RunShellScript, as the operator
 * wrote them: they are the operator's own script, never built from other input) or an SSM document
 * the deployment allows, with its parameters.
 */
function parseBootstrap(raw: Record<string, unknown>, options: ParseOptions): Bootstrap | undefined {
  const value = raw.bootstrap;
  if (value === undefined || value === null) return undefined;
  if (!isObject(value))
    throw new InvalidInput('bootstrap', 'must be {"commands": [...]} or {"document": "...", "parameters": {...}}');
  refuseUnknown(value, ['commands', 'document', 'parameters', 'timeoutSeconds'], 'bootstrap');
  const timeoutSeconds = int(value, 'timeoutSeconds', 30, BOOTSTRAP_MAX_TIMEOUT_SECONDS);
  const field = (f: string) => `bootstrap.${f}`;
  if (value.commands !== undefined) {
    if (value.document !== undefined || value.parameters !== undefined) {
      throw new InvalidInput('bootstrap', 'give either commands or a document, not both');
    }
    const commands = value.commands;
    if (!Array.isArray(commands) || commands.length === 0 || commands.length > 100) {
      throw new InvalidInput(field('commands'), 'must be a list of 1 to 100 shell command lines');
    }
    commands.forEach((line, i) => {
      if (typeof line !== 'string' || line.length === 0 || line.length > 4096 || line.includes('\0')) {
        throw new InvalidInput(`${field('commands')}[${i}]`, 'must be a non-empty line of at most 4096 characters');
      }
    });
    withinBootstrapSize(field('commands'), commands as string[]);
    return { commands: commands as string[], timeoutSeconds };
  }
  const document = value.document;
  if (typeof document !== 'string' || !DOCUMENT_NAME.test(document)) {
    throw new InvalidInput(field('document'), 'must be an SSM document name, or give commands instead');
  }
  if (!options.anyDocument && !allowedDocuments().includes(document)) {
    throw new InvalidInput(
      field('document'),
      `${document} is not one this deployment allows (bootstrapDocuments: ${allowedDocuments().join(', ') || 'none'})`,
    );
  }
  const parameters: Record<string, string[]> = {};
  if (value.parameters !== undefined) {
    if (!isObject(value.parameters)) throw new InvalidInput(field('parameters'), 'must be an object');
    for (const [name, given] of Object.entries(value.parameters)) {
      const list = Array.isArray(given) ? given : [given];
      if (!PARAMETER_NAME.test(name) || !list.every((v) => typeof v === 'string' && v.length <= 4096)) {
        throw new InvalidInput(`${field('parameters')}.${name}`, 'must be a string or a list of strings');
      }
      parameters[name] = list as string[];
    }
  }
  withinBootstrapSize(field('parameters'), Object.values(parameters).flat());
  return { document, parameters, timeoutSeconds };
}

function parseRecordType(raw: Record<string, unknown>): RecordType | undefined {
  const value = raw.recordType;
  if (value === undefined || value === null) return undefined;
  if (value !== 'CNAME' && value !== 'A') {
    throw new InvalidInput('recordType', `must be "CNAME" or "A", got ${JSON.stringify(value)}`);
  }
  return value;
}

/** How much of the contract can be checked where the parser runs. */
export interface ParseOptions {
  /**
   * Accept any well-formed SSM document name: which documents a deployment allows is known to its
   * Lambdas (BOOTSTRAP_DOCUMENTS), not to a CLI checking the input before it starts an execution.
   */
  anyDocument?: boolean;
  /** When the input is checked: an `expiresAt` must be after it. @default the current time */
  now?: Date;
}

/**
 * Leases. A create may name when its host goes: `expiresIn` (a duration, counted from the moment
 * ValidateInput accepts the create, that is about when the execution starts, however long the create then
 * takes) or `expiresAt` (a UTC time), not both. The workflow turns either into one UTC time, to the
 * second: the instance's `lifecycle:expiresAt` tag and a one-time EventBridge Scheduler schedule
 * that starts destroy-vm for that instance then (lambdas/lib/lease.ts).
 *
 * `expiresIn` in the stored defaults is the deployment's longest lease: a create asking for a later
 * expiry is InvalidInput naming both, and a create naming no lease gets exactly that longest one.
 * Without it in the defaults, a create naming no lease gets none and lives until it is destroyed.
 */

/** The shortest lease: a host must outlive a typical create (minutes) and the Scheduler's minute granularity. */
export const LEASE_MIN_SECONDS = 15 * 60;
/** The longest lease: a year. Longer is a typo (`4000d`), not a lease. */
export const LEASE_MAX_SECONDS = 365 * 24 * 3600;

const DURATION = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?$/;
const UTC_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?Z$/;

/**
 * A duration as an operator writes it, in seconds: days, hours and minutes in that order, each
 * optional but not all (`30m`, `4h`, `2d`, `1d12h`, `1h30m`). What the CLI's `--by` takes too.
 */
export function parseDuration(value: unknown, field = 'expiresIn'): number {
  const match = typeof value === 'string' && value !== '' ? DURATION.exec(value) : null;
  if (!match) {
    throw new InvalidInput(field, `${JSON.stringify(value)} is not a duration such as 30m, 4h, 2d or 1d12h`);
  }
  const [, days, hours, minutes] = match.map(Number);
  const seconds = ((days || 0) * 24 * 60 + (hours || 0) * 60 + (minutes || 0)) * 60;
  if (seconds === 0) throw new InvalidInput(field, 'must be longer than zero');
  return seconds;
}

/** Seconds as the shortest duration that says them (`2d`, `1d12h`, `90m` → `1h30m`). */
export function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const parts: Array<[number, string]> = [
    [Math.floor(minutes / 1440), 'd'],
    [Math.floor((minutes % 1440) / 60), 'h'],
    [minutes % 60, 'm'],
  ];
  return (
    parts
      .filter(([n]) => n > 0)
      .map(([n, unit]) => `${n}${unit}`)
      .join('') || '0m'
  );
}

/** A UTC time in ISO 8601 (`2026-12-01T18:00:00Z`, seconds and fractions optional), to the whole second. */
export function parseUtcTime(value: unknown, field = 'expiresAt'): Date {
  const match = typeof value === 'string' ? UTC_TIME.exec(value) : null;
  const [, y, mo, d, h, mi, sec] = (match ?? []).map(Number);
  const time = match ? new Date(Date.UTC(y, mo - 1, d, h, mi, sec || 0)) : undefined;
  // Date.UTC rolls 2026-02-30 over to March: a date that does not round-trip does not exist.
  if (!time || time.getUTCMonth() !== mo - 1 || time.getUTCDate() !== d || h > 23 || mi > 59 || (sec || 0) > 59) {
    throw new InvalidInput(
      field,
      `${JSON.stringify(value)} is not a UTC time in ISO 8601 such as 2026-12-01T18:00:00Z`,
    );
  }
  return time;
}

/** `2026-12-01T18:00:00Z`: the form the tag, the output and the CLI show an expiry in. */
export function formatUtcTime(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

/** A lease's length within the product's bounds, whatever the deployment's maximum; `what` leads the message. */
export function checkLeaseLength(field: string, seconds: number, what: string): void {
  if (seconds < LEASE_MIN_SECONDS) {
    throw new InvalidInput(field, `${what}; the shortest lease is ${formatDuration(LEASE_MIN_SECONDS)}`);
  }
  if (seconds > LEASE_MAX_SECONDS) {
    throw new InvalidInput(field, `${what}; the longest lease is ${formatDuration(LEASE_MAX_SECONDS)}`);
  }
}

function parseExpiresIn(raw: Record<string, unknown>): string | undefined {
  const value = raw.expiresIn;
  if (value === undefined || value === null) return undefined;
  const seconds = parseDuration(value);
  checkLeaseLength('expiresIn', seconds, `${value} is ${formatDuration(seconds)}`);
  return value as string;
}

function parseExpiresAt(raw: Record<string, unknown>, now: Date): string | undefined {
  const value = raw.expiresAt;
  if (value === undefined || value === null) return undefined;
  const time = parseUtcTime(value);
  const seconds = Math.floor((time.getTime() - now.getTime()) / 1000);
  if (seconds <= 0) throw new InvalidInput('expiresAt', `${value} is not in the future (now: ${formatUtcTime(now)})`);
  checkLeaseLength('expiresAt', seconds, `${value} is ${formatDuration(seconds)} from now`);
  return formatUtcTime(time);
}

/** What a create's lease resolves to, and where it came from. */
export interface Lease {
  /** The UTC time the host is destroyed at, to the second: `2026-12-01T18:00:00Z`. */
  expiresAt: string;
  /** `expiresIn` or `expiresAt` when the create asked; `defaults` when it got the deployment's longest. */
  from: 'expiresIn' | 'expiresAt' | 'defaults';
}

/**
 * The lease a create gets, given its request (parsed) and the stored defaults (parsed), at `now`
 * (when ValidateInput runs). The defaults' `expiresIn` is the longest lease: a request past it is
 * InvalidInput naming both; no request gets it. Neither: no lease (undefined).
 */
export function resolveLease(
  request: Pick<CreateRequest, 'expiresIn' | 'expiresAt'>,
  defaults: Pick<Defaults, 'expiresIn'>,
  now: Date,
): Lease | undefined {
  const max = defaults.expiresIn === undefined ? undefined : parseDuration(defaults.expiresIn);
  const limit = `the longest lease this deployment allows (expiresIn ${defaults.expiresIn} in the stored defaults)`;
  if (request.expiresIn !== undefined) {
    const seconds = parseDuration(request.expiresIn);
    if (max !== undefined && seconds > max) {
      throw new InvalidInput('expiresIn', `${request.expiresIn} is longer than ${limit}`);
    }
    return { expiresAt: formatUtcTime(new Date(now.getTime() + seconds * 1000)), from: 'expiresIn' };
  }
  if (request.expiresAt !== undefined) {
    const time = parseUtcTime(request.expiresAt);
    if (max !== undefined && time.getTime() > now.getTime() + max * 1000) {
      throw new InvalidInput('expiresAt', `${request.expiresAt} is later than ${limit} from now`);
    }
    return { expiresAt: formatUtcTime(time), from: 'expiresAt' };
  }
  if (max === undefined) return undefined;
  return { expiresAt: formatUtcTime(new Date(now.getTime() + max * 1000)), from: 'defaults' };
}

/** The fields create and the stored defaults share. */
function parseOptional(raw: Record<string, unknown>, options: ParseOptions = {}): Defaults {
  const parsed: Defaults = {
    imageId: str(raw, 'imageId', IMAGE_ID, 'an AMI id (ami-…)'),
    imageParameter: str(raw, 'imageParameter', SSM_PARAMETER, 'an SSM parameter path'),
    instanceType: str(raw, 'instanceType', INSTANCE_TYPE, 'an instance type such as t3.micro'),
    subnetId: str(raw, 'subnetId', SUBNET_ID, 'a subnet id (subnet-…)'),
    subnetIds: idList(raw, 'subnetIds', SUBNET_ID, 16, 'subnet id (subnet-…)'),
    keyName: str(raw, 'keyName', KEY_NAME, 'an EC2 key pair name'),
    securityGroupIds: parseSecurityGroups(raw),
    tags: parseTags(raw),
    recordType: parseRecordType(raw),
    ttl: int(raw, 'ttl', 1, 86400),
    pollIntervalSeconds: int(raw, 'pollIntervalSeconds', 0, 300),
    adminUser: str(raw, 'adminUser', ADMIN_USER, 'a Linux user name'),
    sshPublicKey: str(raw, 'sshPublicKey', SSH_PUBLIC_KEY, 'one OpenSSH public key line'),
    bootstrap: parseBootstrap(raw, options),
    expiresIn: parseExpiresIn(raw),
  };
  if (parsed.adminUser && !parsed.sshPublicKey) {
    throw new InvalidInput('sshPublicKey', 'is required with adminUser: the admin user logs in with that key');
  }
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined)) as Defaults;
}

/** A create's input, checked at `options.now` (an `expiresAt` must be after it). */
export function parseCreateRequest(raw: unknown, options: ParseOptions = {}): CreateRequest {
  if (!isObject(raw)) throw new InvalidInput('input', 'must be a JSON object');
  refuseUnknown(raw, CREATE_FIELDS, 'the create input');
  const hostname = parseHostname(raw.hostname);
  const dnsZone = parseZone(raw.dnsZone);
  fqdnOf(hostname, dnsZone);
  if (raw.expiresIn != null && raw.expiresAt != null) {
    throw new InvalidInput('expiresIn', 'give either expiresIn or expiresAt, not both');
  }
  const expiresAt = parseExpiresAt(raw, options.now ?? new Date());
  return { hostname, dnsZone, ...parseOptional(raw, options), ...(expiresAt ? { expiresAt } : {}) };
}

/** The most hosts one fleet execution takes. */
export const MAX_FLEET = 50;

export interface FleetRequest {
  hostnames: string[];
  /** Every field but the hostnames, as each host's execution gets it. */
  shared: Record<string, unknown>;
}

/**
 * A fleet input (`hostnames` plus the fields every host shares) checked host by host, so a bad one
 * stops the fleet before anything is created.
 */
export function parseFleetRequest(
  input: unknown,
  workflow: 'create' | 'destroy',
  options: ParseOptions = {},
): FleetRequest {
  if (!isObject(input)) throw new InvalidInput('input', 'must be a JSON object with hostnames');
  const { hostnames, ...shared } = input;
  if ('hostname' in shared || 'instanceId' in shared) {
    throw new InvalidInput('hostnames', 'a fleet takes hostnames, not hostname or instanceId');
  }
  if (!Array.isArray(hostnames) || hostnames.length === 0 || hostnames.length > MAX_FLEET) {
    throw new InvalidInput('hostnames', `must be a list of 1 to ${MAX_FLEET} hostnames`);
  }
  const names = hostnames.map((h, i) => parseHostname(h, `hostnames[${i}]`));
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new InvalidInput('hostnames', `${twice} is listed twice`);
  for (const hostname of names) {
    if (workflow === 'create') parseCreateRequest({ ...shared, hostname }, options);
    else parseDestroyRequest({ ...shared, hostname });
  }
  return { hostnames: names, shared };
}

export function parseDefaults(raw: unknown): Defaults {
  if (!isObject(raw)) throw new InvalidInput('defaults', 'must be a JSON object');
  refuseUnknown(raw, DEFAULT_FIELDS, 'the stored defaults');
  const defaults = parseOptional(raw);
  return raw.dnsZone === undefined ? defaults : { ...defaults, dnsZone: parseZone(raw.dnsZone) };
}

export function parseDestroyRequest(raw: unknown): DestroyRequest {
  if (!isObject(raw)) throw new InvalidInput('input', 'must be a JSON object');
  refuseUnknown(raw, DESTROY_FIELDS, 'the destroy input');
  const force = raw.force ?? false;
  if (typeof force !== 'boolean') throw new InvalidInput('force', 'must be true or false');
  const pollIntervalSeconds = int(raw, 'pollIntervalSeconds', 0, 300);
  const instanceId = str(raw, 'instanceId', INSTANCE_ID, 'an instance id (i-…)');
  if (instanceId !== undefined) {
    const dnsZone = raw.dnsZone === undefined ? undefined : parseZone(raw.dnsZone);
    // Both: this host, only while it is this instance (what a lease's schedule starts destroy with).
    if (raw.hostname !== undefined) {
      if (dnsZone === undefined) {
        throw new InvalidInput(
          'instanceId',
          'give either instanceId, or hostname and dnsZone (with instanceId or not)',
        );
      }
      return { instanceId, hostname: parseHostname(raw.hostname), dnsZone, force, pollIntervalSeconds };
    }
    return { instanceId, dnsZone, force, pollIntervalSeconds };
  }
  return { hostname: parseHostname(raw.hostname), dnsZone: parseZone(raw.dnsZone), force, pollIntervalSeconds };
}

/** AWS's public parameters (Amazon Linux, Ubuntu AMI ids): readable by every deployment. */
export const PUBLIC_PARAMETER_PATH = '/aws/service/';
const PARAMETER_PATH = /^\/([A-Za-z0-9_.-]+\/)+$/;

/** A parameter path a deployment lets ValidateInput read (imageParameterPaths): `/golden-ami/`. */
export function parseParameterPath(value: unknown): string {
  const path = typeof value === 'string' && !value.endsWith('/') ? `${value}/` : value;
  if (typeof path !== 'string' || !PARAMETER_PATH.test(path)) {
    throw new InvalidInput(
      'imageParameterPaths',
      `${JSON.stringify(value)} is not a parameter path such as /golden-ami/`,
    );
  }
  return path;
}

/** The paths this deployment's ValidateInput may read image parameters under (IMAGE_PARAMETER_PATHS). */
export function readableParameterPaths(): string[] {
  const configured = (process.env.IMAGE_PARAMETER_PATHS ?? '').split(',').filter(Boolean);
  return configured.length > 0 ? configured : [PUBLIC_PARAMETER_PATH];
}

/** An image parameter the role cannot read would fail at launch time with AccessDenied: refuse it now. */
export function assertReadableParameter(parameter: string, paths: string[]): void {
  if (paths.some((p) => parameter.startsWith(p))) return;
  throw new InvalidInput(
    'imageParameter',
    `${parameter} is outside the parameters this deployment may read (${paths.join(', ')}); add its path to imageParameterPaths in cdk.json`,
  );
}

/** Parameter Store's value limits: Standard tier 4 KB, Advanced 8 KB (Intelligent-Tiering picks). */
export const DEFAULTS_STANDARD_CHARS = 4096;
export const DEFAULTS_MAX_CHARS = 8192;

/** The stored defaults as Parameter Store will hold them, or InvalidInput if they cannot fit. */
export function defaultsValue(defaults: Defaults): string {
  const value = JSON.stringify(defaults);
  if (value.length > DEFAULTS_MAX_CHARS) {
    throw new InvalidInput(
      'defaults',
      `are ${value.length} characters of JSON; a parameter holds at most ${DEFAULTS_MAX_CHARS} (Advanced tier)`,
    );
  }
  return value;
}
