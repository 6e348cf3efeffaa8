/** Handlers against aws-sdk-client-mock: the exact commands each step sends. */

import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { planFleet, startAfter } from '../lambdas/expand-fleet';
import { handler as launchInstance } from '../lambdas/launch-instance';
import type { CreateConfig, CreateState, PollResult } from '../lambdas/lib/contract';
import { DEFAULT_FLEET_PACE, fleetGroups } from '../lambdas/lib/fleet';
import { pollCheck } from '../lambdas/lib/poll';
import { handler as registerDns } from '../lambdas/register-dns';
import { handler as rollBack } from '../lambdas/roll-back';
import { handler as runBootstrap } from '../lambdas/run-bootstrap';
import { handler as terminateInstance } from '../lambdas/terminate-instance';
import { handler as validateInput } from '../lambdas/validate-input';
import { handler as waitForHostname } from '../lambdas/wait-for-hostname';
import { handler as waitUntilRebooted } from '../lambdas/wait-until-rebooted';
import { handler as waitUntilRunning } from '../lambdas/wait-until-running';

const ec2 = mockClient(EC2Client);
const route53 = mockClient(Route53Client);
const ssm = mockClient(SSMClient);
const scheduler = mockClient(SchedulerClient);
const LEASE_GROUP = 'InstanceLifecycle-Leases-ScheduleGroup';
const LEASE_ROLE = 'arn:aws:iam::123456789012:role/lease';
const DESTROY_VM = 'arn:aws:states:us-east-1:123456789012:stateMachine:destroy-vm';

beforeEach(() => {
  ec2.reset();
  route53.reset();
  ssm.reset();
  scheduler.reset();
  process.env.LEASE_SCHEDULE_GROUP = LEASE_GROUP;
  process.env.LEASE_ROLE_ARN = LEASE_ROLE;
  process.env.DESTROY_VM_ARN = DESTROY_VM;
  process.env.INSTANCE_PROFILE_ARN = 'arn:aws:iam::123456789012:instance-profile/test';
  process.env.DEFAULTS_PARAMETER = '/instance-lifecycle/Test/defaults';
});

const config: CreateConfig = {
  hostname: 'web1',
  dnsZone: 'example.internal',
  fqdn: 'web1.example.internal',
  zoneId: 'Z1',
  privateZone: true,
  imageId: 'ami-0123456789abcdef0',
  rootDeviceName: '/dev/xvda',
  rootVolumeSize: 8,
  instanceType: 't3.micro',
  subnetId: 'subnet-0123456789abcdef0',
  tags: { team: 'infra' },
  recordType: 'CNAME',
  ttl: 300,
  pollIntervalSeconds: 5,
  expiresAt: null,
  clientToken: 'a'.repeat(64),
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:create-vm:x',
  fromDefaults: [],
};
const instance = { instanceId: 'i-0123456789abcdef0', launchedAt: '2026-01-01T00:00:00Z' };
/** A loop's own bookkeeping, as an earlier check left it. */
const polled = { startedAt: '2026-01-01T00:00:00.000Z', elapsedSeconds: 0 };
/** What a loop's first check stamps on its result. */
const firstCheck = { startedAt: expect.any(String), elapsedSeconds: 0 };

