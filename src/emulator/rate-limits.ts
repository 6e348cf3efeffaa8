/**
 * AWS's documented request rate limits, as the token buckets AWS describes: each bucket holds up to
 * `burst` tokens, a call takes one (a resource bucket: one per instance it launches or ends) and
 * the bucket refills at `refill` tokens a second. Buckets are per account and Region (Route 53's
 * per account: it is a global service), on the emulator's clock: the benchmark's virtual one, or
 * the real one. A call that finds any of its buckets short is refused with the service's own
 * throttling error and takes no token from any of them.
 *
 * Off unless asked for: `startEmulator({ rateLimits: true })` or `POST /_emulator/rate-limits
 * {"enabled": true}`. Only figures AWS publishes are modelled; an operation no row names (SSM
 * Run Command, Lambda Invoke) is never throttled here.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './account';
import { errorOf } from './faults';
import { errorResponse, type Operation, type WireResponse } from './protocol';
import type { VirtualClock } from './timeline';

export const EC2_THROTTLING = 'https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html';
export const ROUTE53_THROTTLING =
  'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html';
export const SSM_QUOTAS = 'https://docs.aws.amazon.com/general/latest/gr/ssm.html';
export const SFN_QUOTAS = 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html';

/** The request body, as far as a bucket cares: an EC2 Query body, or a JSON one. */
export type Params = URLSearchParams;

export interface RateLimit {
  service: Operation['service'];
  /**
   * What a call draws on: one bucket of each tier that has a row for it, the first such row of the
   * tier in table order. EC2 calls take `request` tokens, and `resource` tokens for the instances
   * they launch or end; a Route 53 call takes `account` tokens and `request` tokens.
   */
  tier: 'account' | 'request' | 'resource';
  /** The bucket's name: the operation itself, or the name of what the operations share. */
  bucket: string;
  /** The operations that draw on it: names, a pattern, or `*` for all of the service's. */
  operations: readonly string[] | RegExp | '*';
  /**
   * `operation`: each operation has a bucket of its own with these figures (AWS evaluates each EC2
   * API individually); `shared`: one bucket for all of them.
   */
  per: 'operation' | 'shared';
  /** Only calls for which this holds (EC2's smaller bucket for unfiltered, unpaginated Describes). */
  when?: (params: Params) => boolean;
  /** Tokens a call takes. @default 1 */
  cost?: (params: Params) => number;
  burst: number;
  /** Tokens a second. */
  refill: number;
  /** Figures of their own in some Regions. */
  inRegions?: { regions: readonly string[]; burst: number; refill: number };
  /** The bucket is per account only (a global service). */
  global?: boolean;
  /** AWS's page with the figures. */
  source: string;
}

/**
 * Actions that, asked without a filter or pagination, take their tokens from a smaller bucket
 * (EC2 "Unfiltered and unpaginated non-mutating actions": 50 tokens, 10/s). Instance ids are
 * neither: `DescribeInstances` of one instance id, as the workflows poll, is unfiltered.
 */
const UNFILTERED_ACTIONS = [
  'DescribeInstances',
  'DescribeInstanceStatus',
  'DescribeNetworkInterfaces',
  'DescribeSecurityGroups',
  'DescribeSnapshots',
  'DescribeSpotInstanceRequests',
  'DescribeVolumes',
];

function unfilteredAndUnpaginated(params: Params): boolean {
  for (const key of params.keys()) {
    if (key.startsWith('Filter.') || key === 'MaxResults' || key === 'NextToken') return false;
  }
  return true;
}

/** Instances a RunInstances call may launch: its MaxCount. */
const launched = (params: Params) => Number(params.get('MaxCount') ?? 1) || 1;
/** Instances a Terminate/Start/StopInstances call names. */
const named = (params: Params) => [...params.keys()].filter((k) => k.startsWith('InstanceId.')).length || 1;

/** Step Functions' larger Regions: "US East (N. Virginia), US West (Oregon), and Europe (Ireland)". */
const SFN_LARGE_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

