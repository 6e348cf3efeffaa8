import { CreateSubnetCommand, CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';

import { clientConfig, LOCAL_REGION } from './account';

const NETWORK_TAG = 'instance-lifecycle-local';

/**
 * The emulator's subnets: a small one where the default instance type (t3) is offered, and a
 * larger one, the roomiest, in us-east-1e, which offers no t3 at all (as in AWS): a workflow that
 * placed instances by free addresses alone would launch where EC2 answers `Unsupported`.
 */
export const SUBNETS = [
  { CidrBlock: '10.0.1.0/24', AvailabilityZone: `${LOCAL_REGION}a` },
  { CidrBlock: '10.0.16.0/20', AvailabilityZone: `${LOCAL_REGION}e` },
];

/** The emulator's network: one VPC and its subnets, tagged so a second seeding finds them. */
export async function ensureNetwork(endpoint: string): Promise<{ vpcId: string }> {
  const ec2 = new EC2Client(clientConfig(endpoint));
  const found = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: [NETWORK_TAG] }] }));
  const existing = found.Vpcs?.[0]?.VpcId;
  if (existing) return { vpcId: existing };
  const vpc = await ec2.send(
    new CreateVpcCommand({
      CidrBlock: '10.0.0.0/16',
      TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: NETWORK_TAG }] }],
    }),
  );
  const vpcId = vpc.Vpc?.VpcId ?? '';
  for (const subnet of SUBNETS) {
    await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        ...subnet,
        TagSpecifications: [{ ResourceType: 'subnet', Tags: [{ Key: 'Name', Value: NETWORK_TAG }] }],
      }),
    );
  }
  return { vpcId };
}

/** A private hosted zone of that name in the emulator's VPC, unless one exists. */
export async function ensureZone(endpoint: string, name: string): Promise<string> {
  const zoneName = name.toLowerCase().replace(/\.$/, '');
  const route53 = new Route53Client(clientConfig(endpoint));
  const found = await route53.send(new ListHostedZonesByNameCommand({ DNSName: zoneName, MaxItems: 5 }));
  const existing = found.HostedZones?.find((z) => z.Name === `${zoneName}.`);
  if (existing?.Id) return existing.Id.replace('/hostedzone/', '');
  const { vpcId } = await ensureNetwork(endpoint);
  const created = await route53.send(
    new CreateHostedZoneCommand({
      Name: zoneName,
      CallerReference: `instance-lifecycle-${zoneName}-${Date.now()}`,
      VPC: { VPCRegion: LOCAL_REGION, VPCId: vpcId },
      HostedZoneConfig: { PrivateZone: true, Comment: 'instance-lifecycle local emulator' },
    }),
  );
  return (created.HostedZone?.Id ?? '').replace('/hostedzone/', '');
}
