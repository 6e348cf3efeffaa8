/**
 * AWS's documented request rate limits in the emulator: the token buckets on an injected clock,
 * then the service's own throttling error on the wire, off unless asked for.
 */
import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { REFERENCE_PROFILE } from '../src/bench/measure';
import { type Emulator, startEmulator } from '../src/emulator';
import { clientConfig } from '../src/emulator/account';
import type { Operation } from '../src/emulator/protocol';
import {
  EC2_THROTTLING,
  RATE_LIMITS,
  RateLimiter,
  RateLimits,
  ROUTE53_THROTTLING,
  SFN_QUOTAS,
  SSM_QUOTAS,
} from '../src/emulator/rate-limits';
import { Timeline, type VirtualClock } from '../src/emulator/timeline';
import { Harness } from '../src/harness';

/** Calls `take` n times at `now`; how many were let through. */
function takeMany(
  limiter: RateLimiter,
  n: number,
  service: string,
  operation: string,
  now: number,
  caller = {},
  body = '',
): number {
  let passed = 0;
  for (let i = 0; i < n; i += 1) {
    if (limiter.take(service, operation, now, caller, new URLSearchParams(body))) passed += 1;
  }
  return passed;
}

describe('the table', () => {
  test('every row cites the AWS page its figures come from', () => {
    const pages = new Set([EC2_THROTTLING, ROUTE53_THROTTLING, SSM_QUOTAS, SFN_QUOTAS]);
    for (const limit of RATE_LIMITS) {
      expect(pages.has(limit.source)).toBe(true);
      expect(limit.burst).toBeGreaterThan(0);
      expect(limit.refill).toBeGreaterThan(0);
    }
  });
});

