/**
 * SDK clients, one per service, created once per Lambda container. They honour AWS_ENDPOINT_URL,
 * which is how the same code reaches the local emulator. Retries inside the SDK are kept short:
 * Step Functions retries throttling with backoff and jitter, visibly, in the execution history.
 * The user agent names the step (`instance-lifecycle/RegisterDns`), in CloudTrail as in the emulator.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STEP } from './step';

const common = { maxAttempts: 2, customUserAgent: `instance-lifecycle/${STEP}` };

export const ec2 = new EC2Client(common);
export const route53 = new Route53Client(common);
export const ssm = new SSMClient(common);
