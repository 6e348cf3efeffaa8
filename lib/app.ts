import { type App, Duration, Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InstanceLifecycleStack } from './instance-lifecycle-stack';

export const STACK_ID = 'InstanceLifecycle';

/**
 * The app as cdk.json context configures it: `hostedZoneIds`, `defaults`, `allowForceDestroy`,
 * `createTimeoutMinutes`, `failureTopicArn`, `bootstrapDocuments`, `expectedSeconds`. Shared by bin/app.ts and the CLI's local mode, so both synthesize the same.
 */
export function defineApp(app: App): InstanceLifecycleStack {
  const ctx = (key: string) => app.node.tryGetContext(key);
  const failureTopicArn = ctx('failureTopicArn');
  const stack = new InstanceLifecycleStack(app, STACK_ID, {
    description: 'instance-lifecycle: create-vm and destroy-vm Step Functions state machines',
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT,
      region: process.env.CDK_DEFAULT_REGION,
    },
    hostedZoneIds: ctx('hostedZoneIds') ?? [],
    defaults: ctx('defaults') ?? {},
    allowForceDestroy: ctx('allowForceDestroy') === true || ctx('allowForceDestroy') === 'true',
    bootstrapDocuments: ctx('bootstrapDocuments') ?? [],
    fleetConcurrency: ctx('fleetConcurrency') === undefined ? undefined : Number(ctx('fleetConcurrency')),
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
