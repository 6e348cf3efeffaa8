/**
 * Emulator fidelity: each AWS behaviour that ever surprised this project, answered by the emulator
 * as AWS answers it, through the SDK as the handlers call it. The workflows are tested against
 * these behaviours elsewhere; here the emulator itself is held to AWS's word.
 */
import {
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RebootInstancesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { CreateScheduleCommand, CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  CreateDocumentCommand,
  DescribeParametersCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { clientConfig } from '../src/emulator/account';
import { Harness, ZONE } from '../src/harness';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

const ssm = () => new SSMClient(clientConfig(h.url));

async function launch(imageId = 'ami-0ed094fb1304fd857'): Promise<string> {
  const out = await new EC2Client(clientConfig(h.url)).send(
    new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }),
  );
  return out.Instances?.[0]?.InstanceId ?? '';
}

describe('SSM Run Command', () => {
  const twoSteps = JSON.stringify({
    schemaVersion: '2.2',
    description: 'two steps',
    mainSteps: [
      { action: 'aws:runShellScript', name: 'first', inputs: { runCommand: ["echo 'one'"] } },
      { action: 'aws:runShellScript', name: 'second', inputs: { runCommand: ["echo 'two'", 'exit 4'] } },
    ],
  });

  /** A document with two steps, created and sent to a new instance. */
  async function sendTwoSteps() {
    const instanceId = await launch();
    await ssm().send(
      new CreateDocumentCommand({
        Name: 'Two-Steps',
        Content: twoSteps,
        DocumentType: 'Command',
        DocumentFormat: 'JSON',
      }),
    );
    const sent = await ssm().send(new SendCommandCommand({ DocumentName: 'Two-Steps', InstanceIds: [instanceId] }));
    return { instanceId, sent };
  }

  test('GetCommandInvocation of a document with several steps needs PluginName (InvalidPluginName)', async () => {
    const { instanceId, sent } = await sendTwoSteps();
    const CommandId = sent.Command?.CommandId ?? '';
    await expect(
      ssm().send(new GetCommandInvocationCommand({ CommandId, InstanceId: instanceId })),
    ).rejects.toMatchObject({ name: 'InvalidPluginName' });
    const first = await ssm().send(
      new GetCommandInvocationCommand({ CommandId, InstanceId: instanceId, PluginName: 'first' }),
    );
    expect(first).toMatchObject({ Status: 'Success', StandardOutputContent: 'one\n' });
    const second = await ssm().send(
      new GetCommandInvocationCommand({ CommandId, InstanceId: instanceId, PluginName: 'second' }),
    );
    expect(second).toMatchObject({ Status: 'Failed', StandardOutputContent: 'two\n' });
  });

  test('ListCommandInvocations (which moto lacks) lists each step with its status and output', async () => {
    const { instanceId, sent } = await sendTwoSteps();
    const out = await ssm().send(
      new ListCommandInvocationsCommand({ CommandId: sent.Command?.CommandId, InstanceId: instanceId, Details: true }),
    );
    expect(out.CommandInvocations).toEqual([
      expect.objectContaining({
        Status: 'Failed',
        CommandPlugins: [
          expect.objectContaining({ Name: 'first', Status: 'Success', Output: 'one\n' }),
          expect.objectContaining({ Name: 'second', Status: 'Failed', Output: 'two\n' }),
        ],
      }),
    ]);
  });

  test('SendCommand with a document that does not exist is InvalidDocument', async () => {
    const instanceId = await launch();
    await expect(
      ssm().send(new SendCommandCommand({ DocumentName: 'No-Such-Doc', InstanceIds: [instanceId] })),
    ).rejects.toMatchObject({ name: 'InvalidDocument' });
  });

  test('AWS-RunShellScript is one step, aws:runShellScript; GetCommandInvocation needs no PluginName', async () => {
    const instanceId = await launch();
    const sent = await ssm().send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [instanceId],
        Parameters: { commands: ["echo 'hello'"] },
      }),
    );
    const out = await ssm().send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: instanceId }),
    );
    expect(out).toMatchObject({
      Status: 'Success',
      PluginName: 'aws:runShellScript',
      StandardOutputContent: 'hello\n',
    });
  });
});

