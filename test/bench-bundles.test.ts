/**
 * The bench's bundle figures: a bundle's own init is timed with the AWS SDK packages it requires
 * already loaded, so that it says what the bundle's code costs, not the SDK's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { measureBundles } from '../src/bench/bundles';

test("a bundle's own init leaves out the AWS SDK packages it requires", () => {
  // Inside the project, so that the SDK resolves from the bundle as it does from cdk.out.
  const dir = mkdtempSync(path.join(__dirname, '..', 'node_modules', '.bench-bundles-'));
  try {
    const file = path.join(dir, 'index.js');
    // Stands in for an SDK that loads slowly: 1.5 s more when the client is not loaded yet.
    writeFileSync(
      file,
      `const sdk = require.resolve("@aws-sdk/client-route-53");
       const slow = !(sdk in require.cache);
       require("@aws-sdk/client-route-53");
       const until = Date.now() + (slow ? 1500 : 0);
       while (Date.now() < until);
       exports.handler = async () => ({});`,
    );
    const plain = path.join(dir, 'plain.js');
    writeFileSync(plain, 'exports.handler = async () => ({});');
    const bundle = { logicalId: 'Fake', step: 'Fake', memoryMb: 128, file, handlerName: 'handler', environment: {} };
    const [figures, without] = measureBundles([bundle, { ...bundle, step: 'Plain', file: plain }], 1);
    expect(figures.sdk).toEqual(['@aws-sdk/client-route-53']);
    expect(figures.initMs).toBeGreaterThanOrEqual(1500);
    expect(figures.ownInitMs).toBeLessThan(1000);
    // No SDK package: its own init is its init, one measurement.
    expect(without).toMatchObject({ sdk: [], sdkInitMs: 0, ownInitMs: without.initMs });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
