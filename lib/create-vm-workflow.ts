import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXPECTED_LATENCY, type ExpectedLatency } from './expected-latency';
import { lambdaStep } from './lambda-step';
import { Poll, type PollProps } from './poll';
import type { Steps } from './steps';
import { workflowStateMachine } from './workflow-state-machine';

export interface CreateVmWorkflowProps {
  readonly steps: Steps;
  /** @default Duration.minutes(45) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** Each poll's first wait. @default EXPECTED_LATENCY */
  readonly expectedLatency?: ExpectedLatency;
}

/** Checks allowed per loop; with the default 5 s interval each is at least a few minutes. */
export const CREATE_MAX_ATTEMPTS = {
  running: 60,
  managed: 120,
  dnsSync: 60,
  /** The set-hostname command first waits up to 600 s for cloud-init. */
  hostname: 200,
  rebooted: 120,
  /** 30 minutes at the default 5 s: the longest bootstrap.timeoutSeconds allows. */
  bootstrap: 360,
} as const;

/**
 * create-vm, top to bottom: ValidateInput → Provision [LaunchInstance → WaitUntilRunning →
 * (WaitUntilManaged → SetHostname → WaitForHostname → RebootInstance → WaitUntilRebooted ‖
 * RegisterDns → WaitForDnsSync) → Bootstrap? → Done]. Any failure inside Provision runs RollBack,
 * then fails with the original error and cause.
 */
export class CreateVmWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: CreateVmWorkflowProps) {
    super(scope, id);
    const s = props.steps;
    const intervalPath = '$.config.pollIntervalSeconds';
    const expected = props.expectedLatency ?? EXPECTED_LATENCY;
    const poll = (
      id: string,
      check: PollProps['check'],
      slot: string,
      maxAttempts: number,
      firstWaitSeconds: number,
      payload?: PollProps['payload'],
    ) => new Poll(this, id, { check, slot, intervalPath, maxAttempts, firstWaitSeconds, payload });

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
      s.waitUntilRunning,
      'running',
      CREATE_MAX_ATTEMPTS.running,
      expected.running,
    );
    const managed = poll(
      'WaitUntilManaged',
      s.waitUntilManaged,
      'managed',
      CREATE_MAX_ATTEMPTS.managed,
      expected.agentOnline - expected.running,
    );
    const registerDns = lambdaStep(this, {
      fn: s.registerDns,
      name: 'RegisterDns',
      resultPath: '$.dns',
    });
    const dnsSync = poll(
      'WaitForDnsSync',
      s.waitForDnsSync,
      'dnsSync',
      CREATE_MAX_ATTEMPTS.dnsSync,
      expected.dnsInSync,
      {
        'changeId.$': '$.dns.changeId',
      },
    );
    const setHostname = lambdaStep(this, {
      fn: s.setHostname,
      name: 'SetHostname',
      resultPath: '$.hostnameCommand',
    });
    const hostnameSet = poll(
      'WaitForHostname',
      s.waitForHostname,
      'hostnameResult',
      CREATE_MAX_ATTEMPTS.hostname,
      expected.runCommand,
    );
    const reboot = lambdaStep(this, {
      fn: s.rebootInstance,
      name: 'RebootInstance',
      resultPath: '$.reboot',
    });
    const rebooted = poll(
      'WaitUntilRebooted',
      s.waitUntilRebooted,
      'rebooted',
      CREATE_MAX_ATTEMPTS.rebooted,
      expected.agentAfterReboot,
      { commandSeconds: expected.runCommand },
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
      s.waitForBootstrap,
      'bootstrapResult',
      CREATE_MAX_ATTEMPTS.bootstrap,
      expected.runCommand,
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
      error: 'RollBackFailed',
      causePath: '$.rollBackFailure.cause',
      comment: 'Cleaning up after a failure failed: destroy the host, or look for instances tagged with this execution',
    });
    rollBack.addCatch(describeRollBackFailure.next(rollBackFailed), { resultPath: '$.rollBackError' });
    provision.addCatch(rollBack.next(createFailed), { resultPath: '$.error' });

    this.stateMachine = workflowStateMachine(this, {
      comment: 'instance-lifecycle create-vm: launch, name, register in DNS, reboot, verify',
      definition: validate.next(provision),
      timeout: props.timeout ?? Duration.minutes(45),
      logRetention: props.logRetention,
    });
  }
}