describe('the guest', () => {
  test('systemd keeps 64 characters of a static hostname; a minimal image has no hostname binary', async () => {
    const instanceId = await launch('ami-09a5f24d3c419a4ba'); // al2023-ami-minimal-...-kernel-6.1-x86_64
    const long = `${'a'.repeat(40)}.${'b'.repeat(40)}`;
    const sent = await ssm().send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [instanceId],
        Parameters: { commands: [`hostnamectl set-hostname '${long}'`, 'echo "hostname=$(hostname -f)"'] },
      }),
    );
    const guest = h.emulator.proxy.guests.peek(instanceId);
    expect(guest?.staticHostname).toBe(long.slice(0, 64));
    const out = await ssm().send(
      new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId, InstanceId: instanceId }),
    );
    expect(out.StandardErrorContent).toContain('hostname: not found');
  });

  test('cloud-init runs the user data for a while after the agent is Online; a reboot then cuts it short', async () => {
    const instanceId = await launch();
    const guest = h.emulator.proxy.guests.peek(instanceId);
    expect(guest?.userData).toBe('running');
    await new EC2Client(clientConfig(h.url)).send(new RebootInstancesCommand({ InstanceIds: [instanceId] }));
    expect(guest?.userData).toBe('cut');
  });
});

describe('EC2 placement', () => {
  test("RunInstances where the subnet's zone does not offer the type is Unsupported, as EC2 answers", async () => {
    const ec2 = new EC2Client(clientConfig(h.url));
    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    const inZone = (az: string) => subnets.find((s) => s.AvailabilityZone === az)?.SubnetId;
    const launch = (SubnetId?: string) =>
      ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0ed094fb1304fd857',
          InstanceType: 't3.micro',
          MinCount: 1,
          MaxCount: 1,
          SubnetId,
        }),
      );
    await expect(launch(inZone('us-east-1e'))).rejects.toMatchObject({
      name: 'Unsupported',
      message: expect.stringMatching(/t3\.micro.*not supported.*us-east-1e.*us-east-1a/),
    });
    await expect(launch(inZone('us-east-1a'))).resolves.toMatchObject({ Instances: [expect.anything()] });
  });
});

describe('EBS encryption with a customer managed key', () => {
  test('a key that does not exist: launched, then terminated with Client.InvalidKMSKey.InvalidState', async () => {
    const ec2 = new EC2Client(clientConfig(h.url));
    const launched = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0ed094fb1304fd857',
        MinCount: 1,
        MaxCount: 1,
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: {
              Encrypted: true,
              VolumeSize: 8,
              KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
            },
          },
        ],
      }),
    );
    const id = launched.Instances?.[0]?.InstanceId ?? '';
    const [instance] = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]
      ?.Instances ?? [{}];
    expect(instance).toMatchObject({
      State: { Name: 'terminated' },
      StateReason: { Code: 'Client.InvalidKMSKey.InvalidState' },
    });
  });
});

describe('Route 53 changes', () => {
  test('each ChangeResourceRecordSets has its own change ID, which GetChange answers', async () => {
    const route53 = new Route53Client(clientConfig(h.url));
    const zone = await route53.send(new ListHostedZonesByNameCommand({ DNSName: ZONE, MaxItems: 1 }));
    const zoneId = zone.HostedZones?.[0]?.Id ?? '';
    const change = (name: string) =>
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'CREATE',
                ResourceRecordSet: {
                  Name: `${name}.${ZONE}`,
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: '10.0.0.9' }],
                },
              },
            ],
          },
        }),
      );
    const ids = [(await change('one')).ChangeInfo?.Id, (await change('two')).ChangeInfo?.Id];
    expect(ids[0]).toMatch(/^\/change\/C[A-Z0-9]+$/);
    expect(ids[1]).toMatch(/^\/change\/C[A-Z0-9]+$/);
    expect(ids[0]).not.toBe(ids[1]);
    const got = await route53.send(new GetChangeCommand({ Id: ids[1] }));
    expect(got.ChangeInfo).toMatchObject({ Id: ids[1], Status: 'INSYNC' });
  });
});

