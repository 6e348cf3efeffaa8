/**
 * create-vm under the fault matrix (src/harness/fault-matrix.ts), up to the DNS registration: it
 * succeeds with exactly one instance and one record, or fails with the named error and leaves no
 * live instance and no record.
 */
import { CREATE_CASES_UNTIL_DNS } from '../src/harness/fault-matrix';
import { faultSuite } from './support/fault-suite';

faultSuite(CREATE_CASES_UNTIL_DNS);
