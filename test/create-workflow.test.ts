/**
 * The synthesized create-vm state machine, run by the local interpreter against the emulator:
 * every branch (success, each named error, retries, poll timeout, roll-back).
 */

import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateDocumentCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { EXECUTION_TAG, FQDN_TAG, MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../lambdas/lib/contract';
import { readableCause } from '../src/cli/output';
import { clientConfig } from '../src/emulator/account';
import type { ExecutionResult, StepEvent } from '../src/engine/local-engine';
import { Harness, tag, ZONE } from '../src/harness';

const h = new Harness();
beforeAll(() => h.start());
afterAll(() => h.stop());
beforeEach(() => h.reset());

async function create(input: Record<string, unknown>): Promise<{ result: ExecutionResult; steps: StepEvent[] }> {
  const steps: StepEvent[] = [];
  const result = await h.engine.run('create', { pollIntervalSeconds: 0, ...input }, (e) => steps.push(e));
  return { result, steps };
}

function failed(result: ExecutionResult) {
  if (result.status !== 'FAILED') throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result;
}

describe('create-vm succeeds', () => {
  test('launches a tagged instance, registers its CNAME, sets the hostname and proves the reboot', async () => {
    const { result, steps } = await create({ hostname: 'web1', dnsZone: ZONE, tags: { team: 'infra' } });
    expect(result.status).toBe('SUCCEEDED');
    const output = (result as { output: Record<string, unknown> }).output;

    const [instance] = await h.liveInstances();
    expect(instance.State?.Name).toBe('running');
    expect(tag(instance, 'Name')).toBe('web1');
    expect(tag(instance, MANAGED_BY_TAG)).toBe(MANAGED_BY_VALUE);
    expect(tag(instance, FQDN_TAG)).toBe('web1.example.internal');
    expect(tag(instance, EXECUTION_TAG)).toBe(result.executionId);
    expect(tag(instance, 'team')).toBe('infra');
    expect(instance.MetadataOptions?.HttpTokens).toBe('required');

    expect(await h.hostRecords()).toEqual([
      expect.objectContaining({
        Name: 'web1.example.internal.',
        Type: 'CNAME',
        ResourceRecords: [{ Value: instance.PrivateDnsName }],
      }),
    ]);
    expect(output).toMatchObject({
      instanceId: instance.InstanceId,
      privateIp: instance.PrivateIpAddress,
      fqdn: 'web1.example.internal',
      recordType: 'CNAME',
    });

    const guest = h.emulator.proxy.guests.peek(instance.InstanceId ?? '');
    expect(guest?.reboots).toBe(1);
    expect(output.bootId).toBe(guest?.bootId);
    expect(guest?.hostname).toBe('web1.example.internal');
    expect(guest?.preserveHostname).toBe(true);

    const setHostname = h.emulator.proxy.commands[0].commands;
    expect(setHostname).toContain("hostnamectl set-hostname 'web1.example.internal'");
    expect(setHostname.join('\n')).toContain('preserve_hostname: true');

    const names = steps.filter((s) => s.status === 'Succeeded').map((s) => s.name);
    for (const state of ['ValidateInput', 'LaunchInstance', 'WaitUntilRunning', 'WaitUntilManaged', 'RegisterDns']) {
      expect(names).toContain(state);
    }
    for (const state of ['WaitForDnsSync', 'SetHostname', 'WaitForHostname', 'RebootInstance', 'WaitUntilRebooted']) {
      expect(names).toContain(state);
    }
    // The reboot check waited while the agent was offline: the loop went round at least once.
    expect(names.filter((n) => n === 'WaitUntilRebooted (wait)').length).toBeGreaterThan(0);
  });

  test('an A record points at the private IP', async () => {
    const { result } = await create({ hostname: 'db1', dnsZone: ZONE, recordType: 'A', ttl: 60 });
    expect(result.status).toBe('SUCCEEDED');
    const [instance] = await h.liveInstances();
    expect(await h.hostRecords()).toEqual([
      expect.objectContaining({ Type: 'A', TTL: 60, ResourceRecords: [{ Value: instance.PrivateIpAddress }] }),
    ]);
  });
});

describe('create-vm refuses bad input before anything is created', () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['an empty hostname', { hostname: '', dnsZone: ZONE }, 'InvalidInput', /^hostname: must not be empty/],
    ['a 64-character hostname', { hostname: 'a'.repeat(64), dnsZone: ZONE }, 'InvalidInput', /^hostname: .*63/],
    ['an underscore', { hostname: 'web_1', dnsZone: ZONE }, 'InvalidInput', /^hostname: "web_1" is not a DNS label/],
    ['a shell separator', { hostname: 'a;reboot', dnsZone: ZONE }, 'InvalidInput', /^hostname: "a;reboot"/],
    ['a command substitution', { hostname: '$(id)', dnsZone: ZONE }, 'InvalidInput', /^hostname: "\$\(id\)"/],
    ['an unknown zone', { hostname: 'web1', dnsZone: 'nowhere.internal' }, 'ZoneNotFound', /^dnsZone: /],
    ['an unknown field', { hostname: 'web1', dnsZone: ZONE, hostnme: 'x' }, 'InvalidInput', /^hostnme: unknown field/],
    ['a bad record type', { hostname: 'web1', dnsZone: ZONE, recordType: 'MX' }, 'InvalidInput', /^recordType: /],
    ['a quote in a tag', { hostname: 'web1', dnsZone: ZONE, tags: { a: "x'y" } }, 'InvalidInput', /^tags\.a: /],
    ['a command in a tag', { hostname: 'web1', dnsZone: ZONE, tags: { a: '$(id)' } }, 'InvalidInput', /^tags\.a: /],
    ['a homoglyph', { hostname: 'w\u0435b1', dnsZone: ZONE }, 'InvalidInput', /^hostname: /],
    ['a newline', { hostname: 'web1\nreboot', dnsZone: ZONE }, 'InvalidInput', /^hostname: /],
    ['a trailing dot', { hostname: 'web1.', dnsZone: ZONE }, 'InvalidInput', /^hostname: /],
    ['a zone with a separator', { hostname: 'web1', dnsZone: 'example.internal;id' }, 'InvalidInput', /^dnsZone: /],
  ];
  test.each(cases)('%s', async (_label, input, error, message) => {
    const { result, steps } = await create(input);
    const failure = failed(result);
    expect(failure.error).toBe(error);
    // The cause is the Lambda runtime's own JSON, as Step Functions reports it on AWS.
    expect(JSON.parse(failure.cause)).toEqual({
      errorType: error,
      errorMessage: expect.stringMatching(message),
      trace: expect.arrayContaining([expect.stringContaining(error)]),
    });
    expect(steps.map((s) => s.name)).not.toContain('LaunchInstance');
    expect(await h.instances()).toHaveLength(0);
    expect(await h.hostRecords()).toHaveLength(0);
    expect(h.emulator.proxy.calls.get('RunInstances')).toBeUndefined();
    expect(h.emulator.proxy.commands).toEqual([]);
  });

  test('upper case and a trailing dot are normalised; only the normalised name reaches the instance', async () => {
    const { result } = await create({ hostname: 'WEB1', dnsZone: 'Example.Internal.' });
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { fqdn: 'web1.example.internal' } });
    const sent = h.emulator.proxy.commands.flatMap((c) => c.commands).join('\n');
    expect(sent).toContain("hostnamectl set-hostname 'web1.example.internal'");
    expect(sent).not.toMatch(/WEB1|Example/);
    expect((await h.hostRecords()).map((r) => r.Name)).toEqual(['web1.example.internal.']);
  });

  test('a name already in the zone is HostnameTaken, and the record is left alone', async () => {
    expect((await create({ hostname: 'web1', dnsZone: ZONE })).result.status).toBe('SUCCEEDED');
    const before = await h.hostRecords();
    const failure = failed((await create({ hostname: 'web1', dnsZone: ZONE })).result);
    expect(failure.error).toBe('HostnameTaken');
    expect(failure.cause).toContain('web1.example.internal');
    expect(await h.liveInstances()).toHaveLength(1);
    expect(await h.hostRecords()).toEqual(before);
  });
});

