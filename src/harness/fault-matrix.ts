/**
 * The fault matrix: for each step of each workflow, the faults AWS can throw at it and the outcome
 * the workflows promise. Create either succeeds (transient faults are retried) or fails with a named
 * error and leaves nothing behind; destroy either finishes, or fails and finishes when run again.
 * Every host in it is leased, so a lease schedule left behind is seen like an instance or a record.
 * test/faults-*.test.ts assert every cell; `npm run faults` prints the matrix with what each cell saw.
 */
import { WorkflowErrors } from '../../lambdas/lib/errors';
import type { Fault } from '../emulator';
import type { StepEvent } from '../engine/local-engine';
import type { Harness } from '.';
import { ZONE } from '.';

export interface FaultCase {
  workflow: 'create' | 'destroy';
  /** The step that meets the fault. */
  step: string;
  /** What goes wrong, for people. */
  fault: string;
  faults: Fault[];
  /** `SUCCEEDED`, or the error the execution fails with. */
  expected: string;
  /** Destroy only: what a second destroy, without faults, ends with. */
  rerun?: 'SUCCEEDED' | 'HostNotFound';
  /** Create only: the failure happens after launch, so a failing create runs RollBack. */
  before?: Fault[];
}

export interface Observation {
  status: string;
  error?: string;
  /** Calls the faults were applied to. */
  injected: number;
  /** Step Functions retries, all steps. */
  retries: number;
  /** Instances ever launched under the hostname, live at the end, records and lease schedules at the end. */
  launched: number;
  live: number;
  records: number;
  leases: number;
  rerun?: string;
  ms: number;
}

interface StepFaults {
  step: string;
  /** The call a lost response is simulated on: the one that changes something, if the step has one. */
  lostOn: string;
  /** What the step's first call is throttled with, when throttling never ends. */
  throttledWith: string;
}

const CREATE_STEPS: StepFaults[] = [
  { step: 'ValidateInput', lostOn: 'ListHostedZonesByName', throttledWith: 'ThrottlingException' },
  { step: 'LaunchInstance', lostOn: 'RunInstances', throttledWith: 'RequestLimitExceeded' },
  { step: 'WaitUntilRunning', lostOn: 'DescribeInstances', throttledWith: 'RequestLimitExceeded' },
  { step: 'WaitUntilManaged', lostOn: 'DescribeInstanceInformation', throttledWith: 'ThrottlingException' },
  { step: 'RegisterDns', lostOn: 'ChangeResourceRecordSets', throttledWith: 'Throttling' },
  { step: 'WaitForDnsSync', lostOn: 'GetChange', throttledWith: 'Throttling' },
  { step: 'SetHostname', lostOn: 'SendCommand', throttledWith: 'ThrottlingException' },
  { step: 'WaitForHostname', lostOn: 'GetCommandInvocation', throttledWith: 'ThrottlingException' },
  { step: 'RebootInstance', lostOn: 'RebootInstances', throttledWith: 'RequestLimitExceeded' },
  { step: 'WaitUntilRebooted', lostOn: 'SendCommand', throttledWith: 'ThrottlingException' },
];

const DESTROY_STEPS: Array<StepFaults & { rerun: 'SUCCEEDED' | 'HostNotFound' }> = [
  { step: 'ResolveHost', lostOn: 'ListHostedZonesByName', throttledWith: 'Throttling', rerun: 'SUCCEEDED' },
  {
    step: 'TerminateInstance',
    lostOn: 'TerminateInstances',
    throttledWith: 'RequestLimitExceeded',
    rerun: 'SUCCEEDED',
  },
  // The instance was terminated and its record removed side by side: nothing is left to do.
  {
    step: 'WaitUntilTerminated',
    lostOn: 'DescribeInstances',
    throttledWith: 'RequestLimitExceeded',
    rerun: 'HostNotFound',
  },
  { step: 'RemoveDns', lostOn: 'ChangeResourceRecordSets', throttledWith: 'Throttling', rerun: 'SUCCEEDED' },
  // The record is already deleted when the wait for its change is throttled: nothing is left to do.
  { step: 'WaitForDnsSync', lostOn: 'GetChange', throttledWith: 'Throttling', rerun: 'HostNotFound' },
];

