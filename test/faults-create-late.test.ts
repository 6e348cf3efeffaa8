/**
 * create-vm under the fault matrix (src/harness/fault-matrix.ts), from the wait for DNS to the
 * roll-back itself: the same promises as test/faults-create.test.ts.
 */
import { CREATE_CASES_AFTER_DNS } from '../src/harness/fault-matrix';
import { faultSuite } from './support/fault-suite';

faultSuite(CREATE_CASES_AFTER_DNS);
