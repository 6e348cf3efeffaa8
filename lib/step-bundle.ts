import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Stage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { type BuildOptions, buildSync } from 'esbuild';

export const LAMBDAS_DIR = path.join(__dirname, '..', 'lambdas');

/**
 * How every step's bundle is built: minified CommonJS for the current Node.js runtime, with source
 * maps, shell scripts as text, and the AWS SDK left to the Lambda runtime. The step's name is part
 * of the code, not its environment: logs and the SDK's user agent carry it.
 */
export function bundleOptions(handlerFile: string, step: string): BuildOptions {
  return {
    entryPoints: [path.join(LAMBDAS_DIR, `${handlerFile}.ts`)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    loader: { '.sh': 'text' },
    define: { 'process.env.LIFECYCLE_STEP': JSON.stringify(step) },
    external: ['@aws-sdk/*'],
    logLevel: 'warning',
  };
}

/**
 * The step's code: bundled by esbuild in this process, next to the cloud assembly, then staged as
 * an ordinary asset (hashed by its content). One in-process build per step takes milliseconds,
 * where a bundling subprocess per function took most of a synth.
 */
export function stepCode(scope: Construct, handlerFile: string, step: string): lambda.Code {
  const outdir = Stage.of(scope)?.outdir ?? tmpdir();
  const dir = path.join(outdir, '.step-bundles', step);
  mkdirSync(dir, { recursive: true });
  buildSync({ ...bundleOptions(handlerFile, step), outfile: path.join(dir, 'index.js') });
  return lambda.Code.fromAsset(dir);
}