describe('ValidateInput', () => {
  function zoneExists() {
    route53.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: [
        { Id: '/hostedzone/Z1', Name: 'example.internal.', CallerReference: 'x', Config: { PrivateZone: false } },
      ],
    });
    ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({
      InstanceTypeOfferings: [{ Location: 'us-east-1a' }, { Location: 'us-east-1b' }],
    });
  }

  test('refuses an unknown field before any AWS call', async () => {
    await expect(
      validateInput({ input: { hostname: 'web1', dnsZone: 'example.internal', colour: 'red' }, executionId: 'x' }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^colour: unknown field/),
    });
    expect(ec2.calls().length + route53.calls().length + ssm.calls().length).toBe(0);
  });

  test('a live instance carrying the fqdn is HostnameTaken', async () => {
    zoneExists();
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('none'), { name: 'ParameterNotFound' }));
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1' }] }] });
    await expect(
      validateInput({ input: { hostname: 'web1', dnsZone: 'example.internal' }, executionId: 'x' }),
    ).rejects.toMatchObject({
      name: 'HostnameTaken',
    });
    expect(ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters).toEqual([
      { Name: 'tag:lifecycle:fqdn', Values: ['web1.example.internal'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
    ]);
  });

  test('stored defaults fill the gaps, the input overrides them, and the output says which came from where', async () => {
    zoneExists();
    ssm.on(GetParameterCommand, { Name: '/instance-lifecycle/Test/defaults' }).resolves({
      Parameter: { Value: JSON.stringify({ instanceType: 't3.small', ttl: 60, imageId: 'ami-0aaaaaaaaaaaaaaaa' }) },
    });
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ RootDeviceName: '/dev/sda1', BlockDeviceMappings: [] }] });
    const { config: resolved } = await validateInput({
      input: { hostname: 'WEB1', dnsZone: 'Example.Internal.', ttl: 120 },
      executionId: 'arn:x',
    });
    expect(resolved).toMatchObject({
      hostname: 'web1',
      fqdn: 'web1.example.internal',
      instanceType: 't3.small',
      ttl: 120,
    });
    expect(resolved.rootDeviceName).toBe('/dev/sda1');
    expect(resolved.fromDefaults).toEqual(expect.arrayContaining(['instanceType', 'imageId']));
    expect(resolved.fromDefaults).not.toContain('ttl');
    expect(resolved.clientToken).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the defaults' expiresIn is the longest lease: a create naming none gets it; a longer one is refused first", async () => {
    zoneExists();
    ssm.on(GetParameterCommand, { Name: '/instance-lifecycle/Test/defaults' }).resolves({
      Parameter: { Value: JSON.stringify({ expiresIn: '8h', imageId: 'ami-0aaaaaaaaaaaaaaaa' }) },
    });
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ RootDeviceName: '/dev/xvda', BlockDeviceMappings: [] }] });
    const before = Date.now();
    const { config: leased } = await validateInput({
      input: { hostname: 'web1', dnsZone: 'example.internal' },
      executionId: 'x',
    });
    const expiry = Date.parse(leased.expiresAt ?? '');
    expect(expiry).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 8 * 3600_000);
    expect(expiry).toBeLessThanOrEqual(Date.now() + 8 * 3600_000);
    expect(leased.fromDefaults).toContain('expiresAt');
    expect(leased.fromDefaults).not.toContain('expiresIn');
    const { config: shorter } = await validateInput({
      input: { hostname: 'web1', dnsZone: 'example.internal', expiresIn: '30m' },
      executionId: 'x',
    });
    expect(Date.parse(shorter.expiresAt ?? '')).toBeLessThanOrEqual(Date.now() + 1800_000);
    expect(shorter.fromDefaults).not.toContain('expiresAt');

    route53.reset();
    ec2.reset();
    await expect(
      validateInput({ input: { hostname: 'web1', dnsZone: 'example.internal', expiresIn: '1d' }, executionId: 'x' }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^expiresIn: 1d is longer than .*expiresIn 8h/),
    });
    expect(route53.calls().length + ec2.calls().length).toBe(0);
  });

  test('without a lease anywhere the config says so: expiresAt null', async () => {
    zoneExists();
    ssm.on(GetParameterCommand, { Name: '/instance-lifecycle/Test/defaults' }).resolves({
      Parameter: { Value: JSON.stringify({ imageId: 'ami-0aaaaaaaaaaaaaaaa' }) },
    });
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ RootDeviceName: '/dev/xvda', BlockDeviceMappings: [] }] });
    const { config: unleased } = await validateInput({
      input: { hostname: 'web1', dnsZone: 'example.internal' },
      executionId: 'x',
    });
    expect(unleased.expiresAt).toBeNull();
  });

  test('subnetIds in the defaults: the subnet with the most free addresses is used', async () => {
    zoneExists();
    const subnets = ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'];
    ssm.on(GetParameterCommand, { Name: '/instance-lifecycle/Test/defaults' }).resolves({
      Parameter: { Value: JSON.stringify({ subnetIds: subnets, imageId: 'ami-0aaaaaaaaaaaaaaaa' }) },
    });
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ RootDeviceName: '/dev/xvda', BlockDeviceMappings: [] }] });
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: [
        { SubnetId: subnets[0], AvailableIpAddressCount: 12, AvailabilityZone: 'us-east-1a' },
        { SubnetId: subnets[1], AvailableIpAddressCount: 240, AvailabilityZone: 'us-east-1b' },
        // The roomiest, in a zone that does not offer the type: never chosen.
        { SubnetId: 'subnet-0cccccccccccccccc', AvailableIpAddressCount: 4000, AvailabilityZone: 'us-east-1e' },
      ],
    });
    const { config: resolved } = await validateInput({
      input: { hostname: 'web1', dnsZone: 'example.internal' },
      executionId: 'arn:x',
    });
    expect(resolved.subnetId).toBe(subnets[1]);
    expect(ec2.commandCalls(DescribeSubnetsCommand)[0].args[0].input).toEqual({ SubnetIds: subnets });
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)[0].args[0].input).toEqual({
      LocationType: 'availability-zone',
      Filters: [{ Name: 'instance-type', Values: ['t3.micro'] }],
    });
  });
});

