/**
 * LaunchInstance: RunInstances with an idempotency token derived from the execution, so a retried
 * invocation returns the instance the first one launched instead of launching another. A leased
 * host also gets its lease here: the expiry as a tag at launch, and the schedule that destroys it
 * (one more call, in the step that already knows the instance id, so no state is added to the
 * happy path; from here on every failure's roll-back deletes the schedule with the instance).
 */
import { RunInstancesCommand, type Tag } from '@aws-sdk/client-ec2';
import { ec2 } from './lib/clients/ec2';
import { scheduler } from './lib/clients/scheduler';
import {
  type CreateState,
  EXECUTION_TAG,
  EXPIRES_AT_TAG,
  FQDN_TAG,
  type LaunchResult,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
} from './lib/contract';
import { requireEnv } from './lib/env';
import { createLease, leaseSettingsFromEnv } from './lib/lease';
import { instrument, logger } from './lib/logger';
import { renderUserData } from './lib/user-data';

export function launchTags(state: CreateState): Tag[] {
  const { config } = state;
  return [
    ...Object.entries(config.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: 'Name', Value: config.hostname },
    { Key: MANAGED_BY_TAG, Value: MANAGED_BY_VALUE },
    { Key: FQDN_TAG, Value: config.fqdn },
    { Key: EXECUTION_TAG, Value: config.executionId },
    ...(config.expiresAt ? [{ Key: EXPIRES_AT_TAG, Value: config.expiresAt }] : []),
  ];
}

export const handler = instrument(async (state: CreateState): Promise<LaunchResult> => {
  const { config } = state;
  const tags = launchTags(state);
  const out = await ec2.send(
    new RunInstancesCommand({
      ClientToken: config.clientToken,
      ImageId: config.imageId,
      InstanceType: config.instanceType as never,
      MinCount: 1,
      MaxCount: 1,
      SubnetId: config.subnetId,
      SecurityGroupIds: config.securityGroupIds,
      KeyName: config.keyName,
      IamInstanceProfile: { Arn: requireEnv('INSTANCE_PROFILE_ARN') },
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
      BlockDeviceMappings: [
        {
          DeviceName: config.rootDeviceName,
          Ebs: {
            Encrypted: true,
            // The deployment's customer managed key (ebsKmsKeyArn); else the account's default EBS key.
            KmsKeyId: process.env.EBS_KMS_KEY_ID || undefined,
            VolumeType: 'gp3',
            DeleteOnTermination: true,
            VolumeSize: config.rootVolumeSize,
          },
        },
      ],
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
      UserData: renderUserData(config.adminUser, config.sshPublicKey),
    }),
  );
  const instanceId = out.Instances?.[0]?.InstanceId;
  if (!instanceId) throw new Error('RunInstances returned no instance');
  logger.info('instance launched', { instanceId });
  const launchedAt = new Date().toISOString();
  if (!config.expiresAt) return { instanceId, launchedAt };
  const host = { instanceId, hostname: config.hostname, dnsZone: config.dnsZone };
  const leaseSchedule = await createLease(scheduler, leaseSettingsFromEnv(), host, config.expiresAt);
  logger.info('lease scheduled', { instanceId, leaseSchedule, expiresAt: config.expiresAt });
  return { instanceId, launchedAt, leaseSchedule };
});