/** Step Functions (Standard workflows), per AWS's "Quotas related to API action throttling". */
function sfn(operation: string, large: [number, number], other: [number, number]): RateLimit {
  return {
    service: 'states',
    tier: 'request',
    bucket: operation,
    operations: [operation],
    per: 'shared',
    burst: other[0],
    refill: other[1],
    inRegions: { regions: SFN_LARGE_REGIONS, burst: large[0], refill: large[1] },
    source: SFN_QUOTAS,
  };
}

/** EC2 request tokens for one action with figures of its own ("Uncategorized actions"). */
function ec2Action(operation: string, burst: number, refill: number): RateLimit {
  return {
    service: 'ec2',
    tier: 'request',
    bucket: operation,
    operations: [operation],
    per: 'shared',
    burst,
    refill,
    source: EC2_THROTTLING,
  };
}

/** EC2 resource tokens ("Resource token bucket sizes and refill rates"). */
function ec2Resource(operation: string, burst: number, refill: number, cost: (p: Params) => number): RateLimit {
  return {
    service: 'ec2',
    tier: 'resource',
    bucket: `${operation} instances`,
    operations: [operation],
    per: 'shared',
    cost,
    burst,
    refill,
    source: EC2_THROTTLING,
  };
}

export const RATE_LIMITS: readonly RateLimit[] = [
  // EC2 throttles per account and Region; "each API is evaluated individually" with a bucket of its
  // own. Uncategorized actions, with their own figures: RunInstances 5 tokens, 2/s;
  // StartInstances 5, 2/s; TerminateInstances 100, 5/s; CreateTags and DeleteTags 100, 10/s.
  ec2Action('RunInstances', 5, 2),
  ec2Action('StartInstances', 5, 2),
  ec2Action('TerminateInstances', 100, 5),
  ec2Action('CreateTags', 100, 10),
  ec2Action('DeleteTags', 100, 10),
  // Unfiltered and unpaginated non-mutating actions: 50 tokens, 10/s (DescribeInstances…).
  {
    service: 'ec2',
    tier: 'request',
    bucket: 'unfiltered and unpaginated',
    operations: UNFILTERED_ACTIONS,
    per: 'operation',
    when: unfilteredAndUnpaginated,
    burst: 50,
    refill: 10,
    source: EC2_THROTTLING,
  },
  // Non-mutating actions (Describe*, List*, Search*, Get*): 100 tokens, 20/s.
  {
    service: 'ec2',
    tier: 'request',
    bucket: 'non-mutating',
    operations: /^(Describe|List|Search|Get)/,
    per: 'operation',
    burst: 100,
    refill: 20,
    source: EC2_THROTTLING,
  },
  // Mutating actions (all others, RebootInstances among them; the resource-intensive ones have the
  // same figures): 50 tokens, 5/s.
  {
    service: 'ec2',
    tier: 'request',
    bucket: 'mutating',
    operations: '*',
    per: 'operation',
    burst: 50,
    refill: 5,
    source: EC2_THROTTLING,
  },
  // Resource tokens, one per instance: RunInstances 1000, 2/s; TerminateInstances 1000, 20/s;
  // StartInstances 1000, 2/s; StopInstances 1000, 20/s.
  ec2Resource('RunInstances', 1000, 2, launched),
  ec2Resource('TerminateInstances', 1000, 20, named),
  ec2Resource('StartInstances', 1000, 2, named),
  ec2Resource('StopInstances', 1000, 20, named),

  // Route 53 throttles per account, at two levels, and a request takes a token from both: all
  // requests combined, 50 tokens, 10/s (formerly five requests a second); and each action, 50
  // tokens, 10/s unless the page gives it figures of its own. The page's third limit, change
  // throughput (DNS record changes a second), is not modelled.
  {
    service: 'route53',
    tier: 'account',
    bucket: 'all requests',
    operations: '*',
    per: 'shared',
    burst: 50,
    refill: 10,
    global: true,
    source: ROUTE53_THROTTLING,
  },
  ...(
    [
      ['CreateHostedZone', 40, 2],
      ['DeleteHostedZone', 40, 5],
      ['AssociateVPCWithHostedZone', 20, 5],
      ['DisassociateVPCFromHostedZone', 10, 5],
    ] as const
  ).map(
    ([operation, burst, refill]): RateLimit => ({
      service: 'route53',
      tier: 'request',
      bucket: operation,
      operations: [operation],
      per: 'shared',
      burst,
      refill,
      global: true,
      source: ROUTE53_THROTTLING,
    }),
  ),
  {
    service: 'route53',
    tier: 'request',
    bucket: 'each action',
    operations: '*',
    per: 'operation',
    burst: 50,
    refill: 10,
    global: true,
    source: ROUTE53_THROTTLING,
  },

  // Parameter Store's default throughput: 40 transactions a second, shared by GetParameter,
  // GetParameters and GetParametersByPath (per account and Region). AWS gives a rate, not a burst:
  // one second's worth. AWS publishes no figure for Run Command (SendCommand, GetCommandInvocation,
  // ListCommandInvocations) or DescribeInstanceInformation.
  {
    service: 'ssm',
    tier: 'request',
    bucket: 'Parameter Store',
    operations: ['GetParameter', 'GetParameters', 'GetParametersByPath'],
    per: 'shared',
    burst: 40,
    refill: 40,
    source: SSM_QUOTAS,
  },

  // Step Functions, Standard workflows, per account and Region: bucket size and refill rate a
  // second in US East (N. Virginia), US West (Oregon) and Europe (Ireland), then in all others.
  sfn('StartExecution', [1300, 300], [800, 150]),
  sfn('RedriveExecution', [1300, 300], [800, 150]),
  sfn('StopExecution', [1000, 200], [500, 25]),
  sfn('DescribeExecution', [300, 15], [250, 10]),
  sfn('GetExecutionHistory', [400, 20], [400, 20]),
  sfn('ListExecutions', [200, 5], [100, 2]),
  sfn('DescribeStateMachine', [200, 20], [200, 20]),
  sfn('DescribeStateMachineForExecution', [200, 1], [200, 1]),
  sfn('ListStateMachines', [100, 5], [100, 5]),
];