describe('token buckets, on an injected clock', () => {
  test('a burst of the bucket size, then tokens at the documented refill rate, never above the size', () => {
    const limiter = new RateLimiter();
    // EC2 RunInstances request tokens: 5, 2 a second.
    expect(takeMany(limiter, 6, 'ec2', 'RunInstances', 0)).toBe(5);
    expect(takeMany(limiter, 3, 'ec2', 'RunInstances', 0.5)).toBe(1);
    expect(takeMany(limiter, 5, 'ec2', 'RunInstances', 2)).toBe(3);
    expect(takeMany(limiter, 10, 'ec2', 'RunInstances', 100)).toBe(5);
  });

  test('a clock read earlier than the last call (another branch of a virtual clock) refills nothing', () => {
    const limiter = new RateLimiter();
    expect(takeMany(limiter, 5, 'ec2', 'RunInstances', 10)).toBe(5);
    expect(takeMany(limiter, 1, 'ec2', 'RunInstances', 4)).toBe(0);
    expect(takeMany(limiter, 2, 'ec2', 'RunInstances', 10.5)).toBe(1);
  });

  test('EC2 evaluates each action on its own: one exhausted leaves the others whole', () => {
    const limiter = new RateLimiter();
    expect(takeMany(limiter, 101, 'ec2', 'DescribeSubnets', 0)).toBe(100);
    expect(takeMany(limiter, 101, 'ec2', 'DescribeImages', 0)).toBe(100);
    expect(takeMany(limiter, 51, 'ec2', 'RebootInstances', 0)).toBe(50);
    expect(takeMany(limiter, 101, 'ec2', 'CreateTags', 0)).toBe(100);
  });

  test('DescribeInstances without a filter or pagination draws on the smaller bucket, with one on the larger', () => {
    const limiter = new RateLimiter();
    const byId = 'Action=DescribeInstances&InstanceId.1=i-0123';
    expect(takeMany(limiter, 51, 'ec2', 'DescribeInstances', 0, {}, byId)).toBe(50);
    const filtered = 'Action=DescribeInstances&Filter.1.Name=tag%3AName&Filter.1.Value.1=web1';
    expect(takeMany(limiter, 101, 'ec2', 'DescribeInstances', 0, {}, filtered)).toBe(100);
    expect(takeMany(limiter, 1, 'ec2', 'DescribeInstances', 1, {}, byId)).toBe(1);
  });

  test('RunInstances also takes a resource token per instance: 1000, then 2 a second', () => {
    const limiter = new RateLimiter();
    expect(takeMany(limiter, 1, 'ec2', 'RunInstances', 0, {}, 'MinCount=1&MaxCount=1000')).toBe(1);
    // The request bucket still has 4 tokens; the instances' bucket has none until it refills.
    expect(takeMany(limiter, 1, 'ec2', 'RunInstances', 0, {}, 'MinCount=1&MaxCount=1')).toBe(0);
    expect(takeMany(limiter, 2, 'ec2', 'RunInstances', 0.5, {}, 'MinCount=1&MaxCount=1')).toBe(1);
  });

  test('TerminateInstances takes a resource token per instance it names: 1000, then 20 a second', () => {
    const limiter = new RateLimiter();
    const ids = (n: number) =>
      Array.from({ length: n }, (_, i) => `InstanceId.${i + 1}=i-${i.toString(16).padStart(8, '0')}`).join('&');
    expect(takeMany(limiter, 1, 'ec2', 'TerminateInstances', 0, {}, ids(1000))).toBe(1);
    expect(takeMany(limiter, 1, 'ec2', 'TerminateInstances', 0, {}, ids(1))).toBe(0);
    expect(takeMany(limiter, 1, 'ec2', 'TerminateInstances', 1, {}, ids(20))).toBe(1);
  });

  test('Route 53: every request of the account draws on one bucket of 50, 10 a second, besides its own', () => {
    const limiter = new RateLimiter();
    expect(takeMany(limiter, 25, 'route53', 'GetChange', 0)).toBe(25);
    expect(takeMany(limiter, 25, 'route53', 'ListResourceRecordSets', 0)).toBe(25);
    // ChangeResourceRecordSets' own bucket is full; the account's is empty.
    expect(takeMany(limiter, 1, 'route53', 'ChangeResourceRecordSets', 0)).toBe(0);
    expect(takeMany(limiter, 2, 'route53', 'ChangeResourceRecordSets', 0.1)).toBe(1);
  });

  test('Route 53: an action with figures of its own is held to them; a call refused takes no token at all', () => {
    const limiter = new RateLimiter();
    // CreateHostedZone: 40, 2 a second; the account's bucket (50) has room for 10 more.
    expect(takeMany(limiter, 60, 'route53', 'CreateHostedZone', 0)).toBe(40);
    expect(takeMany(limiter, 11, 'route53', 'GetChange', 0)).toBe(10);
  });

  test("SSM: Parameter Store's 40 a second are shared by GetParameter, GetParameters and GetParametersByPath", () => {
    const limiter = new RateLimiter();
    expect(takeMany(limiter, 20, 'ssm', 'GetParameter', 0)).toBe(20);
    expect(takeMany(limiter, 20, 'ssm', 'GetParametersByPath', 0)).toBe(20);
    expect(takeMany(limiter, 1, 'ssm', 'GetParameters', 0)).toBe(0);
    expect(takeMany(limiter, 5, 'ssm', 'GetParameter', 0.1)).toBe(4);
    // Run Command has no published figure: never throttled here.
    expect(takeMany(limiter, 1000, 'ssm', 'SendCommand', 0)).toBe(1000);
    expect(takeMany(limiter, 1000, 'ssm', 'GetCommandInvocation', 0)).toBe(1000);
  });

  test("Step Functions' StartExecution has the larger figures in us-east-1, us-west-2 and eu-west-1", () => {
    const limiter = new RateLimiter();
    expect(takeMany(limiter, 1400, 'states', 'StartExecution', 0, { region: 'us-east-1' })).toBe(1300);
    expect(takeMany(limiter, 400, 'states', 'StartExecution', 1, { region: 'us-east-1' })).toBe(300);
    expect(takeMany(limiter, 900, 'states', 'StartExecution', 0, { region: 'eu-central-1' })).toBe(800);
    expect(takeMany(limiter, 200, 'states', 'StartExecution', 1, { region: 'eu-central-1' })).toBe(150);
    expect(takeMany(limiter, 20, 'states', 'DescribeExecution', 0, { region: 'eu-central-1' })).toBe(20);
  });

  test('buckets are per account and Region; Route 53, a global service, per account only', () => {
    const limiter = new RateLimiter();
    const a = { account: '111111111111', region: 'us-east-1' };
    expect(takeMany(limiter, 6, 'ec2', 'RunInstances', 0, a)).toBe(5);
    expect(takeMany(limiter, 6, 'ec2', 'RunInstances', 0, { ...a, region: 'us-west-2' })).toBe(5);
    expect(takeMany(limiter, 6, 'ec2', 'RunInstances', 0, { ...a, account: '222222222222' })).toBe(5);
    expect(takeMany(limiter, 50, 'route53', 'GetChange', 0, a)).toBe(50);
    expect(takeMany(limiter, 1, 'route53', 'GetChange', 0, { ...a, region: 'us-west-2' })).toBe(0);
    expect(takeMany(limiter, 1, 'route53', 'GetChange', 0, { ...a, account: '222222222222' })).toBe(1);
  });
});

