/**
 * Reaching a deployed stack: the SDK clients, with the credentials and region of the AWS SDK's usual
 * chain (AWS_PROFILE, AWS_REGION, SSO, instance roles) as the aws CLI has them, or an endpoint (the
 * emulator's), and AWS's errors said in one line.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STACK_ID } from '../../../lib/stack-id';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../emulator/account';

export const DEFAULT_STACK_NAME = STACK_ID;

export interface Aws {
  sfn: SFNClient;
  cfn: CloudFormationClient;
  logs: CloudWatchLogsClient;
  ssm: SSMClient;
  ec2: EC2Client;
  route53: Route53Client;
  scheduler: SchedulerClient;
  region?: string;
  /** Where the clients go instead of AWS's own endpoints. */
  endpoint?: string;
}

/** A failure to reach the deployment, said in one line. */
export class RemoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RemoteError';
  }
}

/**
 * The clients. With an endpoint (`--endpoint`, or AWS_ENDPOINT_URL as the SDK reads it), such as a
 * running `instance-lifecycle emulator`, the region defaults to the emulator's and, when the environment
 * names no credentials, the emulator's are used: a laptop without an AWS account reaches it as is.
 */
export function awsClients(options: { region?: string; profile?: string; endpoint?: string } = {}): Aws {
  // An empty variable is an unset one, as the SDK and the aws CLI treat it.
  const endpoint = options.endpoint || process.env.AWS_ENDPOINT_URL || undefined;
  const envRegion = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  const region = options.region || envRegion || (endpoint ? LOCAL_REGION : undefined);
  const anonymous = endpoint && !options.profile && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE;
  // --profile goes to the clients (credentials and, without --region, the profile's region); the
  // process environment is left as it is.
  const config = {
    region,
    endpoint,
    profile: options.profile || undefined,
    ...(anonymous ? { credentials: LOCAL_CREDENTIALS } : {}),
  };
  return {
    sfn: new SFNClient(config),
    cfn: new CloudFormationClient(config),
    logs: new CloudWatchLogsClient(config),
    ssm: new SSMClient(config),
    ec2: new EC2Client(config),
    // Route 53 is global: its endpoint is us-east-1's (aws-cn and GovCloud have their own).
    route53: new Route53Client(config),
    scheduler: new SchedulerClient(config),
    region,
    endpoint,
  };
}

/** The SDK's errors as one line an operator can act on. */
export function explain(
  error: unknown,
  context: { stackName?: string; region?: string; endpoint?: string } = {},
): Error {
  const e = error as Error & { $metadata?: { httpStatusCode?: number }; code?: string; cause?: { code?: string } };
  const name = e?.name ?? '';
  const message = e?.message ?? String(error);
  if (e instanceof RemoteError) return e;
  if ([e?.code, e?.cause?.code].includes('ECONNREFUSED')) {
    return new RemoteError(
      `nothing answers at ${context.endpoint ?? 'the endpoint'}: is \`instance-lifecycle emulator\` running there?`,
    );
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(message)) {
    return new RemoteError('no AWS credentials: set AWS_PROFILE, run `aws configure` or `aws sso login`');
  }
  if (/Region is missing/i.test(message)) return new RemoteError('no AWS region: set AWS_REGION or pass --region');
  if (name === 'ValidationError' && /does not exist/.test(message) && context.stackName && context.endpoint) {
    return new RemoteError(
      `stack ${context.stackName} is not deployed at ${context.endpoint}: start \`instance-lifecycle emulator\` without --no-stack, run \`npm run deploy:local -- --endpoint ${context.endpoint}\`, or add --local for the local engine`,
    );
  }
  if (name === 'ValidationError' && /does not exist/.test(message) && context.stackName) {
    return new RemoteError(
      `stack ${context.stackName} is not deployed in ${context.region ?? 'this region'}: run \`npx cdk deploy\`, or pass --stack-name or --state-machine-arn`,
    );
  }
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${message}`)) {
    return new RemoteError(`access denied: ${message}`);
  }
  if (name === 'ExecutionDoesNotExist' || name === 'InvalidArn')
    return new RemoteError(`no such execution: ${message}`);
  if (name === 'StateMachineDoesNotExist') return new RemoteError(`no such state machine: ${message}`);
  if (!name || name === 'Error') return new RemoteError(message);
  return new RemoteError(`${name}: ${message}`);
}