/** Who makes a call, as far as buckets care. */
export interface Caller {
  /** @default the emulator's account */
  account?: string;
  /** @default the emulator's Region */
  region?: string;
}

interface Bucket {
  tokens: number;
  /** When it was last refilled, in seconds on the caller's clock. */
  at: number;
}

function matches(limit: RateLimit, service: string, operation: string, params: Params): boolean {
  if (limit.service !== service) return false;
  const { operations } = limit;
  const named =
    operations === '*' || (operations instanceof RegExp ? operations.test(operation) : operations.includes(operation));
  return named && (!limit.when || limit.when(params));
}

function figures(limit: RateLimit, region: string): { burst: number; refill: number } {
  return limit.inRegions?.regions.includes(region) ? limit.inRegions : limit;
}

/** The token buckets of a table of limits, keyed by account, Region and bucket. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly limits: readonly RateLimit[] = RATE_LIMITS) {}

  /** The rows a call draws on: per tier, the first that names it. */
  limitsFor(service: string, operation: string, params: Params = new URLSearchParams()): RateLimit[] {
    const tiers = new Set<string>();
    const found: RateLimit[] = [];
    for (const limit of this.limits) {
      if (tiers.has(limit.tier) || !matches(limit, service, operation, params)) continue;
      tiers.add(limit.tier);
      found.push(limit);
    }
    return found;
  }

  /**
   * Takes the call's tokens from each of its buckets as of `now` (seconds), or none if any is
   * short: false is a throttled call. A `now` earlier than a bucket's last refill (branches of a
   * virtual clock need not be in step) refills nothing.
   */
  take(service: string, operation: string, now: number, caller: Caller = {}, params?: Params): boolean {
    const account = caller.account ?? LOCAL_ACCOUNT_ID;
    const region = caller.region ?? LOCAL_REGION;
    const draws = this.limitsFor(service, operation, params).map((limit) => {
      const { burst, refill } = figures(limit, region);
      const key = [
        account,
        limit.global ? 'global' : region,
        service,
        limit.bucket,
        limit.per === 'operation' ? operation : '',
      ].join('|');
      const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
      const tokens = Math.min(burst, bucket.tokens + Math.max(0, now - bucket.at) * refill);
      return { key, tokens, at: Math.max(bucket.at, now), cost: params && limit.cost ? limit.cost(params) : 1 };
    });
    const allowed = draws.every((d) => d.tokens >= d.cost);
    for (const d of draws) this.buckets.set(d.key, { tokens: allowed ? d.tokens - d.cost : d.tokens, at: d.at });
    return allowed;
  }

  clear(): void {
    this.buckets.clear();
  }
}