test('LaunchInstance sends one RunInstances with the token, tags, IMDSv2, encrypted root and the profile', async () => {
  ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0123456789abcdef0' }] });
  await launchInstance({ config });
  const input = ec2.commandCalls(RunInstancesCommand)[0].args[0].input;
  expect(input).toMatchObject({
    ClientToken: config.clientToken,
    ImageId: config.imageId,
    MinCount: 1,
    MaxCount: 1,
    SubnetId: config.subnetId,
    IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/test' },
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
    BlockDeviceMappings: [
      {
        DeviceName: '/dev/xvda',
        Ebs: { Encrypted: true, VolumeType: 'gp3', DeleteOnTermination: true, VolumeSize: 8 },
      },
    ],
  });
  expect(input.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
  expect(input.TagSpecifications?.[0].Tags).toEqual(
    expect.arrayContaining([
      { Key: 'Name', Value: 'web1' },
      { Key: 'ManagedBy', Value: 'instance-lifecycle' },
      { Key: 'lifecycle:fqdn', Value: 'web1.example.internal' },
      { Key: 'team', Value: 'infra' },
    ]),
  );
  expect(Buffer.from(input.UserData ?? '', 'base64').toString()).toContain('amazon-ssm-agent');
  expect(input.TagSpecifications?.[0].Tags?.map((t) => t.Key)).not.toContain('lifecycle:expiresAt');
  expect(scheduler.calls()).toHaveLength(0);
});

describe('LaunchInstance with a lease', () => {
  const leased = { config: { ...config, expiresAt: '2026-12-01T18:00:00Z' } };
  const instanceId = 'i-0123456789abcdef0';

  test('tags the expiry at launch and creates the one-time schedule that starts destroy-vm for this instance', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: instanceId }] });
    const result = await launchInstance(leased);
    expect(result).toMatchObject({ instanceId, leaseSchedule: `lease-${instanceId}` });
    const tags = ec2.commandCalls(RunInstancesCommand)[0].args[0].input.TagSpecifications;
    for (const spec of tags ?? []) {
      expect(spec.Tags).toContainEqual({ Key: 'lifecycle:expiresAt', Value: '2026-12-01T18:00:00Z' });
    }
    expect(scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: `lease-${instanceId}`,
        GroupName: LEASE_GROUP,
        Description: expect.stringContaining('web1.example.internal'),
        ScheduleExpression: 'at(2026-12-01T18:00:00)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        Target: {
          Arn: DESTROY_VM,
          RoleArn: LEASE_ROLE,
          Input: JSON.stringify({ hostname: 'web1', dnsZone: 'example.internal', instanceId }),
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        },
      },
    ]);
  });

  test('a retried launch finds its schedule made already (same instance, same name) and goes on', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: instanceId }] });
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'Schedule exists', Message: 'Schedule exists', $metadata: {} }));
    await expect(launchInstance(leased)).resolves.toMatchObject({ leaseSchedule: `lease-${instanceId}` });
  });

  test('a schedule that cannot be made fails the step (and the workflow rolls the launch back)', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: instanceId }] });
    scheduler.on(CreateScheduleCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    await expect(launchInstance(leased)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('TerminateInstance', () => {
  const target = { instanceId: 'i-0123456789abcdef0', pollIntervalSeconds: 0, force: false, executionId: 'x' };
  test("terminates, then deletes the instance's lease schedule", async () => {
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ PreviousState: { Name: 'running' } }] });
    await expect(terminateInstance({ target })).resolves.toEqual({
      instanceId: target.instanceId,
      previousState: 'running',
      leaseDeleted: true,
    });
    expect(scheduler.commandCalls(DeleteScheduleCommand)[0].args[0].input).toEqual({
      Name: `lease-${target.instanceId}`,
      GroupName: LEASE_GROUP,
    });
  });

  test('a host without a lease (no schedule) is terminated all the same', async () => {
    ec2.on(TerminateInstancesCommand).resolves({ TerminatingInstances: [{ PreviousState: { Name: 'running' } }] });
    scheduler.on(DeleteScheduleCommand).rejects(
      new ResourceNotFoundException({
        message: 'Schedule does not exist',
        Message: 'Schedule does not exist',
        $metadata: {},
      }),
    );
    await expect(terminateInstance({ target })).resolves.toMatchObject({ leaseDeleted: false });
  });
});

