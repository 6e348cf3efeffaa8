/**
 * What every SDK client shares. Clients honour AWS_ENDPOINT_URL, which is how the same code reaches
 * the local emulator. Retries inside the SDK are kept short: Step Functions retries throttling with
 * backoff and jitter, visibly, in the execution history. The user agent names the step
 * (`instance-lifecycle/RegisterDns`), in CloudTrail as in the emulator.
 *
 * One module per service, so that a step's bundle loads only the SDK clients it calls: loading an
 * SDK client is most of a cold start (EC2's alone is about a quarter of a second).
 */
import { STEP } from '../step';

export const clientOptions = { maxAttempts: 2, customUserAgent: `instance-lifecycle/${STEP}` };
