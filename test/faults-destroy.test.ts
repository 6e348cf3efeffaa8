/**
 * destroy-vm under every fault of the matrix (test/support/fault-matrix.ts): it finishes, or it
 * fails with the named error and a second destroy finishes the job. Either way nothing is left.
 */
import { Harness } from './support/emulator';
import { DESTROY_CASES, promised, runCase } from './support/fault-matrix';

const h = new Harness();
beforeAll(async () => {
  await h.start();
  await h.reset();
});
afterAll(() => h.stop());

test.each(DESTROY_CASES.map((c) => [c.step, c.fault, c] as const))('%s: %s', async (_step, _fault, c) => {
  const seen = await runCase(h, c);
  expect(seen).toMatchObject(promised(c));
  expect(seen.injected).toBeGreaterThan(0);
});