test('RegisterDns CREATEs, and a name somebody else took meanwhile is HostnameTaken', async () => {
  const state: CreateState = {
    config,
    instance,
    running: { status: 'DONE', attempt: 1, waitSeconds: 5, ...polled, privateDnsName: 'ip-10-0-1-4.ec2.internal' },
  };
  route53
    .on(ChangeResourceRecordSetsCommand)
    .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
  await expect(registerDns(state)).resolves.toMatchObject({ changeId: 'C1', value: 'ip-10-0-1-4.ec2.internal' });
  expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0].args[0].input.ChangeBatch?.Changes).toEqual([
    {
      Action: 'CREATE',
      ResourceRecordSet: {
        Name: 'web1.example.internal',
        Type: 'CNAME',
        TTL: 300,
        ResourceRecords: [{ Value: 'ip-10-0-1-4.ec2.internal' }],
      },
    },
  ]);
  route53.on(ChangeResourceRecordSetsCommand).rejects(
    Object.assign(new Error('Tried to create resource record set but it already exists'), {
      name: 'InvalidChangeBatch',
    }),
  );
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: [
      {
        Name: 'web1.example.internal.',
        Type: 'CNAME',
        TTL: 300,
        ResourceRecords: [{ Value: 'ip-10-0-9-9.ec2.internal' }],
      },
    ],
  });
  await expect(registerDns(state)).rejects.toMatchObject({ name: 'HostnameTaken' });
  // Somebody else's record is never overwritten: no UPSERT follows the refused CREATE.
  const actions = route53
    .commandCalls(ChangeResourceRecordSetsCommand)
    .map((c) => c.args[0].input.ChangeBatch?.Changes?.[0].Action);
  expect(actions).toEqual(['CREATE', 'CREATE']);
});

test('RegisterDns retried after a lost response finds its own record and waits on a re-statement of it', async () => {
  const state: CreateState = {
    config,
    instance,
    running: { status: 'DONE', attempt: 1, waitSeconds: 5, ...polled, privateDnsName: 'ip-10-0-1-4.ec2.internal' },
  };
  route53.on(ChangeResourceRecordSetsCommand).callsFake((input) => {
    if (input.ChangeBatch.Changes[0].Action === 'UPSERT') {
      return { ChangeInfo: { Id: '/change/C2', Status: 'PENDING', SubmittedAt: new Date() } };
    }
    throw Object.assign(new Error('[Tried to create ... but it already exists]'), { name: 'InvalidChangeBatch' });
  });
  route53.on(ListResourceRecordSetsCommand).resolves({
    ResourceRecordSets: [
      {
        Name: 'web1.example.internal.',
        Type: 'CNAME',
        TTL: 300,
        ResourceRecords: [{ Value: 'ip-10-0-1-4.ec2.internal.' }],
      },
    ],
  });
  await expect(registerDns(state)).resolves.toMatchObject({ changeId: 'C2', value: 'ip-10-0-1-4.ec2.internal' });
});