/** The account and Region of a signed request: moto's account header, and the credential's scope. */
export function callerOf(headers: IncomingHttpHeaders): Caller {
  const account = headers['x-moto-account-id'];
  const region = /Credential=[^/]+\/\d+\/([^/]+)\/[^/]+\/aws4_request/.exec(String(headers.authorization ?? ''))?.[1];
  return { account: typeof account === 'string' ? account : undefined, region };
}

/** A request's parameters: an EC2 Query body's, or none (the JSON and REST services' limits need none). */
function paramsOf(op: Operation, body: string): Params {
  return op.service === 'ec2' ? new URLSearchParams(body) : new URLSearchParams();
}

/** What AWS says when it throttles. */
const MESSAGE: Record<string, string> = { ec2: 'Request limit exceeded.' };

/** Real time, in seconds: the emulator's clock outside the benchmark. */
export const REAL_CLOCK: VirtualClock = () => Date.now() / 1000;

/** The emulator's rate limits: on or off, the buckets, and the calls they refused. */
export class RateLimits {
  enabled: boolean;
  readonly limiter = new RateLimiter();
  /** Throttled calls per operation, and per `Step Operation` for calls a workflow step made. */
  readonly throttled = new Map<string, number>();
  private lastClock?: VirtualClock;

  /**
   * `clock` gives the clock to read, asked at every call: the proxy's timeline's virtual one in the
   * benchmark, else REAL_CLOCK. When it is another one than last time (a timeline installed or
   * removed), the buckets start full again: the two clocks' seconds have nothing in common.
   */
  constructor(
    enabled = false,
    private readonly clock: () => VirtualClock = () => REAL_CLOCK,
  ) {
    this.enabled = enabled;
  }

  private now(step: string | undefined): number {
    const clock = this.clock();
    if (clock !== this.lastClock) this.limiter.clear();
    this.lastClock = clock;
    return clock(step);
  }

  /** The service's throttling error if the call is over AWS's limits, else undefined. */
  refusal(op: Operation, headers: IncomingHttpHeaders, body: string): WireResponse | undefined {
    if (!this.enabled) return undefined;
    const params = paramsOf(op, body);
    if (this.limiter.take(op.service, op.name, this.now(op.step), callerOf(headers), params)) return undefined;
    this.count(op.name);
    if (op.step) this.count(`${op.step} ${op.name}`);
    const { code, status } = errorOf({ kind: 'throttle', operation: op.name }, op.service);
    return errorResponse(op, code, MESSAGE[op.service] ?? 'Rate exceeded', status);
  }

  private count(key: string): void {
    this.throttled.set(key, (this.throttled.get(key) ?? 0) + 1);
  }

  /** Full buckets and no throttled calls; on or off as before. */
  reset(): void {
    this.limiter.clear();
    this.throttled.clear();
  }

  /** `GET` or `POST /_emulator/rate-limits` (`{"enabled": true}`): whether they apply, and the table. */
  control(method: string, body: string): { status: number; payload: unknown } {
    if (method === 'POST') {
      let request: unknown;
      try {
        request = JSON.parse(body || '{}');
      } catch {
        return { status: 400, payload: { error: 'the body is not JSON' } };
      }
      const enabled = (request as { enabled?: unknown } | null)?.enabled;
      if (typeof enabled !== 'boolean') return { status: 400, payload: { error: 'expected {"enabled": true|false}' } };
      if (enabled !== this.enabled) this.limiter.clear();
      this.enabled = enabled;
    }
    return {
      status: 200,
      payload: {
        enabled: this.enabled,
        limits: this.limiter.limits.map(({ service, tier, bucket, burst, refill, inRegions, source }) => ({
          service,
          tier,
          bucket,
          burst,
          refill,
          ...(inRegions ? { inRegions } : {}),
          source,
        })),
      },
    };
  }
}
