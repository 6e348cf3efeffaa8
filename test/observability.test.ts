/**
 * What an operator sees when something happens: JSON log lines from every step carrying the
 * execution and the step, and an event for every failed execution, routed to SNS when asked.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { defineApp } from '../lib/app';
import { InstanceLifecycleStack } from '../lib/instance-lifecycle-stack';
import type { StepEvent } from '../src/engine/local-engine';
import { cdkContext } from '../src/engine/synth';
import { Harness, ZONE } from '../src/harness';

describe('every step logs JSON lines that carry the execution and the step', () => {
  const h = new Harness();
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  beforeEach(() => h.reset());

  interface LogLine {
    level: string;
    timestamp: string;
    service: string;
    step: string;
    execution: string;
    requestId: string;
    coldStart: boolean;
    message: string;
    error?: { name: string; message: string };
  }

  /** Runs a workflow with logging on; returns the steps that ran and the log lines they wrote. */
  async function logged(workflow: 'create' | 'destroy', input: Record<string, unknown>) {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    process.env.LOG_LEVEL = 'INFO';
    const steps: StepEvent[] = [];
    try {
      const result = await h.engine.run(workflow, { dnsZone: ZONE, pollIntervalSeconds: 0, ...input }, (e) =>
        steps.push(e),
      );
      const logs = lines
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine);
      return { result, steps, logs, name: result.executionId.slice(result.executionId.lastIndexOf(':') + 1) };
    } finally {
      process.env.LOG_LEVEL = 'SILENT';
      spy.mockRestore();
    }
  }

  test('create and destroy: each task that ran wrote lines with its step, the execution and a request id', async () => {
    for (const [workflow, input] of [
      ['create', { hostname: 'web1' }],
      ['destroy', { hostname: 'web1' }],
    ] as const) {
      const { result, steps, logs, name } = await logged(workflow, input);
      expect(result.status).toBe('SUCCEEDED');
      const tasks = [...new Set(steps.filter((s) => s.type === 'Task').map((s) => s.name))];
      expect(tasks.length).toBeGreaterThan(workflow === 'create' ? 9 : 4);
      for (const task of tasks) {
        const own = logs.filter((l) => l.step === task);
        expect({ task, lines: own.length > 0 }).toEqual({ task, lines: true });
        for (const line of own) {
          expect(line).toMatchObject({
            level: expect.stringMatching(/^(DEBUG|INFO|WARN|ERROR)$/),
            service: 'instance-lifecycle',
            execution: name,
            requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
            coldStart: expect.any(Boolean),
          });
          expect(Number.isNaN(Date.parse(line.timestamp))).toBe(false);
        }
        expect(own.some((l) => l.message === 'step done')).toBe(true);
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
