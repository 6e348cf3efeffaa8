/**
 * LaunchInstance: RunInstances with an idempotency token derived from the execution, so a retried
 * invocation returns the instance the first one launched instead of launching another.
 */
import { RunInstancesCommand, type Tag } from '@aws-sdk/client-ec2';
import { ec2 } from './lib/clients/ec2';
import {
  type CreateState,
  EXECUTION_TAG,
  FQDN_TAG,
  type LaunchResult,
  MANAGED_BY_TAG,
  MANAGED_BY_VALUE,
} from './lib/contract';
import { requireEnv } from './lib/env';
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
  return { instanceId, launchedAt: new Date().toISOString() };
});
