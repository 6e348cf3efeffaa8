import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SET_HOSTNAME_TIMEOUT_SECONDS } from '../lambdas/lib/commands';
import { WorkflowErrors } from '../lambdas/lib/errors';
import { BOOTSTRAP_MAX_TIMEOUT_SECONDS } from '../lambdas/lib/input';
import { EXPECTED_LATENCY, type ExpectedLatency } from './expected-latency';
import { lambdaStep } from './lambda-step';
import { Poll, type PollProps } from './poll';
import { STEP_TIMEOUT } from './step-function';
import type { Steps } from './steps';
import { workflowStateMachine } from './workflow-state-machine';
import { renderedAsl, worstCaseSeconds } from './worst-case';

export interface CreateVmWorkflowProps {
  readonly steps: Steps;
  /** Must be at least the worst case its own bounds allow (the synth says). @default CREATE_TIMEOUT */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** Each poll's first wait. @default EXPECTED_LATENCY */
  readonly expectedLatency?: ExpectedLatency;
}

/** create-vm's state machine timeout: past the worst case of its own bounds (about 80 minutes). */
export const CREATE_TIMEOUT = Duration.minutes(90);

/**
 * Each loop's bounds: seconds from its first check (the bound that counts, whatever the operator's
 * interval), and checks (what stops a loop polling with a 0 s interval). At the default 5 s
 * interval the checks outlast the seconds.
 */
export const CREATE_POLL_BOUNDS = {
  running: { maxSeconds: 300, maxAttempts: 60 },
  managed: { maxSeconds: 600, maxAttempts: 120 },
  dnsSync: { maxSeconds: 300, maxAttempts: 60 },
  /** The set-hostname command first waits for cloud-init, up to its own execution timeout. */
  hostname: { maxSeconds: SET_HOSTNAME_TIMEOUT_SECONDS + 60, maxAttempts: 200 },
  /** Agent checks every interval, then a probe every couple of seconds. */
  rebooted: { maxSeconds: 600, maxAttempts: 300 },
  /** The longest bootstrap the contract allows, and a margin. */
  bootstrap: { maxSeconds: BOOTSTRAP_MAX_TIMEOUT_SECONDS + 120, maxAttempts: 400 },
} as const satisfies Record<string, Pick<PollProps, 'maxSeconds' | 'maxAttempts'>>;

/**
 * create-vm, top to bottom: ValidateInput → Provision [LaunchInstance → WaitUntilRunning →
 * (WaitUntilManaged → SetHostname → WaitForHostname → RebootInstance → WaitUntilRebooted ‖
 * RegisterDns → WaitForDnsSync) → Bootstrap? → Done]. Any failure inside Provision runs RollBack,
 * then fails with the original error and cause.
 */
