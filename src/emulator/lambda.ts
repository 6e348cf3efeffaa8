/**
 * Lambda Invoke, answered by the emulator (moto would need Docker): the code is the code the
 * deployment uploaded (the function's S3 object in the CDK assets bucket, fetched from moto and
 * unpacked once per CodeSha256), run in warm worker threads, one invocation at a time each, as the
 * Node.js runtime runs a handler. The workers are shared by the functions: each loads a function's
 * code once, under that function's environment variables, and runs each invocation with them, so
 * the AWS SDK a step imports is loaded once per worker rather than once per function.
 * A handler's error is answered as Lambda answers it: 200, `X-Amz-Function-Error: Unhandled`, the
 * runtime's `{"errorType","errorMessage","trace"}`. What the handler logs goes to CloudWatch Logs,
 * to the log group the function's LoggingConfig names (read from its stack's template).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  GetTemplateCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type FunctionConfiguration, GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { clientConfig, LOCAL_CREDENTIALS, LOCAL_REGION } from './account';
import type { WireResponse } from './protocol';
import { unzipTo } from './zip';

export interface LambdaServiceOptions {
  motoUrl: string;
  /** What the handlers' AWS SDK calls (the proxy itself). */
  endpoint: () => string;
  /** Where function code is unpacked: inside the project, so the bundles find its node_modules. */
  codeRoot: string;
}

interface Environment {
  worker: Worker;
  busy: boolean;
}

interface Runtime {
  key: string;
  config: FunctionConfiguration;
  codeDir: string;
  logGroup?: string;
}

type Reply = { ok: true; result: unknown; logs: string[] } | { ok: false; error: RuntimeError; logs: string[] };
interface RuntimeError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** The assets bucket the CDK's default synthesizer uploads to (`cdk bootstrap`). */
export function assetsBucket(account: string, region: string): string {
  return `cdk-hnb659fds-assets-${account}-${region}`;
}

const WORKER = path.join(__dirname, 'lambda-worker.js');

export class LambdaService {
  private readonly lambda: LambdaClient;
  private readonly s3: S3Client;
  private readonly cfn: CloudFormationClient;
  private readonly logs: CloudWatchLogsClient;
  private readonly runtimes = new Map<string, Runtime>();
  /** Warm workers, shared by every function. */
  private readonly environments: Environment[] = [];
  private invocations = 0;

  constructor(private readonly options: LambdaServiceOptions) {
    const config = clientConfig(options.motoUrl);
    this.lambda = new LambdaClient(config);
    this.s3 = new S3Client({ ...config, forcePathStyle: true });
    this.cfn = new CloudFormationClient(config);
    this.logs = new CloudWatchLogsClient(config);
  }