test('WaitUntilRunning fails a terminal state with InstanceFailed and its reason', async () => {
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: [{ State: { Name: 'terminated' }, StateReason: { Message: 'Server.InsufficientInstanceCapacity' } }],
      },
    ],
  });
  await expect(waitUntilRunning({ state: { config, instance }, slot: 'running' })).rejects.toMatchObject({
    name: 'InstanceFailed',
    message: expect.stringContaining('InsufficientInstanceCapacity'),
  });
});

describe('a poll check keeps its loop within its time bound', () => {
  const check = (previous: PollResult | undefined, nowMs: number) =>
    pollCheck(
      { state: { loop: previous }, slot: 'loop', interval: 300, maxSeconds: 600 },
      async () => ({ done: false }),
      () => nowMs,
    );
  const t0 = Date.parse('2026-01-01T00:00:00Z');

  test('the first check starts the clock; later waits are the interval, then what is left of the bound', async () => {
    const first = await check(undefined, t0);
    expect(first).toMatchObject({ startedAt: '2026-01-01T00:00:00.000Z', elapsedSeconds: 0, waitSeconds: 300 });
    const late = await check(first, t0 + 590_000);
    expect(late).toMatchObject({ attempt: 2, elapsedSeconds: 590, waitSeconds: 10 });
    // At the bound the Choice ends the loop (PollTimeout); no wait reaches past it.
    const last = await check(late, t0 + 600_500);
    expect(last).toMatchObject({ attempt: 3, elapsedSeconds: 600, waitSeconds: 0, status: 'WAITING' });
  });
});

describe('WaitForHostname', () => {
  const sent: CreateState = {
    config,
    instance,
    hostnameCommand: { commandId: 'set-1', instanceId: instance.instanceId },
  };

  test('still waiting for cloud-init: keeps polling', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });
    expect(await waitForHostname({ state: sent, slot: 'hostnameResult' })).toMatchObject({ status: 'WAITING' });
  });

  test.each([
    ['1', 'status: error', /did not finish: cloud-init: status: error/],
    ['124', '', /still running after 600 s/],
  ])('cloud-init ending %s is UserDataFailed', async (rc, stderr, message) => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Status: 'Failed', StandardOutputContent: `cloud_init=${rc}\n`, StandardErrorContent: stderr });
    await expect(waitForHostname({ state: sent, slot: 'hostnameResult' })).rejects.toMatchObject({
      name: 'UserDataFailed',
      message: expect.stringMatching(message),
    });
  });

  test('cloud-init done with recoverable errors (2) or absent: the hostname is set, the boot id kept', async () => {
    for (const rc of ['2', 'none']) {
      ssm.on(GetCommandInvocationCommand).resolves({
        Status: 'Success',
        StandardOutputContent: `cloud_init=${rc}\nboot_id=boot-1\nstatic=web1.example.internal\nfqdn=web1.example.internal\n`,
      });
      expect(await waitForHostname({ state: sent, slot: 'hostnameResult' })).toMatchObject({
        status: 'DONE',
        bootId: 'boot-1',
      });
    }
  });
});

