import { Harness } from '../../src/harness';
import { type FaultCase, promised, runCase } from '../../src/harness/fault-matrix';

/**
 * Asserts each cell of the fault matrix given: the outcome the workflow promises, with the fault
 * seen at least once. One emulator for the file, no reset between cells: each has its own hostname.
 */
export function faultSuite(cases: FaultCase[]): void {
  const h = new Harness();
  beforeAll(async () => {
    await h.start();
    await h.reset();
  });
  afterAll(() => h.stop());

  test.each(cases.map((c) => [c.workflow, c.step, c.fault, c] as const))('%s %s: %s', async (_w, _step, _fault, c) => {
    const seen = await runCase(h, c);
    expect(seen).toMatchObject(promised(c));
    expect(seen.injected).toBeGreaterThan(0);
  });
}
