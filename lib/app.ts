import { type App, Duration, Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InstanceLifecycleStack } from './instance-lifecycle-stack';
import { STACK_ID } from './stack-id';

export { STACK_ID };

/**
 * The app as cdk.json context configures it: `hostedZoneIds`, `defaults`, `allowForceDestroy`,
 * `createTimeoutMinutes`, `failureTopicArn`, `bootstrapDocuments`, `expectedSeconds`, `imageParameterPaths`,
 * `ebsKmsKeyArn`. Shared by bin/app.ts and the CLI's local mode, so both synthesize the same.
 */
export function defineApp(app: App): InstanceLifecycleStack {
  const ctx = (key: string) => app.node.tryGetContext(key);
  // `cdk deploy -c key=value` passes strings: a list is given as JSON or comma-separated.
  const list = (key: string): string[] | undefined => {
    const value = ctx(key);
    if (typeof value !== 'string') return value;
    return value.trim().startsWith('[') ? JSON.parse(value) : value.split(',').filter(Boolean);
  };
  const failureTopicArn = ctx('failureTopicArn');
  const stack = new InstanceLifecycleStack(app, STACK_ID, {
    description: 'instance-lifecycle: create-vm and destroy-vm Step Functions state machines',
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT,
      region: process.env.CDK_DEFAULT_REGION,
    },
    hostedZoneIds: list('hostedZoneIds') ?? [],
    defaults: ctx('defaults') ?? {},
    allowForceDestroy: ctx('allowForceDestroy') === true || ctx('allowForceDestroy') === 'true',
    bootstrapDocuments: list('bootstrapDocuments') ?? [],
    imageParameterPaths: list('imageParameterPaths') ?? [],
    ebsKmsKeyArn: ctx('ebsKmsKeyArn') || undefined,
    fleetConcurrency: ctx('fleetConcurrency') === undefined ? undefined : Number(ctx('fleetConcurrency')),
    fleetLaunchesPerSecond:
      ctx('fleetLaunchesPerSecond') === undefined ? undefined : Number(ctx('fleetLaunchesPerSecond')),
    // `cdk deploy -c expectedSeconds='{"agentOnline":60}'` passes a string.
    expectedLatency:
      typeof ctx('expectedSeconds') === 'string' ? JSON.parse(ctx('expectedSeconds')) : ctx('expectedSeconds'),
    createTimeout: ctx('createTimeoutMinutes') ? Duration.minutes(Number(ctx('createTimeoutMinutes'))) : undefined,
  });
  if (failureTopicArn) {
    stack.notifyFailuresTo(sns.Topic.fromTopicArn(stack, 'FailureTopic', String(failureTopicArn)));
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