/** Faults every step meets the same way: transient ones are retried, endless throttling is named. */
function common(workflow: FaultCase['workflow'], s: StepFaults, rerun?: FaultCase['rerun']): FaultCase[] {
  const { step } = s;
  return [
    {
      workflow,
      step,
      fault: 'throttled ×3',
      faults: [{ kind: 'throttle', operation: '*', step, times: 3 }],
      expected: 'SUCCEEDED',
    },
    {
      workflow,
      step,
      fault: '503 ServiceUnavailable ×3',
      faults: [{ kind: 'error', operation: '*', step, code: 'ServiceUnavailable', times: 3 }],
      expected: 'SUCCEEDED',
    },
    {
      workflow,
      step,
      fault: `${s.lostOn} done, response lost`,
      faults: [{ kind: 'error', operation: s.lostOn, step, code: 'InternalError', after: true, times: 1 }],
      expected: 'SUCCEEDED',
    },
    {
      workflow,
      step,
      fault: '200 ms latency on every call',
      faults: [{ kind: 'latency', operation: '*', step, delayMs: 200 }],
      expected: 'SUCCEEDED',
    },
    {
      workflow,
      step,
      fault: 'throttled, never ends',
      faults: [{ kind: 'throttle', operation: '*', step }],
      expected: s.throttledWith,
      rerun,
    },
  ];
}

const hostnameFailure: Fault = { kind: 'command-failed', operation: 'SendCommand', step: 'SetHostname' };

export const CREATE_CASES: FaultCase[] = [
  ...CREATE_STEPS.flatMap((s) => common('create', s)),
  {
    workflow: 'create',
    step: 'LaunchInstance',
    fault: 'InsufficientInstanceCapacity',
    faults: [{ kind: 'error', operation: 'RunInstances', code: 'InsufficientInstanceCapacity', status: 500 }],
    expected: 'InsufficientInstanceCapacity',
  },
  {
    workflow: 'create',
    step: 'WaitUntilRunning',
    fault: 'pending → terminated (no capacity)',
    faults: [{ kind: 'instance-fails', operation: 'RunInstances' }],
    expected: 'InstanceFailed',
  },
  {
    workflow: 'create',
    step: 'WaitUntilManaged',
    fault: 'agent never Online',
    faults: [{ kind: 'agent-offline', operation: 'DescribeInstanceInformation', step: 'WaitUntilManaged' }],
    expected: WorkflowErrors.pollTimeout,
  },
  {
    workflow: 'create',
    step: 'RegisterDns',
    fault: 'PriorRequestNotComplete ×3',
    faults: [
      {
        kind: 'error',
        operation: 'ChangeResourceRecordSets',
        step: 'RegisterDns',
        code: 'PriorRequestNotComplete',
        times: 3,
      },
    ],
    expected: 'SUCCEEDED',
  },
  {
    workflow: 'create',
    step: 'WaitForDnsSync',
    fault: 'change PENDING ×3',
    faults: [{ kind: 'dns-pending', operation: 'GetChange', times: 3 }],
    expected: 'SUCCEEDED',
  },
  {
    workflow: 'create',
    step: 'WaitForDnsSync',
    fault: 'change PENDING for ever',
    faults: [{ kind: 'dns-pending', operation: 'GetChange' }],
    expected: WorkflowErrors.pollTimeout,
  },
  {
    workflow: 'create',
    step: 'WaitForHostname',
    fault: 'command ends Failed',
    faults: [hostnameFailure],
    expected: 'CommandFailed',
  },
  {
    workflow: 'create',
    step: 'WaitForHostname',
    fault: 'command ends TimedOut',
    faults: [{ ...hostnameFailure, commandStatus: 'TimedOut' }],
    expected: 'CommandFailed',
  },
  {
    workflow: 'create',
    step: 'WaitUntilRebooted',
    fault: 'probe command Failed ×1',
    faults: [{ kind: 'command-failed', operation: 'SendCommand', step: 'WaitUntilRebooted', times: 1 }],
    expected: 'SUCCEEDED',
  },
  {
    workflow: 'create',
    step: 'WaitUntilRebooted',
    fault: 'agent never back after reboot',
    faults: [{ kind: 'agent-offline', operation: 'DescribeInstanceInformation', step: 'WaitUntilRebooted' }],
    expected: WorkflowErrors.pollTimeout,
  },
  {
    workflow: 'create',
    step: 'RollBack',
    fault: 'throttled ×3 while undoing',
    before: [hostnameFailure],
    faults: [{ kind: 'throttle', operation: '*', step: 'RollBack', times: 3 }],
    expected: 'CommandFailed',
  },
  {
    workflow: 'create',
    step: 'RollBack',
    fault: 'throttled, never ends',
    before: [hostnameFailure],
    faults: [{ kind: 'throttle', operation: '*', step: 'RollBack' }],
    // The one outcome that leaves something: named, and finished by destroy (asserted by the tests).
    expected: WorkflowErrors.rollBackFailed,
  },
];

