import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { stepCode } from './step-bundle';

export interface StepFunctionProps {
  /** The handler file in lambdas/, without extension: `register-dns` for lambdas/register-dns.ts. */
  readonly handlerFile: string;
  readonly description: string;
  /** @default {} */
  readonly environment?: Record<string, string>;
  /** @default STEP_TIMEOUT */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Every step's Lambda timeout: a step is a few AWS calls. */
export const STEP_TIMEOUT = Duration.seconds(30);

/** The `service` of every step's log lines (POWERTOOLS_SERVICE_NAME). */
export const SERVICE_NAME = 'instance-lifecycle';

/**
 * One workflow step's Lambda, with the project's settings set once: current Node.js runtime on
 * arm64, minified esbuild bundle with source maps, the AWS SDK from the runtime, its own log group
 * with a retention, Powertools' Logger configured (service name, level INFO), X-Ray active
 * tracing, and its own role that starts with nothing but writing to that log group and sending
 * traces. Grant what the step calls with `allow()`.
 */
export class StepFunction extends lambda.Function {
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
      code: stepCode(scope, props.handlerFile, id),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? STEP_TIMEOUT,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
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
