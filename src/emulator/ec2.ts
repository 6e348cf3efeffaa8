/**
 * EC2 as the workflows meet it, where moto answers otherwise than AWS:
 * - RunInstances into a subnet whose Availability Zone does not offer the instance type is
 *   refused with EC2's `Unsupported` (moto launches anywhere). Offerings are moto's own
 *   DescribeInstanceTypeOfferings data, which is AWS's (us-east-1e, for one, offers no t3);
 * - a volume encrypted with a KMS key that does not exist or is not Enabled: the launch is
 *   accepted, then the instance goes from pending to terminated, its state reason
 *   `Client.InvalidKMSKey.InvalidState` (moto stores any key id).
 */
import { DescribeInstanceTypeOfferingsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { clientConfig } from './account';
import { errorResponse, type Operation, type WireResponse } from './protocol';

/** Why EC2 terminated an instance right after launching it, as DescribeInstances reports it. */
export interface StateReason {
  code: string;
  message: string;
}

export const CAPACITY_REASON: StateReason = {
  code: 'Server.InsufficientInstanceCapacity',
  message: 'Server.InsufficientInstanceCapacity: Insufficient capacity.',
};

export const KMS_KEY_REASON: StateReason = {
  code: 'Client.InvalidKMSKey.InvalidState',
  message: 'Client.InvalidKMSKey.InvalidState: The KMS key provided is in an incorrect state',
};

export class Ec2Rules {
  private readonly ec2: EC2Client;
  private readonly kms: KMSClient;

  constructor(motoUrl: string) {
    this.ec2 = new EC2Client(clientConfig(motoUrl));
    this.kms = new KMSClient(clientConfig(motoUrl));
  }

  /** Why the instances a RunInstances request launched cannot come up, or undefined when they can. */
  async launchFailure(body: string): Promise<StateReason | undefined> {
    const keys = [...new URLSearchParams(body)].filter(([k]) => /^BlockDeviceMapping\.\d+\.Ebs\.KmsKeyId$/.test(k));
    for (const [, keyId] of keys) {
      try {
        const out = await this.kms.send(new DescribeKeyCommand({ KeyId: keyId }));
        if (out.KeyMetadata?.KeyState !== 'Enabled') return KMS_KEY_REASON;
      } catch {
        return KMS_KEY_REASON;
      }
    }
    return undefined;
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