describe('Parameter Store', () => {
  const put = (Value: string, Tier?: 'Standard' | 'Advanced' | 'Intelligent-Tiering') =>
    ssm().send(new PutParameterCommand({ Name: '/limits/p', Value, Type: 'String', Overwrite: true, Tier }));

  test('a Standard value over 4096 characters is a ValidationException, as Parameter Store answers', async () => {
    await expect(put('x'.repeat(4097))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/^Standard tier parameters support a maximum parameter value of 4096/),
    });
    await expect(put('x'.repeat(8193), 'Advanced')).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('Intelligent-Tiering stores what fits as Standard, and up to 8 KB as Advanced', async () => {
    const tierOf = async () =>
      (await ssm().send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: ['/limits/p'] }] })))
        .Parameters?.[0]?.Tier;
    await put('small', 'Intelligent-Tiering');
    expect(await tierOf()).toBe('Standard');
    await put('x'.repeat(5000), 'Intelligent-Tiering');
    expect(await tierOf()).toBe('Advanced');
  });
});

describe("EventBridge Scheduler and the emulator's clock", () => {
  const scheduler = () => new SchedulerClient(clientConfig(h.url));
  const clock = async (method = 'GET', body?: unknown) => {
    const res = await fetch(`${h.url}/_emulator/clock`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  test('the clock is real time until moved forward; it never goes back; a reset puts it back', async () => {
    const start = Date.now();
    const read = await clock();
    expect(Date.parse(String(read.body.now))).toBeGreaterThanOrEqual(start - 5);
    expect(read.body.offsetSeconds).toBe(0);
    const moved = await clock('POST', { advanceSeconds: 3600 });
    expect(moved).toMatchObject({ status: 200, body: { fired: [] } });
    expect(Date.parse(String(moved.body.now)) - Date.now()).toBeGreaterThan(3590_000);
    const to = new Date(Date.now() + 2 * 3600_000).toISOString();
    expect(Date.parse(String((await clock('POST', { to })).body.now))).toBeGreaterThanOrEqual(Date.parse(to));
    expect(await clock('POST', { advanceSeconds: -60 })).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/advanceSeconds/) },
    });
    expect(await clock('POST', { to: new Date().toISOString() })).toMatchObject({ status: 400 });
    await h.reset();
    expect((await clock()).body.offsetSeconds).toBe(0);
  });

  test('CreateSchedule in a group that does not exist is ResourceNotFoundException, as the Scheduler answers', async () => {
    await expect(
      scheduler().send(
        new CreateScheduleCommand({
          Name: 'lease-i-0123456789abcdef0',
          GroupName: 'nowhere',
          ScheduleExpression: 'at(2030-01-01T00:00:00)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: {
            Arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:x',
            RoleArn: 'arn:aws:iam::123456789012:role/x',
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  test("a due schedule whose target the Step Functions API does not run is left alone (the local engine's)", async () => {
    await scheduler().send(new CreateScheduleGroupCommand({ Name: 'leases' }));
    await scheduler().send(
      new CreateScheduleCommand({
        Name: 'lease-i-0123456789abcdef0',
        GroupName: 'leases',
        ScheduleExpression: 'at(2020-01-01T00:00:00)',
        ActionAfterCompletion: 'DELETE',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:elsewhere',
          RoleArn: 'arn:aws:iam::123456789012:role/x',
        },
      }),
    );
    expect((await clock('POST', { advanceSeconds: 0 })).body.fired).toEqual([]);
    expect((await h.schedules()).map((s) => s.Name)).toEqual(['lease-i-0123456789abcdef0']);
  });
});
