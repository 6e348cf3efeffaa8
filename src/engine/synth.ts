import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { STACK_ID } from '../../lib/stack-id';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const SOURCES = ['bin', 'lib', 'lambdas', 'userdata', 'cdk.json', 'package-lock.json'];
const STAMP = '.lifecycle-synth-stamp';

function filesUnder(p: string): string[] {
  if (!existsSync(p)) return [];
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p)
    .sort()
    .flatMap((name) => filesUnder(path.join(p, name)));
}

/** A digest of everything that shapes the template and the bundles. */
export function sourceDigest(context: Record<string, unknown>): string {
  const hash = createHash('sha256');
  for (const file of SOURCES.flatMap((s) => filesUnder(path.join(PROJECT_ROOT, s)))) {
    hash.update(path.relative(PROJECT_ROOT, file));
    hash.update(readFileSync(file));
  }
  hash.update(JSON.stringify(context));
  return hash.digest('hex');
}

export function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface SynthOptions {
  outdir?: string;
  /** Context on top of cdk.json's. */
  context?: Record<string, unknown>;
  /** Synthesize even when the sources have not changed since the last run. */
  force?: boolean;
}

/**
 * Synthesizes the app exactly as `cdk synth` does (same app definition, cdk.json context, esbuild
 * bundles) into cdk.out, unless nothing changed since the last time. Returns the template path.
 */
function plan(options: SynthOptions) {
  const outdir = options.outdir ?? path.join(PROJECT_ROOT, 'cdk.out');
  // The cdk CLI sets asset metadata; the local engine finds each bundle through it.
  const context = { ...cdkContext(), 'aws:cdk:enable-asset-metadata': true, ...options.context };
  const digest = sourceDigest(context);
  const templatePath = path.join(outdir, `${STACK_ID}.template.json`);
  const stampPath = path.join(outdir, STAMP);
  const current =
    !options.force && existsSync(templatePath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === digest;
  return { outdir, context, digest, templatePath, stampPath, current };
}

/** Whether cdk.out already holds the synth of the current sources. */
export function synthIsCurrent(options: SynthOptions = {}): boolean {
  return plan(options).current;
}

export function synthesize(options: SynthOptions = {}): { templatePath: string; outdir: string; reused: boolean } {
  const { outdir, context, digest, templatePath, stampPath, current } = plan(options);
  if (current) return { templatePath, outdir, reused: true };
  // The CDK and the app's constructs take seconds to load: only a synth that has work to do loads them.
  const { App } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { defineApp } = require('../../lib/app') as typeof import('../../lib/app');
  // CDK's own CloudFormation schema check takes seconds; the test suite runs cfn-lint on this template.
  const app = new App({ outdir, context, builtinCloudFormationValidation: false });
  defineApp(app);
  app.synth();
  writeFileSync(stampPath, digest);
  return { templatePath, outdir, reused: false };
}
