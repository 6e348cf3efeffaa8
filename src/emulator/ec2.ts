/**
 * EC2 as the workflows meet it, where moto answers otherwise than AWS: RunInstances into a subnet
 * whose Availability Zone does not offer the instance type is refused with EC2's `Unsupported`
 * (moto launches anywhere). Offerings are moto's own DescribeInstanceTypeOfferings data, which
 * is AWS's (us-east-1e, for one, offers no t3).
 */
import { DescribeInstanceTypeOfferingsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { errorResponse, type Operation, type WireResponse } from './protocol';
import { clientConfig } from './seed';

export class Ec2Placement {
  private readonly ec2: EC2Client;

  constructor(motoUrl: string) {
    this.ec2 = new EC2Client(clientConfig(motoUrl));
  }

  /** The Availability Zones that offer `instanceType`. */
  async offeredZones(instanceType: string): Promise<string[]> {
    const out = await this.ec2.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone',
        Filters: [{ Name: 'instance-type', Values: [instanceType] }],
      }),
    );
    return (out.InstanceTypeOfferings ?? []).map((o) => o.Location ?? '').sort();
  }

  /** EC2's refusal of a launch the subnet's zone cannot take, or undefined. */
  async refusal(op: Operation, body: string): Promise<WireResponse | undefined> {
    const params = new URLSearchParams(body);
    const subnetId = params.get('SubnetId') ?? params.get('NetworkInterface.1.SubnetId');
    const instanceType = params.get('InstanceType') ?? 'm1.small';
    if (!subnetId) return undefined;
    let zone: string | undefined;
    try {
      const out = await this.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }));
      zone = out.Subnets?.[0]?.AvailabilityZone;
    } catch {
      return undefined; // moto refuses an unknown subnet itself
    }
    const offered = await this.offeredZones(instanceType);
    if (!zone || offered.includes(zone)) return undefined;
    return errorResponse(
      op,
      'Unsupported',
      `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${zone}). Please retry your request by not specifying an Availability Zone or choosing ${offered.join(', ')}.`,
      400,
    );
  }
}