describe('the emulator’s rate limits, apart from the wire', () => {
  const op = (service: Operation['service'], name: string, step?: string): Operation => ({ service, name, step });

  test('off by default: nothing is refused', () => {
    const limits = new RateLimits();
    for (let i = 0; i < 10; i += 1) expect(limits.refusal(op('ec2', 'RunInstances'), {}, '')).toBeUndefined();
  });

  test('Step Functions answers with its own ThrottlingException, as JSON', () => {
    const frozen: VirtualClock = () => 0;
    const limits = new RateLimits(true, () => frozen);
    for (let i = 0; i < 1300; i += 1) expect(limits.refusal(op('states', 'StartExecution'), {}, '{}')).toBeUndefined();
    const refused = limits.refusal(op('states', 'StartExecution'), {}, '{}');
    expect(refused?.status).toBe(400);
    expect(refused?.headers['x-amzn-errortype']).toBe('ThrottlingException');
    expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({
      __type: 'ThrottlingException',
      message: 'Rate exceeded',
    });
  });

  test('another clock than the last (a timeline installed) starts the buckets full', () => {
    let clock: VirtualClock = () => 1_700_000_000;
    const limits = new RateLimits(true, () => clock);
    for (let i = 0; i < 5; i += 1) expect(limits.refusal(op('ec2', 'RunInstances'), {}, '')).toBeUndefined();
    expect(limits.refusal(op('ec2', 'RunInstances'), {}, '')).toBeDefined();
    clock = () => 0;
    expect(limits.refusal(op('ec2', 'RunInstances'), {}, '')).toBeUndefined();
  });
});

