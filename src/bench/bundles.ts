/**
 * Each Lambda bundle's size and cold-start initialisation: the time a fresh `node` process takes to
 * load it (its code, and the AWS SDK clients it builds at load), with the function's own
 * environment (NODE_OPTIONS=--enable-source-maps included), as the Lambda runtime does on a cold start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { bundleOptions } from '../../lib/step-bundle';
import { LOCAL_REGION } from '../emulator/account';
import type { LambdaBundle } from '../engine/template';

export interface BundleFigures {
  name: string;
  bytes: number;
  initMs: number;
  /** The AWS SDK packages the bundle requires (they are not bundled: the Lambda runtime has them). */
  sdk: string[];
  /** Loading those packages alone, without the bundle: the share of initMs that is the SDK's. */
  sdkInitMs: number;
  /**
   * The bundle's own load: its code and the clients it builds, timed in a process that has already
   * loaded the SDK packages. Measured, not initMs - sdkInitMs: two medians of a few hundred ms each
   * differ by more than a bundle's whole code on a busy machine.
   */
  ownInitMs: number;
}

/**
 * Loads the modules named on the command line and prints how long that took; the first N (the
 * first argument) are loaded before the clock starts.
 */
const LOAD = `
const { performance } = require('node:perf_hooks');
const [before, ...modules] = process.argv.slice(1);
for (const m of modules.slice(0, Number(before))) require(m);
const start = performance.now();
for (const m of modules.slice(Number(before))) require(m);
process.stdout.write(String(performance.now() - start));
`;

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Milliseconds to load `modules` (resolved from the bundle) in a fresh process, after `preloaded`
 * (untimed): the median of `runs` processes.
 */
function loadMs(modules: string[], bundle: LambdaBundle, runs: number, preloaded: string[] = []): number {
  if (modules.length === 0) return 0;
  const env = { ...process.env, AWS_REGION: LOCAL_REGION, ...bundle.environment, POWERTOOLS_LOG_LEVEL: 'SILENT' };
  const paths = [...preloaded, ...modules].map((m) => require.resolve(m, { paths: [bundle.file] }));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const args = ['-e', LOAD, String(preloaded.length), ...paths];
    const out = execFileSync(process.execPath, args, { env, encoding: 'utf8' });
    times.push(Number(out));
  }
  return median(times);
}

/** Measures each bundle; SDK-only loads are shared between bundles that require the same packages. */
export function measureBundles(
  bundles: LambdaBundle[],
  runs: number,
  onBundle: (bundle: LambdaBundle) => void = () => undefined,
): BundleFigures[] {
  const sdkTimes = new Map<string, number>();
  return bundles.map((bundle) => {
    onBundle(bundle);
    const code = readFileSync(bundle.file, 'utf8');
    const sdk = [...new Set([...code.matchAll(/require\("(@aws-sdk\/[a-z0-9-]+)"\)/g)].map(([, m]) => m))].sort();
    const key = sdk.join(' ');
    if (!sdkTimes.has(key)) sdkTimes.set(key, loadMs(sdk, bundle, runs));
    const initMs = loadMs([bundle.file], bundle, runs);
    return {
      name: bundle.step,
      bytes: statSync(bundle.file).size,
      initMs,
      sdk,
      sdkInitMs: sdkTimes.get(key) ?? 0,
      // Without SDK packages the two are one measurement: taking it twice would only report its noise twice.
      ownInitMs: sdk.length > 0 ? loadMs([bundle.file], bundle, runs, sdk) : initMs,
    };
  });
}

/** The same step bundled with the AWS SDK inside it (ESM builds, tree-shaken), instead of the runtime's. */
export interface SdkBundledFigures {
  name: string;
  bytes: number;
  initMs: number;
}

/**
 * Builds each step again with the AWS SDK bundled in, as the deployed bundles are built otherwise
 * (minified, node22, CJS), and measures it the same way: the other side of the size/cold-start
 * trade-off.
 */
export function measureSdkBundled(
  bundles: LambdaBundle[],
  runs: number,
  onBundle: (bundle: LambdaBundle) => void = () => undefined,
): SdkBundledFigures[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'lifecycle-bench-'));
  try {
    return bundles.map((bundle) => {
      onBundle(bundle);
      const file = path.join(dir, `${bundle.step}.js`);
      // The deployed bundle's own options, with the SDK taken in (its ESM builds, which tree-shake).
      buildSync({
        ...bundleOptions(kebab(bundle.step), bundle.step),
        outfile: file,
        sourcemap: false,
        external: [],
        mainFields: ['module', 'main'],
        logLevel: 'error',
      });
      const built = { ...bundle, file };
      return { name: bundle.step, bytes: statSync(file).size, initMs: loadMs([file], built, runs) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RegisterDns → register-dns: the handler file a step is built from. */
function kebab(step: string): string {
  return step.replace(/[A-Z]/g, (c, i) => `${i ? '-' : ''}${c.toLowerCase()}`);
}
