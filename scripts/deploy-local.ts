/**
 * `npm run deploy:local -- --endpoint URL [--destroy]`: the real cdk CLI bootstraps, deploys (or
 * destroys) this stack in a running `instance-lifecycle emulator --no-stack`, as a user deploys to AWS. The
 * state machines the Step Functions API then runs are the ones CloudFormation created from the
 * real template, and each Lambda runs the code the deploy uploaded to the assets bucket.
 *
 * moto's CloudFormation takes the CLI's direct deployment (CreateStack/UpdateStack), not change
 * sets, so the deploy uses `--method=direct`; the bootstrap stack is created from
 * `cdk bootstrap --show-template` with CreateStack for the same reason. The endpoint must be a
 * running emulator: this script never deploys to AWS.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { STACK_ID } from '../lib/stack-id';
import { clientConfig, LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from '../src/emulator/account';
import { PROJECT_ROOT, synthesize } from '../src/engine/synth';

const STACK = STACK_ID;
const TOOLKIT = 'CDKToolkit';
const CDK = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The environment the cdk CLI runs with: the emulator's endpoint, account and region, nothing of the caller's AWS. */
function cdkEnvironment(endpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('AWS_') || key.startsWith('CDK_')) delete env[key];
  return {
    ...env,
    // moto serves a template URL from its own S3 only with `localhost` as the host.
    AWS_ENDPOINT_URL: endpoint.replace('//127.0.0.1', '//localhost'),
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
  };
}

/** Runs the cdk CLI; its output streams through; rejects on a non-zero exit. */
function cdk(args: string[], endpoint: string, cwd = PROJECT_ROOT, capture = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(CDK, args, {
      cwd,
      env: cdkEnvironment(endpoint),
      stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`cdk ${args[0]} exited ${code} (its output is above)`)),
    );
  });
}

async function stackOf(cfn: CloudFormationClient, name: string): Promise<Stack | undefined> {
  try {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
    return stack?.StackStatus === 'DELETE_COMPLETE' ? undefined : stack;
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return undefined;
    throw error;
  }
}

async function assertEmulator(endpoint: string): Promise<void> {
  let health: Response;
  try {
    health = await fetch(`${endpoint}/_emulator/health`);
  } catch {
    throw new Error(`nothing answers at ${endpoint}: start one with \`npx instance-lifecycle emulator --no-stack\``);
  }
  if (!health.ok)
    throw new Error(`${endpoint} is not an instance-lifecycle emulator: deploy:local deploys to the emulator only`);
}

/** The bootstrap stack, from the CLI's own template, created directly (moto's change sets cannot). */
async function bootstrap(cfn: CloudFormationClient, endpoint: string): Promise<void> {
  if (await stackOf(cfn, TOOLKIT)) return say(`${TOOLKIT} is there: already bootstrapped`);
  say(`bootstrapping aws://${LOCAL_ACCOUNT_ID}/${LOCAL_REGION} (cdk bootstrap --show-template, then CreateStack)`);
  // Outside the project: in it, the CLI would synthesize the app without bundling first.
  const dir = mkdtempSync(path.join(tmpdir(), 'lifecycle-bootstrap-'));
  try {
    const template = await cdk(
      ['bootstrap', `aws://${LOCAL_ACCOUNT_ID}/${LOCAL_REGION}`, '--show-template'],
      endpoint,
      dir,
      true,
    );
    await cfn.send(
      new CreateStackCommand({ StackName: TOOLKIT, TemplateBody: template, Capabilities: ['CAPABILITY_NAMED_IAM'] }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const status = (await stackOf(cfn, TOOLKIT))?.StackStatus;
  if (status !== 'CREATE_COMPLETE') throw new Error(`the bootstrap stack ended ${status}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { endpoint: { type: 'string' }, destroy: { type: 'boolean', default: false } },
  });
  const endpoint = (values.endpoint || process.env.AWS_ENDPOINT_URL || '').replace(/\/$/, '');
  if (!endpoint) {
    throw new Error(
      'say which emulator: npm run deploy:local -- --endpoint http://127.0.0.1:N (from `npx instance-lifecycle emulator --no-stack`)',
    );
  }
  await assertEmulator(endpoint);
  const cfn = new CloudFormationClient(clientConfig(endpoint));
  const { outdir } = synthesize();
  if (values.destroy) {
    say(`destroying ${STACK} (cdk destroy)`);
    await cdk(['destroy', '--app', outdir, '--force', STACK], endpoint);
    return;
  }
  const existing = await stackOf(cfn, STACK);
  if (existing) {
    throw new Error(
      `${STACK} is already deployed there (${existing.StackStatus}): start the emulator with --no-stack, or run npm run deploy:local -- --endpoint ${endpoint} --destroy first`,
    );
  }
  await bootstrap(cfn, endpoint);
  say(`deploying ${STACK} from ${path.relative(PROJECT_ROOT, outdir) || outdir} (cdk deploy --method=direct)`);
  await cdk(
    ['deploy', '--app', outdir, '--method=direct', '--no-previous-parameters', '--require-approval', 'never', STACK],
    endpoint,
  );
  say(`deployed: aws --endpoint-url ${endpoint} cloudformation describe-stacks --stack-name ${STACK}`);
  say(`          npx instance-lifecycle create --hostname web1 --zone example.internal --endpoint ${endpoint}`);
}

main().catch((error: Error) => {
  process.stderr.write(`deploy:local: ${error.message}\n`);
  process.exit(1);
});
