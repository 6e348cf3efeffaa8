/**
 * The stack as users synthesize it: the real cdk CLI, with an account and a region, in a region of
 * each partition. The CLI always resolves a region (and an account, given credentials), so cdk-nag
 * sees literal ARNs here where an env-agnostic in-process synth sees tokens: an acknowledgement
 * written for one and not the other fails `cdk deploy` for every user.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/engine/synth';

const ACCOUNT = '123456789012';
const PARTITION_REGIONS = { aws: 'eu-west-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' };

interface Run {
  code: number | null;
  output: string;
  template: string;
}

/** `cdk synth` as a user runs it, in `region`, with no credentials and the account from the environment. */
function cdkSynth(region: string, outdir: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: region, CDK_DEFAULT_ACCOUNT: ACCOUNT };
  for (const key of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'CDK_DEFAULT_REGION',
  ]) {
    delete env[key];
  }
  const cli = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
  return new Promise((resolve, reject) => {
    const child = spawn(cli, ['synth', '--quiet', '--output', outdir], { cwd: PROJECT_ROOT, env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      let template = '';
      try {
        template = readFileSync(path.join(outdir, 'InstanceLifecycle.template.json'), 'utf8');
      } catch {
        // no template: the output says why
      }
      resolve({ code, output, template });
    });
  });
}

const runs = new Map<string, Run>();
const dirs: string[] = [];

beforeAll(async () => {
  // One synth per partition, side by side.
  await Promise.all(
    Object.entries(PARTITION_REGIONS).map(async ([partition, region]) => {
      const outdir = mkdtempSync(path.join(tmpdir(), `lifecycle-synth-${partition}-`));
      dirs.push(outdir);
      runs.set(partition, await cdkSynth(region, outdir));
    }),
  );
}, 180_000);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test.each(Object.entries(PARTITION_REGIONS))('cdk synth in %s (%s): no error, cdk-nag clean', (partition) => {
  const run = runs.get(partition) as Run;
  expect({ code: run.code, errors: run.output.split('\n').filter((l) => /ERROR|Error:/.test(l)) }).toEqual({
    code: 0,
    errors: [],
  });
  // The region and account the CLI resolved are in the template, and every ARN is the partition's own.
  const region = PARTITION_REGIONS[partition as keyof typeof PARTITION_REGIONS];
  expect(run.template).toContain(`arn:${partition}:states:${region}:${ACCOUNT}:`);
  expect(new Set(run.template.match(/arn:[a-z-]+:/g))).toEqual(new Set([`arn:${partition}:`]));
});