export class CreateVmWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The longest an execution can take before its own states end it (lib/worst-case.ts). */
  readonly worstCaseSeconds: number;

  constructor(scope: Construct, id: string, props: CreateVmWorkflowProps) {
    super(scope, id);
    const s = props.steps;
    const intervalPath = '$.config.pollIntervalSeconds';
    const expected = props.expectedLatency ?? EXPECTED_LATENCY;
    const poll = (
      id: string,
      props: Pick<PollProps, 'check' | 'slot' | 'firstWaitSeconds' | 'payload'>,
      bounds: keyof typeof CREATE_POLL_BOUNDS,
    ) => new Poll(this, id, { ...props, ...CREATE_POLL_BOUNDS[bounds], intervalPath });

    const validate = lambdaStep(this, {
      fn: s.validateInput,
      name: 'ValidateInput',
      payload: { 'input.$': '$', 'executionId.$': '$$.Execution.Id' },
      comment: 'Contract, zone, free name, defaults: before anything is created',
    });

    const launch = lambdaStep(this, {
      fn: s.launchInstance,
      name: 'LaunchInstance',
      resultPath: '$.instance',
    });
    const running = poll(
      'WaitUntilRunning',
      { check: s.waitUntilRunning, slot: 'running', firstWaitSeconds: expected.running },
      'running',
    );
    const managed = poll(
      'WaitUntilManaged',
      { check: s.waitUntilManaged, slot: 'managed', firstWaitSeconds: expected.agentOnline - expected.running },
      'managed',
    );
    const registerDns = lambdaStep(this, {
      fn: s.registerDns,
      name: 'RegisterDns',
      resultPath: '$.dns',
    });
    const dnsSync = poll(
      'WaitForDnsSync',
      {
        check: s.waitForDnsSync,
        slot: 'dnsSync',
        firstWaitSeconds: expected.dnsInSync,
        payload: { 'changeId.$': '$.dns.changeId' },
      },
      'dnsSync',
    );
    const setHostname = lambdaStep(this, {
      fn: s.setHostname,
      name: 'SetHostname',
      resultPath: '$.hostnameCommand',
    });
    const hostnameSet = poll(
      'WaitForHostname',
      { check: s.waitForHostname, slot: 'hostnameResult', firstWaitSeconds: expected.runCommand },
      'hostname',
    );
    const reboot = lambdaStep(this, {
      fn: s.rebootInstance,
      name: 'RebootInstance',
      resultPath: '$.reboot',
    });
    const rebooted = poll(
      'WaitUntilRebooted',
      {
        check: s.waitUntilRebooted,
        slot: 'rebooted',
        firstWaitSeconds: expected.agentAfterReboot,
        payload: { commandSeconds: expected.runCommand },
      },
      'rebooted',
    );
    // Once the instance runs, its record and its own preparation are independent: the DNS change
    // propagates while the agent starts, the hostname is set and the instance reboots.
    const hostAndDns = new sfn.Parallel(this, 'HostAndDns', {
      resultSelector: {
        'config.$': '$[0].config',
        'instance.$': '$[0].instance',
        'running.$': '$[0].running',
        'managed.$': '$[0].managed',
        'hostnameCommand.$': '$[0].hostnameCommand',
        'hostnameResult.$': '$[0].hostnameResult',
        'reboot.$': '$[0].reboot',
        'rebooted.$': '$[0].rebooted',
        'dns.$': '$[1].dns',
        'dnsSync.$': '$[1].dnsSync',
      },
    })
      // A branch must end in a state of its own: a poll's Choice cannot be the last one.
      .branch(
        managed
          .next(setHostname)
          .next(hostnameSet)
          .next(reboot)
          .next(rebooted)
          .next(new sfn.Succeed(this, 'HostReady')),
      )
      .branch(registerDns.next(dnsSync).next(new sfn.Succeed(this, 'DnsInSync')));

    // Post-boot bootstrap, if the execution (or the defaults) asked for one.
    const runBootstrap = lambdaStep(this, {
      fn: s.runBootstrap,
      name: 'RunBootstrap',
      resultPath: '$.bootstrapCommand',
    });
    const bootstrapped = poll(
      'WaitForBootstrap',
      { check: s.waitForBootstrap, slot: 'bootstrapResult', firstWaitSeconds: expected.runCommand },
      'bootstrap',
    );
    const noBootstrap = new sfn.Pass(this, 'NoBootstrap', {
      result: sfn.Result.fromObject({ status: 'DONE', commandStatus: 'None' }),
      resultPath: '$.bootstrapResult',
    });

    const done = new sfn.Pass(this, 'Done', {
      parameters: {
        'instanceId.$': '$.instance.instanceId',
        'privateIp.$': '$.running.privateIp',
        'privateDnsName.$': '$.running.privateDnsName',
        'fqdn.$': '$.config.fqdn',
        'recordType.$': '$.config.recordType',
        'recordValue.$': '$.dns.value',
        'bootId.$': '$.rebooted.bootId',
        'fromDefaults.$': '$.config.fromDefaults',
        'bootstrap.$': '$.bootstrapResult',
        // The lease's expiry (null: none); its schedule is lease-<instanceId> in the lease group.
        'expiresAt.$': '$.config.expiresAt',
        timings: {
          'startedAt.$': '$$.Execution.StartTime',
          'launchedAt.$': '$.instance.launchedAt',
          'runningAt.$': '$.running.at',
          'managedAt.$': '$.managed.at',
          'dnsInSyncAt.$': '$.dnsSync.at',
          'hostnameSetAt.$': '$.hostnameResult.at',
          'rebootedAt.$': '$.rebooted.at',
        },
      },
    });

    const provision = new sfn.Parallel(this, 'Provision', {
      outputPath: '$[0]',
      comment: 'Everything after validation; any failure in here is rolled back',
    }).branch(
      launch
        .next(running)
        .next(hostAndDns)
        .next(
          new sfn.Choice(this, 'Bootstrap?')
            .when(sfn.Condition.isPresent('$.config.bootstrap'), runBootstrap.next(bootstrapped.next(done)))
            .otherwise(noBootstrap.next(done)),
        ),
    );

    const rollBack = lambdaStep(this, {
      fn: s.rollBack,
      name: 'RollBack',
      payload: { 'config.$': '$.config', 'error.$': '$.error' },
      resultPath: '$.rollBack',
    });
    const createFailed = new sfn.Fail(this, 'CreateFailed', {
      errorPath: '$.error.Error',
      causePath: '$.error.Cause',
    });
    // Both failures in one cause: what went wrong, and why it could not be undone.
    const describeRollBackFailure = new sfn.Pass(this, 'DescribeRollBackFailure', {
      parameters: {
        'cause.$':
          "States.Format('the roll-back after {} failed with {}; look for instances tagged lifecycle:execution={} or run destroy', States.JsonToString($.error), States.JsonToString($.rollBackError), $.config.executionId)",
      },
      resultPath: '$.rollBackFailure',
    });
    const rollBackFailed = new sfn.Fail(this, 'RollBackFailed', {
      error: WorkflowErrors.rollBackFailed,
      causePath: '$.rollBackFailure.cause',
      comment: 'Cleaning up after a failure failed: destroy the host, or look for instances tagged with this execution',
    });
    rollBack.addCatch(describeRollBackFailure.next(rollBackFailed), { resultPath: '$.rollBackError' });
    provision.addCatch(rollBack.next(createFailed), { resultPath: '$.error' });

    const definition = validate.next(provision);
    const timeout = props.timeout ?? CREATE_TIMEOUT;
    this.stateMachine = workflowStateMachine(this, {
      comment: 'instance-lifecycle create-vm: launch, name, register in DNS, reboot, verify',
      definition,
      timeout,
      logRetention: props.logRetention,
    });
    // The state machine's own timeout ends an execution without its roll-back (the clean-up then
    // removes what it left): it must come after everything create-vm bounds itself. (Rendered once
    // the state machine has bound the chain: a Parallel renders its branches only then.)
    this.worstCaseSeconds = worstCaseSeconds(renderedAsl(definition.startState), () => STEP_TIMEOUT.toSeconds());
    if (timeout.toSeconds() < this.worstCaseSeconds) {
      throw new Error(
        `createTimeoutMinutes: ${timeout.toMinutes({ integral: false })} is less than create-vm's own bounds allow (${Math.ceil(this.worstCaseSeconds / 60)} minutes: every poll to its time limit, every step to its Lambda timeout, then the roll-back); the roll-back would be cut short`,
      );
    }
  }
}