describe('through the proxy, as an SDK client sees it', () => {
  const h = new Harness();
  let now = 0;
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  beforeEach(async () => {
    await h.reset();
    now = 0;
    h.emulator.proxy.timeline = new Timeline(REFERENCE_PROFILE, () => now);
  });
  afterEach(() => {
    h.emulator.proxy.timeline = undefined;
  });

  const rateLimits = async (method: 'GET' | 'POST', body?: unknown) => {
    const res = await fetch(`${h.url}/_emulator/rate-limits`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const state = async () =>
    (await (await fetch(`${h.url}/_emulator/state`)).json()) as { throttled: Record<string, number> };
  const zones = (step?: string) =>
    new Route53Client({ ...clientConfig(h.url), customUserAgent: step && `instance-lifecycle/${step}` });
  /** ListHostedZonesByName n times; the error names of the calls refused. */
  async function listZones(n: number, step?: string): Promise<string[]> {
    const client = zones(step);
    const refused: string[] = [];
    for (let i = 0; i < n; i += 1) {
      try {
        await client.send(new ListHostedZonesByNameCommand({ DNSName: 'example.internal' }));
      } catch (error) {
        refused.push((error as Error).name);
      }
    }
    return refused;
  }

  test('off by default: a burst past every limit is answered', async () => {
    expect((await rateLimits('GET')).body.enabled).toBe(false);
    expect(await listZones(60)).toEqual([]);
    expect((await state()).throttled).toEqual({});
  });

  test('Route 53: Throttling (HTTP 400) after a burst of 50, then 10 more a second', async () => {
    expect((await rateLimits('POST', { enabled: true })).body.enabled).toBe(true);
    expect(await listZones(50)).toEqual([]);
    const error = await zones()
      .send(new ListHostedZonesByNameCommand({ DNSName: 'example.internal' }))
      .catch((e: Error & { $metadata?: { httpStatusCode?: number } }) => e);
    expect(error).toMatchObject({ name: 'Throttling', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    now = 1;
    expect(await listZones(11)).toEqual(['Throttling']);
  });

  test('EC2: RequestLimitExceeded (HTTP 503) on the sixth RunInstances of a second', async () => {
    await rateLimits('POST', { enabled: true });
    const ec2 = new EC2Client(clientConfig(h.url));
    const run = () => ec2.send(new RunInstancesCommand({ ImageId: 'ami-0ed094fb1304fd857', MinCount: 1, MaxCount: 1 }));
    for (let i = 0; i < 5; i += 1) await run();
    await expect(run()).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
      $metadata: { httpStatusCode: 503 },
    });
    expect(await h.liveInstances()).toHaveLength(5);
    now = 0.5;
    await expect(run()).resolves.toBeDefined();
  });

  test('SSM: ThrottlingException after Parameter Store’s 40 reads', async () => {
    await rateLimits('POST', { enabled: true });
    const ssm = new SSMClient(clientConfig(h.url));
    await ssm.send(new PutParameterCommand({ Name: '/lifecycle/defaults', Value: '{}', Type: 'String' }));
    for (let i = 0; i < 40; i += 1) await ssm.send(new GetParameterCommand({ Name: '/lifecycle/defaults' }));
    await expect(ssm.send(new GetParameterCommand({ Name: '/lifecycle/defaults' }))).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  test('the state counts throttled calls per operation and per step', async () => {
    await rateLimits('POST', { enabled: true });
    expect(await listZones(48)).toEqual([]);
    expect(await listZones(4, 'ValidateInput')).toEqual(['Throttling', 'Throttling']);
    expect(await listZones(1)).toEqual(['Throttling']);
    expect((await state()).throttled).toEqual({
      ListHostedZonesByName: 3,
      'ValidateInput ListHostedZonesByName': 2,
    });
  });

  test('a reset refills the buckets and clears the counts; the limits stay on', async () => {
    await rateLimits('POST', { enabled: true });
    expect(await listZones(51)).toEqual(['Throttling']);
    await h.reset();
    expect((await state()).throttled).toEqual({});
    expect((await rateLimits('GET')).body.enabled).toBe(true);
    expect(await listZones(51)).toEqual(['Throttling']);
  });

  test('the control endpoint turns them off, refuses what is not a boolean, and lists the table', async () => {
    await rateLimits('POST', { enabled: true });
    expect(await listZones(51)).toEqual(['Throttling']);
    expect((await rateLimits('POST', { enabled: false })).body.enabled).toBe(false);
    expect(await listZones(10)).toEqual([]);
    expect((await rateLimits('POST', { enabled: 'yes' })).status).toBe(400);
    const { body } = await rateLimits('GET');
    expect(body.limits).toContainEqual({
      service: 'route53',
      tier: 'account',
      bucket: 'all requests',
      burst: 50,
      refill: 10,
      source: ROUTE53_THROTTLING,
    });
  });
});

describe('startEmulator({ rateLimits: true })', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ rateLimits: true });
  });
  afterAll(() => emulator?.stop());

  test('applies them from the start', async () => {
    emulator.proxy.timeline = new Timeline(REFERENCE_PROFILE, () => 0);
    const ec2 = new EC2Client(clientConfig(emulator.url));
    const run = () => ec2.send(new RunInstancesCommand({ ImageId: 'ami-0ed094fb1304fd857', MinCount: 1, MaxCount: 1 }));
    for (let i = 0; i < 5; i += 1) await run();
    await expect(run()).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });
});