describe('placement', () => {
  const ec2 = () => new EC2Client(clientConfig(h.url));
  async function subnetIn(az: string): Promise<{ SubnetId?: string; VpcId?: string }> {
    const subnets = (await ec2().send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    return subnets.find((s) => s.AvailabilityZone === az && s.VpcId) ?? {};
  }

  test('the subnet is chosen only in a zone that offers the instance type, however roomy the others', async () => {
    const { result } = await create({ hostname: 'web1', dnsZone: ZONE });
    expect(result.status).toBe('SUCCEEDED');
    const [instance] = await h.liveInstances();
    expect(instance.Placement?.AvailabilityZone).toBe('us-east-1a');
  });

  test('a named subnet whose zone lacks the type is InvalidInput naming both, before launch', async () => {
    const { SubnetId } = await subnetIn('us-east-1e');
    const failure = failed((await create({ hostname: 'web1', dnsZone: ZONE, subnetId: SubnetId })).result);
    expect(failure.error).toBe('InvalidInput');
    expect(readableCause(failure.cause)).toMatch(
      new RegExp(`^subnetId: ${SubnetId} is in us-east-1e, where t3.micro is not offered`),
    );
    expect(h.emulator.proxy.calls.get('RunInstances')).toBeUndefined();
  });

  test('an instance type offered nowhere in the region is InvalidInput', async () => {
    const failure = failed((await create({ hostname: 'web1', dnsZone: ZONE, instanceType: 't3.colossal' })).result);
    expect(failure.error).toBe('InvalidInput');
    expect(readableCause(failure.cause)).toMatch(/^instanceType: t3.colossal is not offered/);
  });

  test('a subnet in a VPC the private zone is not associated with is InvalidInput naming zone and VPC', async () => {
    const vpc = await ec2().send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const VpcId = vpc.Vpc?.VpcId ?? '';
    const subnet = await ec2().send(
      new CreateSubnetCommand({ VpcId, CidrBlock: '10.9.1.0/24', AvailabilityZone: 'us-east-1b' }),
    );
    const subnetId = subnet.Subnet?.SubnetId;
    const failure = failed((await create({ hostname: 'web1', dnsZone: ZONE, subnetId })).result);
    expect(failure.error).toBe('InvalidInput');
    expect(readableCause(failure.cause)).toMatch(
      new RegExp(`^subnetId: ${subnetId} is in ${VpcId}, which the private zone ${ZONE} is not associated with`),
    );
    expect(h.emulator.proxy.calls.get('RunInstances')).toBeUndefined();
  });
});

describe('what the deployment lets the steps use', () => {
  test('the local deployment can be prepared again on the same emulator (a second command against it)', async () => {
    await h.engine.prepare(true);
    await h.engine.prepare(true);
    expect((await create({ hostname: 'again', dnsZone: ZONE })).result.status).toBe('SUCCEEDED');
  });

  afterEach(() => {
    delete process.env.IMAGE_PARAMETER_PATHS;
    delete process.env.EBS_KMS_KEY_ID;
  });

  test('an imageParameter outside the paths the role may read is InvalidInput before launch; imageParameterPaths widens them', async () => {
    await new SSMClient(clientConfig(h.url)).send(
      new PutParameterCommand({ Name: '/golden/al2023', Value: 'ami-0ed094fb1304fd857', Type: 'String' }),
    );
    const input = { hostname: 'web1', dnsZone: ZONE, imageParameter: '/golden/al2023' };
    const failure = failed((await create(input)).result);
    expect(failure.error).toBe('InvalidInput');
    expect(readableCause(failure.cause)).toMatch(
      /^imageParameter: \/golden\/al2023 is outside the parameters this deployment may read \(\/aws\/service\/\)/,
    );
    expect(h.emulator.proxy.calls.get('RunInstances')).toBeUndefined();
    // As the stack sets it with imageParameterPaths: ["/golden/"] in cdk.json.
    process.env.IMAGE_PARAMETER_PATHS = '/aws/service/,/golden/';
    expect((await create(input)).result.status).toBe('SUCCEEDED');
  });

  test('with a customer managed key the root volume is encrypted with it; a key EBS cannot use is rolled back', async () => {
    const kms = new KMSClient(clientConfig(h.url));
    const key = (await kms.send(new CreateKeyCommand({ Description: 'root volumes' }))).KeyMetadata?.Arn ?? '';
    process.env.EBS_KMS_KEY_ID = key;
    expect((await create({ hostname: 'web1', dnsZone: ZONE })).result.status).toBe('SUCCEEDED');
    const [instance] = await h.liveInstances();
    const volumes = await new EC2Client(clientConfig(h.url)).send(
      new DescribeVolumesCommand({
        Filters: [{ Name: 'attachment.instance-id', Values: [instance.InstanceId ?? ''] }],
      }),
    );
    expect(volumes.Volumes).toEqual([expect.objectContaining({ Encrypted: true, KmsKeyId: key })]);

    await kms.send(new DisableKeyCommand({ KeyId: key.split('/').pop() }));
    const failure = failed((await create({ hostname: 'web2', dnsZone: ZONE })).result);
    expect(failure.error).toBe('InstanceFailed');
    expect(readableCause(failure.cause)).toContain('Client.InvalidKMSKey.InvalidState');
    expect((await h.host('web2')).live).toHaveLength(0);
  });
});

describe('the guest as systemd and cloud-init make it', () => {
  test('an FQDN longer than the 64 characters a static hostname keeps: hostname -f still answers it', async () => {
    // 20 + 1 + 52 = 73 characters: systemd would keep the first 64 of it as the static hostname.
    const zone = `${'z'.repeat(43)}.internal`;
    await h.emulator.proxy.seedZone(zone);
    const hostname = 'a'.repeat(20);
    const { result } = await create({ hostname, dnsZone: zone });
    const fqdn = `${hostname}.${zone}`;
    expect(fqdn.length).toBe(73);
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { fqdn } });
    const [instance] = await h.liveInstances();
    const guest = h.emulator.proxy.guests.peek(instance.InstanceId ?? '');
    expect(guest && h.emulator.proxy.guests.canonicalName(guest)).toBe(fqdn);
    // The short name is the static hostname; /etc/hosts makes it resolve to the FQDN.
    expect(guest?.staticHostname).toBe(hostname);
  });

  test('an image without the hostname binary (AL2023 minimal) is named and verified all the same', async () => {
    const { result } = await create({
      hostname: 'web1',
      dnsZone: ZONE,
      imageParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-x86_64',
    });
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { fqdn: 'web1.example.internal' } });
    const [instance] = await h.liveInstances();
    expect(h.emulator.proxy.guests.peek(instance.InstanceId ?? '')?.hasHostnameBinary).toBe(false);
  });

  test('the reboot waits for cloud-init: user data still running after the agent is Online is never cut short', async () => {
    const { result } = await create({ hostname: 'web1', dnsZone: ZONE });
    expect(result.status).toBe('SUCCEEDED');
    const [instance] = await h.liveInstances();
    const guest = h.emulator.proxy.guests.peek(instance.InstanceId ?? '');
    expect(guest).toMatchObject({ userData: 'done', reboots: 1 });
  });

  test('user data that ends in error is UserDataFailed, rolled back before any reboot', async () => {
    h.faults([{ kind: 'user-data-fails', operation: 'RunInstances' }]);
    const { result, steps } = await create({ hostname: 'web1', dnsZone: ZONE });
    const failure = failed(result);
    expect(failure.error).toBe('UserDataFailed');
    expect(readableCause(failure.cause)).toContain('scripts-user');
    expect(steps.map((s) => s.name)).not.toContain('RebootInstance');
    expect(await h.liveInstances()).toHaveLength(0);
    expect(await h.hostRecords()).toHaveLength(0);
  });
});

