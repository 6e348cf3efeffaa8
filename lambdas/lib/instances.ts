import { DescribeInstancesCommand, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { ec2 } from './clients/ec2';
import { LIVE_STATES, MANAGED_BY_TAG, MANAGED_BY_VALUE } from './contract';

/** Every state but `terminated`: a shutting-down instance still holds its name until it is gone. */
export { LIVE_STATES };

export async function findInstances(filters: Filter[]): Promise<Instance[]> {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: filters }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

export async function liveInstances(filters: Filter[]): Promise<Instance[]> {
  return findInstances([...filters, { Name: 'instance-state-name', Values: LIVE_STATES }]);
}

/** The instance, or undefined when EC2 does not know it (yet: ids are eventually consistent). */
export async function describeInstance(instanceId: string): Promise<Instance | undefined> {
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return out.Reservations?.[0]?.Instances?.[0];
  } catch (error) {
    if ((error as Error).name === 'InvalidInstanceID.NotFound') return undefined;
    throw error;
  }
}

export function tagOf(instance: Instance, key: string): string | undefined {
  return instance.Tags?.find((t) => t.Key === key)?.Value;
}

export function isManaged(instance: Instance): boolean {
  return tagOf(instance, MANAGED_BY_TAG) === MANAGED_BY_VALUE;
}
