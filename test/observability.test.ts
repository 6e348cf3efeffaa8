/**
 * What an operator sees when something happens: Powertools Logger's JSON lines from every step,
 * carrying the execution and the step, and an event for every failed execution, routed to SNS when
 * asked.
 */
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { THROTTLING_ERRORS } from '../lambdas/lib/errors';
import { defineApp } from '../lib/app';
import { InstanceLifecycleStack } from '../lib/instance-lifecycle-stack';
import { SERVICE_NAME } from '../lib/step-function';
import { clientConfig } from '../src/emulator/account';
import type { StepEvent } from '../src/engine/local-engine';
import { cdkContext } from '../src/engine/synth';
import { Harness, STACK_NAME, ZONE } from '../src/harness';

describe("every step logs Powertools Logger's JSON lines, which carry the execution and the step", () => {
  const h = new Harness();
  beforeAll(() => h.start({ stack: true, verbose: true }));
  afterAll(() => h.stop());
  beforeEach(() => h.reset());

  interface LogLine {
    level: string;
    message: string;
    timestamp: string;
    service: string;
    cold_start: boolean;
    function_name: string;
    function_request_id: string;
    step: string;
    execution: string;
    executionArn: string;
    error?: { name: string; message: string };
  }

  /** Runs `work` with the handlers' output (stdout, and stderr where WARN and ERROR go) captured as log lines. */
  async function captured<T>(work: () => Promise<T>): Promise<{ value: T; logs: LogLine[] }> {
    const chunks: string[] = [];
    const capture = (chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    };
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      const value = await work();
      const logs = chunks
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine);
      return { value, logs };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  /** Runs a workflow on the local engine; returns the steps that ran and the log lines they wrote. */
  async function logged(workflow: 'create' | 'destroy', input: Record<string, unknown>) {
    const steps: StepEvent[] = [];
    const { value: result, logs } = await captured(() =>
      h.engine.run(workflow, { dnsZone: ZONE, pollIntervalSeconds: 0, ...input }, (e) => steps.push(e)),
    );
    return { result, steps, logs, name: result.executionId.slice(result.executionId.lastIndexOf(':') + 1) };
  }

  const tasksOf = (steps: StepEvent[]) => [...new Set(steps.filter((s) => s.type === 'Task').map((s) => s.name))];

  test("create and destroy: each task that ran wrote lines with Powertools' keys, its step and the execution", async () => {
    const invoked = new Set<string>();
    for (const [workflow, input] of [
      ['create', { hostname: 'web1' }],
      ['destroy', { hostname: 'web1' }],
    ] as const) {
      const { result, steps, logs, name } = await logged(workflow, input);
      expect(result.status).toBe('SUCCEEDED');
      const tasks = tasksOf(steps);
      expect(tasks.length).toBeGreaterThan(workflow === 'create' ? 9 : 4);
      for (const task of tasks) {
        const own = logs.filter((l) => l.step === task);
        expect({ task, lines: own.length > 0 }).toEqual({ task, lines: true });
        for (const line of own) {
          expect(line).toMatchObject({
            level: expect.stringMatching(/^(DEBUG|INFO|WARN|ERROR)$/),
            message: expect.any(String),
            service: SERVICE_NAME,
            function_name: expect.stringMatching(new RegExp(`^Steps${task}[0-9A-F]{8}$`)),
            function_request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
            cold_start: expect.any(Boolean),
            execution: name,
            executionArn: result.executionId,
          });
          expect(Number.isNaN(Date.parse(line.timestamp))).toBe(false);
          expect(Object.keys(line)).not.toEqual(expect.arrayContaining(['requestId']));
          expect(Object.keys(line)).not.toEqual(expect.arrayContaining(['coldStart']));
        }
        expect(own.some((l) => l.message === 'step done')).toBe(true);
        // A step's first invocation in this process is its cold start, and only that one.
        const first = own[0].function_request_id;
        const cold = own.filter((l) => l.cold_start).map((l) => l.function_request_id);
        expect({ task, cold: [...new Set(cold)] }).toEqual({ task, cold: invoked.has(task) ? [] : [first] });
        invoked.add(task);
      }
      expect(logs.every((l) => tasks.includes(l.step))).toBe(true);
    }
  });

  test('a failing step logs ERROR with the error name; throttling is a WARN, because it is retried', async () => {
    h.faults([
      { kind: 'throttle', operation: 'RunInstances', times: 2 },
      { kind: 'command-failed', operation: 'SendCommand', step: 'SetHostname', message: 'disk full' },
    ]);
    const { result, logs, name } = await logged('create', { hostname: 'web2' });
    expect(result).toMatchObject({ status: 'FAILED', error: 'CommandFailed' });
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        step: 'LaunchInstance',
        execution: name,
        error: expect.objectContaining({ name: 'RequestLimitExceeded' }),
      }),
    );
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        step: 'WaitForHostname',
        execution: name,
        message: 'step failed',
        error: expect.objectContaining({ name: 'CommandFailed', message: expect.stringContaining('disk full') }),
      }),
    );
    expect(logs).toContainEqual(expect.objectContaining({ step: 'RollBack', execution: name, message: 'rolled back' }));
  });

  test("two executions at once: each invocation's lines carry its own execution and request id", async () => {
    const steps: Record<string, StepEvent[]> = { web3: [], web4: [] };
    const { value: results, logs } = await captured(() =>
      Promise.all(
        Object.keys(steps).map((hostname) =>
          h.engine.run('create', { hostname, dnsZone: ZONE, pollIntervalSeconds: 0 }, (e) => steps[hostname].push(e)),
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    results.forEach((result, i) => {
      const name = result.executionId.slice(result.executionId.lastIndexOf(':') + 1);
      const own = logs.filter((l) => l.execution === name);
      const taskRuns = steps[Object.keys(steps)[i]].filter((s) => s.type === 'Task' && s.status === 'Succeeded');
      // One `step done` per task that ran, under this execution and no other.
      expect(own.filter((l) => l.message === 'step done')).toHaveLength(taskRuns.length);
    });
    expect(logs.every((l) => typeof l.execution === 'string')).toBe(true);
    // A request id is one invocation: one execution, one step.
    const byRequest = new Map<string, Set<string>>();
    for (const l of logs) {
      byRequest.set(
        l.function_request_id,
        (byRequest.get(l.function_request_id) ?? new Set()).add(`${l.execution} ${l.step}`),
      );
    }
    expect([...byRequest.values()].filter((owners) => owners.size > 1)).toEqual([]);
  });

  test("in a Lambda execution environment: the function's name and request id, cold start, POWERTOOLS_LOG_LEVEL", async () => {
    const lambda = new LambdaClient(clientConfig(h.url));
    const { Functions = [] } = await lambda.send(new ListFunctionsCommand({}));
    const fn = Functions.find((f) => f.FunctionName?.includes('StepsReportFleet'));
    const functionName = fn?.FunctionName ?? '';
    expect(fn?.Environment?.Variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    const invoke = async (event: unknown) => {
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(event)) }),
      );
      return { failed: out.FunctionError !== undefined, requestId: out.$metadata.requestId ?? '' };
    };
    const logs = async () => {
      const cwl = new CloudWatchLogsClient(clientConfig(h.url));
      const { logGroups = [] } = await cwl.send(
        new DescribeLogGroupsCommand({ logGroupNamePrefix: `${STACK_NAME}-StepsReportFleetLogs` }),
      );
      const { events = [] } = await cwl.send(new FilterLogEventsCommand({ logGroupName: logGroups[0]?.logGroupName }));
      return events.map((e) => JSON.parse(e.message ?? '') as LogLine);
    };
    const fine = { results: [{ hostname: 'web1', status: 'SUCCEEDED' }] };
    const broken = { results: 'not a list' };

    const first = await invoke(fine);
    const second = await invoke(broken);
    expect([first.failed, second.failed]).toEqual([false, true]);
    const lines = await logs();
    expect(lines.filter((l) => l.function_request_id === first.requestId)).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'fleet done', cold_start: true }),
      expect.objectContaining({ level: 'INFO', message: 'step done', cold_start: true }),
    ]);
    expect(lines.filter((l) => l.function_request_id === second.requestId)).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'step failed', cold_start: false }),
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({ service: SERVICE_NAME, function_name: functionName, step: 'ReportFleet' });
      expect(Number.isNaN(Date.parse(line.timestamp))).toBe(false);
    }

    // ERROR and above only: the new configuration's environments load the code under it.
    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: functionName,
        Environment: { Variables: { ...fn?.Environment?.Variables, POWERTOOLS_LOG_LEVEL: 'ERROR' } },
      }),
    );
    const quiet = await invoke(fine);
    const loud = await invoke(broken);
    const after = await logs();
    expect(after.filter((l) => l.function_request_id === quiet.requestId)).toEqual([]);
    expect(after.filter((l) => l.function_request_id === loud.requestId)).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'step failed', cold_start: false }),
    ]);
  });
});