  /** `POST /2015-03-31/functions/{name}/invocations` */
  async invoke(
    path: string,
    body: string,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<WireResponse> {
    const name = decodeURIComponent(/\/functions\/([^/]+)\/invocations/.exec(path)?.[1] ?? '');
    const runtime = await this.runtime(name);
    const requestId = randomUUID();
    const event = body ? JSON.parse(body) : {};
    const reply = await this.run(runtime, event, requestId);
    await this.writeLogs(runtime, requestId, reply.logs);
    const common = {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amz-executed-version': '$LATEST',
    };
    void headers;
    if (reply.ok) return { status: 200, headers: common, body: JSON.stringify(reply.result ?? null) };
    return {
      status: 200,
      headers: { ...common, 'x-amz-function-error': 'Unhandled' },
      body: JSON.stringify(reply.error),
    };
  }

  /** The function's warm runtime, made (code unpacked, log group found) on its first invocation. */
  private async runtime(name: string): Promise<Runtime> {
    const fn = await this.lambda.send(new GetFunctionCommand({ FunctionName: name }));
    const config = fn.Configuration ?? {};
    // A configuration change starts new execution environments, as Lambda's does: the code loads
    // again, under the new variables.
    const variables = createHash('sha256')
      .update(JSON.stringify(config.Environment?.Variables ?? {}))
      .digest('hex')
      .slice(0, 12);
    const key = `${config.FunctionName}:${config.CodeSha256}:${variables}`;
    const known = this.runtimes.get(key);
    if (known) return known;
    const runtime: Runtime = {
      key,
      config,
      codeDir: await this.code(config, fn.Code?.Location ?? ''),
      logGroup: await this.logGroupOf(config.FunctionName ?? name),
    };
    this.runtimes.set(key, runtime);
    return runtime;
  }

  /** The deployed code: the S3 object the function was created from, unpacked once. */
  private async code(config: FunctionConfiguration, location: string): Promise<string> {
    const dir = path.join(this.options.codeRoot, (config.CodeSha256 ?? randomUUID()).replace(/[^A-Za-z0-9]/g, ''));
    if (existsSync(path.join(dir, '.unpacked'))) return dir;
    const key = decodeURIComponent(new URL(location).pathname.replace(/^\//, ''));
    const [, , , region, account] = (config.FunctionArn ?? '').split(':');
    const object = await this.s3.send(new GetObjectCommand({ Bucket: assetsBucket(account, region), Key: key }));
    mkdirSync(dir, { recursive: true });
    unzipTo(Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array()), dir);
    writeFileSync(path.join(dir, '.unpacked'), key);
    return dir;
  }

  /** The log group the function logs to: its LoggingConfig in its stack's template, else /aws/lambda/NAME. */
  private async logGroupOf(functionName: string): Promise<string> {
    const fallback = `/aws/lambda/${functionName}`;
    const stacks = await this.cfn.send(new ListStacksCommand({}));
    for (const stack of stacks.StackSummaries ?? []) {
      if (stack.StackStatus?.startsWith('DELETE')) continue;
      const resources =
        (await this.cfn.send(new DescribeStackResourcesCommand({ StackName: stack.StackName }))).StackResources ?? [];
      const fn = resources.find((r) => r.PhysicalResourceId === functionName);
      if (!fn) continue;
      const template = JSON.parse(
        (await this.cfn.send(new GetTemplateCommand({ StackName: stack.StackName }))).TemplateBody ?? '{}',
      ) as { Resources?: Record<string, { Properties?: { LoggingConfig?: { LogGroup?: { Ref?: string } } } }> };
      const ref = template.Resources?.[fn.LogicalResourceId ?? '']?.Properties?.LoggingConfig?.LogGroup?.Ref;
      return resources.find((r) => r.LogicalResourceId === ref)?.PhysicalResourceId ?? fallback;
    }
    return fallback;
  }

  /** The function's environment variables, as Lambda sets them for its runtime. */
  private variables(runtime: Runtime): Record<string, string> {
    const { config } = runtime;
    return {
      PATH: process.env.PATH ?? '',
      ...config.Environment?.Variables,
      AWS_ENDPOINT_URL: this.options.endpoint(),
      AWS_REGION: (config.FunctionArn ?? '').split(':')[3] ?? LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_LAMBDA_FUNCTION_NAME: config.FunctionName ?? '',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.MemorySize ?? 128),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
  }

  private idleEnvironment(): Environment {
    const idle = this.environments.find((e) => !e.busy);
    if (idle) return idle;
    const worker = new Worker(WORKER, { env: { PATH: process.env.PATH ?? '' }, stdout: false });
    worker.unref();
    const environment: Environment = { worker, busy: false };
    this.environments.push(environment);
    return environment;
  }

  /** One invocation in an idle environment; past the function's timeout, Lambda's own timeout error. */
  private run(runtime: Runtime, event: unknown, requestId: string): Promise<Reply> {
    const environment = this.idleEnvironment();
    environment.busy = true;
    const id = ++this.invocations;
    const timeoutMs = (runtime.config.Timeout ?? 3) * 1000;
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.environments.splice(this.environments.indexOf(environment), 1);
        void environment.worker.terminate();
        resolve({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `${new Date().toISOString()} ${requestId} Task timed out after ${timeoutMs / 1000}.00 seconds`,
            trace: [],
          },
          logs: [],
        });
      }, timeoutMs);
      const onMessage = (message: Reply & { id: number }) => {
        if (message.id !== id) return;
        clearTimeout(timer);
        environment.worker.off('message', onMessage);
        environment.busy = false;
        resolve(message);
      };
      environment.worker.on('message', onMessage);
      environment.worker.postMessage({
        id,
        code: { key: runtime.key, dir: runtime.codeDir, handler: runtime.config.Handler ?? 'index.handler' },
        variables: this.variables(runtime),
        event,
        context: { awsRequestId: requestId, functionName: runtime.config.FunctionName },
      });
    });
  }

  private async writeLogs(runtime: Runtime, requestId: string, lines: string[]): Promise<void> {
    if (!runtime.logGroup || lines.length === 0) return;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const stream = `${day}/[$LATEST]${requestId.replace(/-/g, '')}`;
    try {
      await this.logs.send(new CreateLogStreamCommand({ logGroupName: runtime.logGroup, logStreamName: stream }));
      const now = Date.now();
      await this.logs.send(
        new PutLogEventsCommand({
          logGroupName: runtime.logGroup,
          logStreamName: stream,
          logEvents: lines.map((message) => ({ timestamp: now, message })),
        }),
      );
    } catch (error) {
      process.stderr.write(
        `emulator: the logs of ${runtime.config.FunctionName} were not kept: ${(error as Error).message}\n`,
      );
    }
  }

  /** Ends every warm environment. */
  async close(): Promise<void> {
    for (const environment of this.environments.splice(0)) await environment.worker.terminate();
    this.runtimes.clear();
  }
}
