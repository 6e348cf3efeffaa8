import { EC2Client } from '@aws-sdk/client-ec2';
import { clientOptions } from './options';

/** Created once per Lambda container. */
export const ec2 = new EC2Client(clientOptions);