describe('a step failure is a WARN exactly when Step Functions retries it', () => {
  test("THROTTLING_ERRORS, the Retry's list, are WARN; names that only look like them are ERROR", async () => {
    const levels: Record<string, string> = {};
    const capture = (chunk: string | Uint8Array) => {
      const line = JSON.parse(String(chunk)) as { level: string; error: { name: string } };
      levels[line.error.name] = line.level;
      return true;
    };
    // The logger reads its level when its module loads, as a Lambda's does at its cold start.
    const { POWERTOOLS_LOG_LEVEL } = process.env;
    process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
    let instrument: typeof import('../lambdas/lib/logger').instrument = () => {
      throw new Error('not loaded');
    };
    jest.isolateModules(() => {
      ({ instrument } = require('../lambdas/lib/logger'));
    });
    process.env.POWERTOOLS_LOG_LEVEL = POWERTOOLS_LOG_LEVEL;
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    const lookalikes = [
      'ThrottledException',
      'ServiceUnavailableException',
      'InternalServerException',
      'TooManyRequests',
    ];
    try {
      for (const name of [...THROTTLING_ERRORS, ...lookalikes]) {
        const failing = instrument(async () => {
          throw Object.assign(new Error(`injected ${name}`), { name });
        });
        await expect(failing({})).rejects.toThrow(`injected ${name}`);
      }
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(levels).toEqual({
      ...Object.fromEntries(THROTTLING_ERRORS.map((name) => [name, 'WARN'])),
      ...Object.fromEntries(lookalikes.map((name) => [name, 'ERROR'])),
    });
  });
});

describe('failed executions are announced on an SNS topic when one is given', () => {
  /** EventBridge matching for the pattern forms used here: exact values in arrays, nested objects. */
  function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
    return Object.entries(pattern).every(([key, want]) =>
      Array.isArray(want)
        ? want.includes(event[key])
        : typeof event[key] === 'object' &&
          matches(want as Record<string, unknown>, event[key] as Record<string, unknown>),
    );
  }

  const app = new App({ context: cdkContext() });
  const shared = new Stack(app, 'Shared');
  const topic = new sns.Topic(shared, 'Operations', { enforceSSL: true });
  const stack = new InstanceLifecycleStack(app, 'Test', { failureTopic: topic });
  interface RuleProperties {
    EventPattern: unknown;
    Targets: Array<{ Arn: unknown; InputTransformer: { InputPathsMap: Record<string, string> } }>;
  }
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Type: string; Properties: RuleProperties }
  >;
  const machines = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id]) => id);
  /** Rules that notify: the topic's (the clean-up has a rule of its own, on create-vm alone). */
  const notifying = (all: Record<string, { Type: string; Properties: RuleProperties }>) =>
    Object.values(all).filter(
      (r) => r.Type === 'AWS::Events::Rule' && !JSON.stringify(r.Properties.Targets).includes('CleanUp'),
    );
  const rules = notifying(resources);

  /** The rule's pattern with each state machine's Ref replaced by a recognisable ARN. */
  const pattern = JSON.parse(
    JSON.stringify(rules[0]?.Properties.EventPattern ?? {}).replace(/\{"Ref":"([^"]+)"\}/g, '"arn:$1"'),
  );
  const event = (machine: string, status: string) => ({
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: { status, stateMachineArn: `arn:${machine}`, name: 'create-web1', error: 'CommandFailed' },
  });

  test('one rule: FAILED, TIMED_OUT and ABORTED executions of every workflow (the clean-up too), and nothing else', () => {
    expect(rules).toHaveLength(1);
    expect(machines).toHaveLength(5);
    for (const machine of machines) {
      for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED'])
        expect(matches(pattern, event(machine, status))).toBe(true);
      for (const status of ['SUCCEEDED', 'RUNNING']) expect(matches(pattern, event(machine, status))).toBe(false);
    }
    expect(matches(pattern, event('SomeoneElsesMachine', 'FAILED'))).toBe(false);
  });

  test('the message names the execution, its status, error and cause, and goes to the topic', () => {
    const [target] = rules[0].Properties.Targets;
    expect(JSON.stringify(target.Arn)).toContain('Operations');
    const paths = target.InputTransformer.InputPathsMap;
    expect(paths).toMatchObject({
      'detail-executionArn': '$.detail.executionArn',
      'detail-status': '$.detail.status',
      'detail-error': '$.detail.error',
      'detail-cause': '$.detail.cause',
    });
    // The topic's own stack lets EventBridge publish to it.
    Template.fromStack(shared).hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' } })]),
      },
    });
  });

  test('without a topic there is no rule; with failureTopicArn in cdk.json context there is, and cdk-nag is clean', () => {
    const bare = new App({ context: cdkContext() });
    const plain = new InstanceLifecycleStack(bare, 'Plain');
    expect(notifying(Template.fromStack(plain).toJSON().Resources)).toEqual([]);

    const configured = new App({
      context: {
        ...cdkContext(),
        failureTopicArn: 'arn:aws:sns:eu-west-1:123456789012:operations',
      },
    });
    const deployed = defineApp(configured);
    const [rule] = notifying(Template.fromStack(deployed).toJSON().Resources);
    expect(rule.Properties.Targets[0].Arn).toBe('arn:aws:sns:eu-west-1:123456789012:operations');
    const report = new AwsSolutionsChecks(configured).validateScope(deployed);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});
