import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { clientOptions } from './options';

/** Created once per Lambda container. */
export const scheduler = new SchedulerClient(clientOptions);