describe('create-vm rolls back a failure after launch', () => {
  test('a failed set-hostname command: CommandFailed, no instance left running, no record', async () => {
    h.faults([{ kind: 'command-failed', operation: 'SendCommand', match: 'hostnamectl', message: 'disk full' }]);
    const { result, steps } = await create({ hostname: 'web1', dnsZone: ZONE });
    const failure = failed(result);
    expect(failure.error).toBe('CommandFailed');
    expect(failure.cause).toContain('disk full');
    expect(steps.map((s) => `${s.name}:${s.status}`)).toEqual(
      expect.arrayContaining(['RollBack:Succeeded', 'CreateFailed:Failed']),
    );
    expect(await h.instances()).toHaveLength(1);
    expect(await h.liveInstances()).toHaveLength(0);
    expect(await h.hostRecords()).toHaveLength(0);
  });

  test('a roll-back that cannot finish says both what failed and why it could not be undone', async () => {
    h.faults([
      { kind: 'command-failed', operation: 'SendCommand', step: 'SetHostname', message: 'disk full' },
      { kind: 'throttle', operation: '*', step: 'RollBack' },
    ]);
    const failure = failed((await create({ hostname: 'web1', dnsZone: ZONE })).result);
    expect(failure.error).toBe('RollBackFailed');
    expect(failure.cause).toMatch(
      /^the roll-back after .*CommandFailed.*disk full.* failed with .*RequestLimitExceeded/,
    );
    expect(failure.cause).toContain(`lifecycle:execution=${failure.executionId}`);
  });
});