describe('WaitUntilRebooted', () => {
  const before: CreateState = {
    config,
    instance,
    hostnameResult: { status: 'DONE', attempt: 1, waitSeconds: 5, ...polled, bootId: 'boot-1' },
  };

  test("agent not back yet: waits the operator's interval", async () => {
    ssm
      .on(DescribeInstanceInformationCommand)
      .resolves({ InstanceInformationList: [{ PingStatus: 'ConnectionLost' }] });
    const result = await waitUntilRebooted({ state: before, slot: 'rebooted', interval: 5, commandSeconds: 2 });
    expect(result).toEqual({ status: 'WAITING', attempt: 1, waitSeconds: 5, ...firstCheck });
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  test('agent Online: sends the read-only probe and looks again when a command is usually done', async () => {
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ PingStatus: 'Online' }] });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'probe-1' } });
    const result = await waitUntilRebooted({ state: before, slot: 'rebooted', interval: 5, commandSeconds: 2 });
    expect(result).toEqual({ status: 'WAITING', attempt: 1, waitSeconds: 2, ...firstCheck, probeCommandId: 'probe-1' });
    // An operator's shorter interval still wins: the probe's figure only ever shortens the wait.
    const fast = await waitUntilRebooted({ state: before, slot: 'rebooted', interval: 0, commandSeconds: 2 });
    expect(fast).toMatchObject({ waitSeconds: 0 });
    expect(ssm.commandCalls(SendCommandCommand)[0].args[0].input).toMatchObject({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [instance.instanceId],
    });
  });

  test('the same boot id means no reboot yet; a new one with the fqdn is done', async () => {
    const probing = {
      ...before,
      rebooted: { status: 'WAITING' as const, attempt: 3, waitSeconds: 2, ...polled, probeCommandId: 'probe-1' },
    };
    ssm.on(GetCommandInvocationCommand).resolves({
      Status: 'Success',
      StandardOutputContent: 'boot_id=boot-1\nstatic=web1.example.internal\nfqdn=web1.example.internal\n',
    });
    expect(await waitUntilRebooted({ state: probing, slot: 'rebooted' })).toMatchObject({
      status: 'WAITING',
      attempt: 4,
    });
    ssm.on(GetCommandInvocationCommand).resolves({
      Status: 'Success',
      StandardOutputContent: 'boot_id=boot-2\nstatic=web1.example.internal\nfqdn=web1.example.internal\n',
    });
    expect(await waitUntilRebooted({ state: probing, slot: 'rebooted' })).toMatchObject({
      status: 'DONE',
      bootId: 'boot-2',
    });
  });

  test('a new boot with another hostname is RebootNotVerified', async () => {
    const probing = {
      ...before,
      rebooted: { status: 'WAITING' as const, attempt: 3, waitSeconds: 2, ...polled, probeCommandId: 'probe-1' },
    };
    ssm
      .on(GetCommandInvocationCommand)
      .resolves({ Status: 'Success', StandardOutputContent: 'boot_id=boot-2\nstatic=ip-10-0-1-4\nfqdn=ip-10-0-1-4\n' });
    await expect(waitUntilRebooted({ state: probing, slot: 'rebooted' })).rejects.toMatchObject({
      name: 'RebootNotVerified',
    });
  });
});

describe('RollBack', () => {
  const error = { Error: 'CommandFailed', Cause: 'x' };
  const ours = {
    InstanceId: 'i-0123456789abcdef0',
    State: { Name: 'running' as const },
    PrivateDnsName: 'ip-10-0-1-4.ec2.internal',
    PrivateIpAddress: '10.0.1.4',
  };

  test('removes the record only when it points at an instance this execution launched, then terminates', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [ours] }] });
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        { Name: 'web1.example.internal.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: ours.PrivateDnsName }] },
      ],
    });
    route53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: 'C', Status: 'PENDING', SubmittedAt: new Date() } });
    await rollBack({ config, error });
    expect(
      route53.commandCalls(ChangeResourceRecordSetsCommand)[0].args[0].input.ChangeBatch?.Changes?.[0].Action,
    ).toBe('DELETE');
    expect(ec2.commandCalls(TerminateInstancesCommand)[0].args[0].input).toEqual({ InstanceIds: [ours.InstanceId] });
    expect(ec2.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters?.[0]).toEqual({
      Name: 'tag:lifecycle:execution',
      Values: [config.executionId],
    });
  });

  test("leaves somebody else's record alone", async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [ours] }] });
    route53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        { Name: 'web1.example.internal.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'other.host' }] },
      ],
    });
    const result = await rollBack({ config, error });
    expect(result.removedRecord).toBeUndefined();
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
    expect(result.terminated).toEqual([ours.InstanceId]);
  });

  test('deletes the lease schedule of every instance the execution launched, one EC2 ended at launch too', async () => {
    const ended = { InstanceId: 'i-0fedcba9876543210', State: { Name: 'terminated' as const } };
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [ours, ended] }] });
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [] });
    scheduler.on(DeleteScheduleCommand, { Name: `lease-${ended.InstanceId}` }).rejects(
      new ResourceNotFoundException({
        message: 'Schedule does not exist',
        Message: 'Schedule does not exist',
        $metadata: {},
      }),
    );
    const result = await rollBack({ config, error });
    expect(result.terminated).toEqual([ours.InstanceId]);
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input)).toEqual([
      { Name: `lease-${ours.InstanceId}`, GroupName: LEASE_GROUP },
      { Name: `lease-${ended.InstanceId}`, GroupName: LEASE_GROUP },
    ]);
    expect(result.removedLeases).toEqual([`lease-${ours.InstanceId}`]);
  });
});

