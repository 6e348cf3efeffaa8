/**
 * AWS's documented request rate limits in the emulator: the token buckets on an injected clock,
 * and the service's own throttling error, off unless asked for.
 */
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
import type { VirtualClock } from '../src/emulator/timeline';

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
