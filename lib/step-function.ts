import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export const LAMBDAS_DIR = path.join(__dirname, '..', 'lambdas');

export interface StepFunctionProps {
  /** The handler file in lambdas/, without extension: `register-dns` for lambdas/register-dns.ts. */
  readonly handlerFile: string;
  readonly description: string;
  /** @default {} */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One workflow step's Lambda, with the project's settings set once: current Node.js runtime on
 * arm64, minified esbuild bundle with source maps, the AWS SDK from the runtime, its own log group
 * with a retention, and its own role that starts with nothing but writing to that log group.
 * Grant what the step calls with `allow()`.
 */
export class StepFunction extends NodejsFunction {
  readonly stepRole: iam.Role;

  constructor(scope: Construct, id: string, props: StepFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${id} step of instance-lifecycle`,
    });
    super(scope, id, {
      entry: path.join(LAMBDAS_DIR, `${props.handlerFile}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(30),
      role,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.CJS,
        loader: { '.sh': 'text' },
        // The step's name is part of the code, not its environment: logs and the SDK's user agent carry it.
        define: { 'process.env.LIFECYCLE_STEP': JSON.stringify(id) },
        externalModules: ['@aws-sdk/*'],
        logLevel: LogLevel.WARNING,
      },
    });
    logGroup.grantWrite(role);
    this.stepRole = role;
  }

  /** Adds statements to this step's own role. */
  allow(...statements: iam.PolicyStatementProps[]): this {
    for (const statement of statements) this.stepRole.addToPrincipalPolicy(new iam.PolicyStatement(statement));
    return this;
  }
}
