/**
 * Where an instance goes. A subnet is only ever one whose Availability Zone offers the instance
 * type (EC2 refuses a launch anywhere else with `Unsupported`) and, for a private hosted zone, one
 * in a VPC the zone is associated with (the zone answers nobody else). A named subnet that breaks
 * either rule is InvalidInput naming both sides; otherwise the roomiest candidate is taken.
 */
import { DescribeInstanceTypeOfferingsCommand, DescribeSubnetsCommand, type Subnet } from '@aws-sdk/client-ec2';
import { ec2 } from './clients/ec2';
import { type Zone, zoneVpcIds } from './dns';
import { InvalidInput } from './errors';

export interface PlacementRequest {
  instanceType: string;
  subnetId?: string;
  subnetIds?: string[];
}

export interface Placement {
  /** Undefined: EC2 chooses a default subnet of the default VPC (a public zone, no subnet asked for). */
  subnetId?: string;
  /** The subnet was chosen here, not named by the input or the defaults. */
  chosen: boolean;
}

/** The Availability Zones of the region that offer `instanceType`. */
async function offeredZones(instanceType: string): Promise<Set<string>> {
  const out = await ec2.send(
    new DescribeInstanceTypeOfferingsCommand({
      LocationType: 'availability-zone',
      Filters: [{ Name: 'instance-type', Values: [instanceType] }],
    }),
  );
  const zones = new Set((out.InstanceTypeOfferings ?? []).map((o) => o.Location ?? ''));
  if (zones.size === 0)
    throw new InvalidInput('instanceType', `${instanceType} is not offered in any Availability Zone of this region`);
  return zones;
}

async function describeSubnets(field: string, query: { SubnetIds?: string[]; vpcIds?: string[] }): Promise<Subnet[]> {
  try {
    const out = await ec2.send(
      new DescribeSubnetsCommand(
        query.SubnetIds
          ? { SubnetIds: query.SubnetIds }
          : { Filters: [{ Name: 'vpc-id', Values: query.vpcIds ?? [] }] },
      ),
    );
    return out.Subnets ?? [];
  } catch (error) {
    if ((error as Error).name === 'InvalidSubnetID.NotFound') throw new InvalidInput(field, (error as Error).message);
    throw error;
  }
}

/** Why a subnet cannot take this instance, or undefined when it can. */
function unfit(
  subnet: Subnet,
  instanceType: string,
  offered: Set<string>,
  zone: Zone,
  vpcs?: string[],
): string | undefined {
  const az = subnet.AvailabilityZone ?? '?';
  if (!offered.has(az)) {
    return `${subnet.SubnetId} is in ${az}, where ${instanceType} is not offered (offered in ${[...offered].sort().join(', ')})`;
  }
  if (vpcs && !vpcs.includes(subnet.VpcId ?? '')) {
    return `${subnet.SubnetId} is in ${subnet.VpcId}, which the private zone ${zone.name} is not associated with (associated: ${vpcs.join(', ')})`;
  }
  return undefined;
}

export async function choosePlacement(request: PlacementRequest, zone: Zone): Promise<Placement> {
  const offered = await offeredZones(request.instanceType);
  const vpcs = zone.privateZone ? await zoneVpcIds(zone.id) : undefined;
  if (request.subnetId) {
    const [subnet] = await describeSubnets('subnetId', { SubnetIds: [request.subnetId] });
    const why = subnet
      ? unfit(subnet, request.instanceType, offered, zone, vpcs)
      : `${request.subnetId} does not exist`;
    if (why) throw new InvalidInput('subnetId', why);
    return { subnetId: request.subnetId, chosen: false };
  }
  if (!request.subnetIds && !vpcs) return { chosen: false };
  const field = request.subnetIds ? 'subnetIds' : 'dnsZone';
  const candidates = await describeSubnets(
    field,
    request.subnetIds ? { SubnetIds: request.subnetIds } : { vpcIds: vpcs },
  );
  const fit = candidates.filter((s) => !unfit(s, request.instanceType, offered, zone, vpcs));
  if (fit.length === 0) {
    const reasons = candidates.map((s) => unfit(s, request.instanceType, offered, zone, vpcs)).join('; ');
    throw new InvalidInput(
      field,
      `no subnet can take a ${request.instanceType} for ${zone.name}${reasons ? `: ${reasons}` : ` (the zone's VPCs ${vpcs?.join(', ')} have no subnet)`}`,
    );
  }
  fit.sort((a, b) => (b.AvailableIpAddressCount ?? 0) - (a.AvailableIpAddressCount ?? 0));
  return { subnetId: fit[0].SubnetId, chosen: !request.subnetIds };
}