test('RunBootstrap runs an allowed SSM document with its parameters on the new instance', async () => {
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
  const bootstrap = { document: 'AWS-ApplyAnsiblePlaybooks', parameters: { PlaybookFile: ['site.yml'] } };
  await expect(runBootstrap({ config: { ...config, bootstrap }, instance })).resolves.toEqual({
    commandId: 'cmd-1',
    instanceId: instance.instanceId,
  });
  expect(ssm.commandCalls(SendCommandCommand)[0].args[0].input).toMatchObject({
    DocumentName: 'AWS-ApplyAnsiblePlaybooks',
    InstanceIds: [instance.instanceId],
    Parameters: { PlaybookFile: ['site.yml'] },
  });
});

describe("ExpandFleet's plan: every host at once, launches at the pace EC2's RunInstances bucket refills", () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);

  test('fifty hosts in two groups of 25: four start at once, then two a second, the last after 23 s', () => {
    const { groups, perGroup } = fleetGroups(50);
    expect({ groups, perGroup }).toEqual({ groups: 2, perGroup: 25 });
    const plan = planFleet(names(50), groups, perGroup, DEFAULT_FLEET_PACE);
    expect(plan.map((g) => g.length)).toEqual([25, 25]);
    expect(plan.flat().map((h) => h.hostname)).toEqual(names(50));
    const starts = plan.flat().map((h) => h.startAfter);
    expect(starts.filter((s) => s === 0)).toHaveLength(4);
    expect(Math.max(...starts)).toBe(23);
    // RunInstances: a bucket of 5, refilled 2 a second. By any second t, at most 4 + 2t launches: one token in hand.
    for (let t = 0; t <= 23; t++) expect(starts.filter((s) => s <= t).length).toBeLessThanOrEqual(4 + 2 * t);
  });

  test('with fewer hosts at once than hosts, only the first wave is paced: the others start as slots free', () => {
    const { groups, perGroup } = fleetGroups(5);
    expect({ groups, perGroup }).toEqual({ groups: 1, perGroup: 5 });
    const plan = planFleet(names(12), groups, perGroup, DEFAULT_FLEET_PACE);
    expect(plan).toHaveLength(1);
    expect(plan[0].map((h) => h.startAfter)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    // 45 at once: two groups of 22, never more than asked.
    expect(fleetGroups(45)).toEqual({ groups: 2, perGroup: 22 });
  });

  test('a fleet smaller than the groups has no empty group; a pace of 0 starts every host at once', () => {
    expect(planFleet(['a'], 2, 25, DEFAULT_FLEET_PACE)).toEqual([[{ hostname: 'a', startAfter: 0 }]]);
    // Twelve in two groups of six: launch order runs on from one group to the next.
    const twelve = planFleet(names(12), 2, 25, DEFAULT_FLEET_PACE);
    expect(twelve.map((g) => g.map((h) => h.startAfter))).toEqual([
      [0, 0, 0, 0, 1, 1],
      [2, 2, 3, 3, 4, 4],
    ]);
    const all = planFleet(names(50), 2, 25, { burst: 4, perSecond: 0 }).flat();
    expect(all.every((h) => h.startAfter === 0)).toBe(true);
    expect(startAfter(4, { burst: 4, perSecond: 10 })).toBe(1);
  });
});
