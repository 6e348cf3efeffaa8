/**
 * The synthesized stack, deployed into the emulator as `cdk deploy` deploys it: the CDK bootstrap's
 * version parameter and assets bucket, every file asset uploaded (each step's bundle as a zip, the
 * template itself), then CloudFormation (moto's) creates the stack from the template's URL. The
 * state machines, functions, roles, log groups, rules and outputs are then CloudFormation's own,
 * so anything that finds the machines through `describe-stacks` works against the emulator.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clientConfig, LOCAL_ACCOUNT_ID, LOCAL_REGION } from './account';
import { assetsBucket } from './lambda';
import { zipDirectory } from './zip';

/** The CDK bootstrap's version parameter, which a synthesized template checks. */
const BOOTSTRAP_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

interface AssetManifest {
  files?: Record<
    string,
    {
      source: { path: string; packaging?: 'file' | 'zip' };
      destinations: Record<string, { bucketName: string; objectKey: string }>;
    }
  >;
}

export interface DeployedStack {
  stackName: string;
  outputs: Record<string, string>;
  /** Each state machine's ARN, by its logical id. */
  stateMachines: Record<string, string>;
}

/** What `cdk bootstrap` leaves that a deploy needs: the version parameter and the assets bucket. */
export async function bootstrap(motoUrl: string): Promise<string> {
  const config = clientConfig(motoUrl);
  await new SSMClient(config).send(
    new PutParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER, Value: '21', Type: 'String', Overwrite: true }),
  );
  const bucket = assetsBucket(LOCAL_ACCOUNT_ID, LOCAL_REGION);
  try {
    await new S3Client({ ...config, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!/BucketAlready/.test((error as Error).name)) throw error;
  }
  return bucket;
}

/** Deploys the stack the cloud assembly in `outdir` holds, as `cdk deploy` would, into moto. */
export async function deployStack(motoUrl: string, outdir: string, stackName: string): Promise<DeployedStack> {
  const config = clientConfig(motoUrl);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  await bootstrap(motoUrl);
  const manifest = JSON.parse(readFileSync(path.join(outdir, `${stackName}.assets.json`), 'utf8')) as AssetManifest;
  let templateUrl = '';
  for (const asset of Object.values(manifest.files ?? {})) {
    const body =
      asset.source.packaging === 'zip'
        ? zipDirectory(path.join(outdir, asset.source.path))
        : readFileSync(path.join(outdir, asset.source.path));
    for (const destination of Object.values(asset.destinations)) {
      const bucket = destination.bucketName
        .replace(/\$\{AWS::AccountId\}/g, LOCAL_ACCOUNT_ID)
        .replace(/\$\{AWS::Region\}/g, LOCAL_REGION);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: destination.objectKey, Body: body }));
      // moto reads a template URL of its own S3 only with `localhost` as the host.
      if (asset.source.path.endsWith('.template.json')) {
        templateUrl = `${motoUrl.replace('127.0.0.1', 'localhost')}/${bucket}/${destination.objectKey}`;
      }
    }
  }
  const cfn = new CloudFormationClient(config);
  await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateURL: templateUrl,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
    }),
  );
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  if (stack?.StackStatus !== 'CREATE_COMPLETE') {
    const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }))).StackEvents ?? [];
    const failed = events
      .filter((e) => e.ResourceStatus?.endsWith('FAILED'))
      .map((e) => `${e.LogicalResourceId}: ${e.ResourceStatusReason}`);
    throw new Error(`the stack ${stackName} ended ${stack?.StackStatus}: ${failed.join('; ')}`);
  }
  return describeDeployed(motoUrl, stackName);
}

export async function describeDeployed(motoUrl: string, stackName: string): Promise<DeployedStack> {
  const cfn = new CloudFormationClient(clientConfig(motoUrl));
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
  const resources = (await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }))).StackResources ?? [];
  return {
    stackName,
    outputs: Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])),
    stateMachines: Object.fromEntries(
      resources
        .filter((r) => r.ResourceType === 'AWS::StepFunctions::StateMachine')
        .map((r) => [r.LogicalResourceId ?? '', r.PhysicalResourceId ?? '']),
    ),
  };
}