describe('post-boot bootstrap', () => {
  test('commands run after the verified reboot; their status and output are in the execution output', async () => {
    const bootstrap = { commands: ['dnf install -y nginx', "echo 'nginx ready'"] };
    const { result } = await create({ hostname: 'web1', dnsZone: ZONE, bootstrap });
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: { bootstrap: { status: 'DONE', commandStatus: 'Success', output: 'nginx ready\n' } },
    });
    const sent = h.emulator.proxy.commands;
    expect(sent[sent.length - 1].commands).toEqual(bootstrap.commands);
    // It ran after the reboot had been proven: the probe came before it.
    const probe = sent.findIndex(
      (c) => c.commands.some((l) => l.includes('boot_id')) && !c.commands.some((l) => l.includes('hostnamectl')),
    );
    expect(probe).toBeGreaterThan(-1);
    expect(probe).toBeLessThan(sent.length - 1);
  });

  describe('an SSM document with several steps', () => {
    const document = 'Acme-WebServer';
    beforeEach(async () => {
      await new SSMClient(clientConfig(h.url)).send(
        new CreateDocumentCommand({
          Name: document,
          DocumentType: 'Command',
          DocumentFormat: 'JSON',
          Content: JSON.stringify({
            schemaVersion: '2.2',
            description: 'install and start a web server',
            parameters: { site: { type: 'String' } },
            mainSteps: [
              {
                action: 'aws:runShellScript',
                name: 'installNginx',
                inputs: { runCommand: ["echo 'nginx installed'"] },
              },
              {
                action: 'aws:runShellScript',
                name: 'startNginx',
                inputs: { runCommand: ["echo 'serving {{ site }}'", '{{ site }}'] },
              },
            ],
          }),
        }),
      );
      process.env.BOOTSTRAP_DOCUMENTS = document;
    });
    afterEach(() => {
      delete process.env.BOOTSTRAP_DOCUMENTS;
    });

    test("every step's status and output are read, and are in the execution output", async () => {
      const bootstrap = { document, parameters: { site: ['true'] } };
      const { result } = await create({ hostname: 'web1', dnsZone: ZONE, bootstrap });
      expect(result).toMatchObject({
        status: 'SUCCEEDED',
        output: {
          bootstrap: {
            commandStatus: 'Success',
            steps: [
              { name: 'installNginx', status: 'Success', output: 'nginx installed\n' },
              { name: 'startNginx', status: 'Success', output: 'serving true\n' },
            ],
          },
        },
      });
    });

    test('a step that fails is BootstrapFailed naming that step, and is rolled back', async () => {
      const bootstrap = { document, parameters: { site: ['exit 3'] } };
      const failure = failed((await create({ hostname: 'web1', dnsZone: ZONE, bootstrap })).result);
      expect(failure.error).toBe('BootstrapFailed');
      expect(readableCause(failure.cause)).toMatch(/startNginx ended Failed/);
      expect(await h.liveInstances()).toHaveLength(0);
    });
  });

  test('without a bootstrap the output says None and no extra command is sent', async () => {
    const { result } = await create({ hostname: 'web1', dnsZone: ZONE });
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { bootstrap: { commandStatus: 'None' } } });
    expect(h.emulator.proxy.commands.every((c) => c.commands.some((l) => l.includes('boot_id')))).toBe(true);
  });

  test('a failing bootstrap is BootstrapFailed and is rolled back like any other failure', async () => {
    h.faults([
      { kind: 'command-failed', operation: 'SendCommand', step: 'RunBootstrap', message: 'puppet: catalog failed' },
    ]);
    const { result } = await create({ hostname: 'web1', dnsZone: ZONE, bootstrap: { commands: ['puppet agent -t'] } });
    const failure = failed(result);
    expect(failure.error).toBe('BootstrapFailed');
    expect(failure.cause).toContain('puppet: catalog failed');
    expect(await h.liveInstances()).toHaveLength(0);
    expect(await h.hostRecords()).toHaveLength(0);
  });

  test.each([
    ['a document this deployment does not allow', { document: 'AWS-ApplyAnsiblePlaybooks' }, /^bootstrap\.document: /],
    ['commands that are not a list', { commands: 'reboot' }, /^bootstrap\.commands: /],
    ['both commands and a document', { commands: ['true'], document: 'X-Doc' }, /^bootstrap: /],
  ])('%s is InvalidInput before anything is created', async (_label, bootstrap, message) => {
    const failure = failed((await create({ hostname: 'web1', dnsZone: ZONE, bootstrap })).result);
    expect(failure.error).toBe('InvalidInput');
    expect(readableCause(failure.cause)).toMatch(message);
    expect(await h.instances()).toHaveLength(0);
  });
});
