/**
 * The stack's id: its name as `cdk deploy` creates it, the template's file name in cdk.out, and
 * what the CLI looks for without --stack-name. Its own module, so that reading it loads no CDK.
 */
export const STACK_ID = 'InstanceLifecycle';
