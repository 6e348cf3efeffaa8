import { SSMClient } from '@aws-sdk/client-ssm';
import { clientOptions } from './options';

/** Created once per Lambda container. */
export const ssm = new SSMClient(clientOptions);
