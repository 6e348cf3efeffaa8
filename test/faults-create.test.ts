/**
 * create-vm under every fault of the matrix (test/support/fault-matrix.ts), step by step: it
 * succeeds, with exactly one instance and one record, or fails with the named error and leaves no
 * live instance and no record. No reset between cases: each has a hostname of its own.
 */
import { Harness } from './support/emulator';
import { CREATE_CASES, promised, runCase } from './support/fault-matrix';

const h = new Harness();
beforeAll(async () => {
  await h.start();
  await h.reset();
});
afterAll(() => h.stop());

test.each(CREATE_CASES.map((c) => [c.step, c.fault, c] as const))('%s: %s', async (_step, _fault, c) => {
  const seen = await runCase(h, c);
  expect(seen).toMatchObject(promised(c));
  if (c.faults[0].times !== undefined || c.faults[0].kind === 'instance-fails') {
    expect(seen.injected).toBeGreaterThan(0);
  }
});
