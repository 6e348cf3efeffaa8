import { Route53Client } from '@aws-sdk/client-route-53';
import { clientOptions } from './options';

/** Created once per Lambda container. */
export const route53 = new Route53Client(clientOptions);