export const DESTROY_CASES: FaultCase[] = [
  ...DESTROY_STEPS.flatMap((s) => common('destroy', s, s.rerun)),
  {
    workflow: 'destroy',
    step: 'WaitForDnsSync',
    fault: 'change PENDING for ever',
    faults: [{ kind: 'dns-pending', operation: 'GetChange', step: 'WaitForDnsSync' }],
    expected: WorkflowErrors.pollTimeout,
    rerun: 'HostNotFound',
  },
];

/** A hostname of its own for each case, so cases never see each other's instances or records. */
export function hostnameOf(c: FaultCase): string {
  const slug = `${c.workflow}-${c.step}-${c.fault}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return slug.slice(0, 63).replace(/-$/, '');
}

/** Runs one case on the harness's emulator and reports what happened. The faults are cleared after. */
export async function runCase(h: Harness, c: FaultCase): Promise<Observation> {
  const hostname = hostnameOf(c);
  const input = { hostname, dnsZone: ZONE, pollIntervalSeconds: 0 };
  const createInput = { ...input, expiresIn: '2h' };
  if (c.workflow === 'destroy') {
    await h.seedHost(hostname, ZONE, { expiresAt: new Date(Date.now() + 7200_000).toISOString() });
  }
  const steps: StepEvent[] = [];
  const started = Date.now();
  h.emulator.proxy.faults.set([...(c.before ?? []), ...c.faults]);
  let result: Awaited<ReturnType<typeof h.engine.run>>;
  let injected = 0;
  try {
    result = await h.engine.run(c.workflow, c.workflow === 'create' ? createInput : input, (e) => steps.push(e));
    injected = h.emulator.proxy.faults
      .list()
      .slice(c.before?.length ?? 0)
      .reduce((n, f) => n + f.applied, 0);
  } finally {
    h.emulator.proxy.faults.clear();
  }
  const ms = Date.now() - started;
  let rerun: string | undefined;
  if (c.workflow === 'destroy' && result.status === 'FAILED') {
    const again = await h.engine.run('destroy', input);
    rerun = again.status === 'SUCCEEDED' ? again.status : again.error;
  }
  if (result.status === 'FAILED' && result.error === WorkflowErrors.rollBackFailed) {
    const cleaned = await h.engine.run('destroy', input);
    rerun = cleaned.status === 'SUCCEEDED' ? 'destroy SUCCEEDED' : `destroy ${cleaned.error}`;
  }
  const host = await h.host(hostname);
  return {
    status: result.status,
    error: result.status === 'FAILED' ? result.error : undefined,
    injected,
    retries: steps.filter((s) => s.status === 'Retried').length,
    launched: host.launched.length,
    live: host.live.length,
    records: host.records.length,
    leases: host.leases.length,
    rerun,
    ms,
  };
}

/** What the case promises, in the terms of an observation. */
export function promised(c: FaultCase): Partial<Observation> {
  const outcome = c.expected === 'SUCCEEDED' ? { status: 'SUCCEEDED' } : { status: 'FAILED', error: c.expected };
  const gone = { live: 0, records: 0, leases: 0 };
  if (c.workflow === 'destroy') return { ...outcome, ...gone, ...(c.rerun ? { rerun: c.rerun } : {}) };
  if (c.expected === 'SUCCEEDED') return { ...outcome, launched: 1, live: 1, records: 1, leases: 1 };
  if (c.expected === WorkflowErrors.rollBackFailed) return { ...outcome, ...gone, rerun: 'destroy SUCCEEDED' };
  return { ...outcome, ...gone };
}

/** The create cells in two halves, so that two test files share them across jest's workers. */
const UNTIL_DNS = new Set(['ValidateInput', 'LaunchInstance', 'WaitUntilRunning', 'WaitUntilManaged', 'RegisterDns']);
export const CREATE_CASES_UNTIL_DNS = CREATE_CASES.filter((c) => UNTIL_DNS.has(c.step));
export const CREATE_CASES_AFTER_DNS = CREATE_CASES.filter((c) => !UNTIL_DNS.has(c.step));
