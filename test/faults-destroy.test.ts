/**
 * destroy-vm under the fault matrix (src/harness/fault-matrix.ts): it finishes, or it fails with
 * the named error and a second destroy finishes the job. Either way nothing is left.
 */
import { DESTROY_CASES } from '../src/harness/fault-matrix';
import { faultSuite } from './support/fault-suite';

faultSuite(DESTROY_CASES);
