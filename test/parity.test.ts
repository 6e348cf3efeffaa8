/**
 * Two engines, one behaviour. Each scenario runs the synthesized machines on the local engine
 * (aws-local-stepfunctions, in process) and on moto's engine behind the Step Functions API (the
 * stack CloudFormation deployed into the emulator), against the same emulator, and both must end
 * the same way: status, error name and cause, output, the AWS calls each step made, and what is
 * left in EC2 and Route 53. Identifiers AWS makes up (instance, command and change ids, addresses,
 * times, execution ARNs) are replaced by placeholders before comparing.
 *
 * Known differences, not compared here, each an emulator limit rather than a workflow's:
 * - moto names every Lambda service error `Exception` (AWS: `Lambda.ServiceException`, ...); no
 *   scenario here meets one.
 * - moto's `States.ALL` also catches `States.Runtime`; no scenario here raises one.
 * - moto writes the LambdaFunctionSucceeded output as Python's json.dumps spells it (`", "`);
 *   the values are the same.
 * - Waits and retry intervals: both engines skip them here (the emulator's fast timings, the local
 *   engine's `retryMs` of 1 ms); only wall time would differ.
 */
import type { Fault } from '../src/emulator';
import type { Workflow } from '../src/engine/template';
import type { ExecutionResult } from '../src/engine/types';
import { Harness, ZONE } from '../src/harness';

type Engine = 'local' | 'api';

interface Scenario {
  name: string;
  workflow: Workflow;
  /** The execution input for a host named `hostname` (a fleet's hosts are `hostname-1`, ...). */
  input(hostname: string): Record<string, unknown>;
  faults?: Fault[];
  /** Made before the run: a host for destroy, a record that takes a name. */
  setup?(hostname: string): Promise<void>;
  /**
   * StopExecution once the record is in sync and the agent polled once: the create is then in
   * WaitUntilManaged, polling an agent that never comes Online, on either engine.
   */
  stopWhilePolling?: boolean;
  expected: string;
}

const h = new Harness();
beforeAll(() => h.start({ stack: true }));
afterAll(() => h.stop());

const create = (hostname: string) => ({ hostname, dnsZone: ZONE, pollIntervalSeconds: 0 });
const hostnameFailure: Fault = { kind: 'command-failed', operation: 'SendCommand', step: 'SetHostname' };

const SCENARIOS: Scenario[] = [
  { name: 'success', workflow: 'create', input: create, expected: 'SUCCEEDED' },
  {
    name: 'invalid input',
    workflow: 'create',
    input: (hostname) => ({ hostname: `${hostname}_bad`, dnsZone: ZONE }),
    expected: 'InvalidInput',
  },
  {
    name: 'hostname taken',
    workflow: 'create',
    input: create,
    setup: async (hostname) => void (await h.seedHost(hostname)),
    expected: 'HostnameTaken',
  },
  { name: 'command failed', workflow: 'create', input: create, faults: [hostnameFailure], expected: 'CommandFailed' },
  {
    name: 'instance fails',
    workflow: 'create',
    input: create,
    faults: [{ kind: 'instance-fails', operation: 'RunInstances' }],
    expected: 'InstanceFailed',
  },
  {
    name: 'throttling retried',
    workflow: 'create',
    input: create,
    faults: [{ kind: 'throttle', operation: '*', step: 'LaunchInstance', times: 3 }],
    expected: 'SUCCEEDED',
  },
  {
    name: 'retries exhausted',
    workflow: 'create',
    input: create,
    faults: [{ kind: 'throttle', operation: '*', step: 'RegisterDns' }],
    expected: 'Throttling',
  },
  {
    name: 'roll-back fails',
    workflow: 'create',
    input: create,
    faults: [hostnameFailure, { kind: 'throttle', operation: '*', step: 'RollBack' }],
    expected: 'RollBackFailed',
  },
  {
    name: 'bootstrap',
    workflow: 'create',
    input: (hostname) => ({ ...create(hostname), bootstrap: { commands: ['echo ready'] } }),
    expected: 'SUCCEEDED',
  },
  {
    name: 'destroy not found',
    workflow: 'destroy',
    input: (hostname) => ({ hostname, dnsZone: ZONE }),
    expected: 'HostNotFound',
  },
  {
    name: 'destroy ok',
    workflow: 'destroy',
    input: (hostname) => ({ hostname, dnsZone: ZONE, pollIntervalSeconds: 0 }),
    setup: async (hostname) => void (await h.seedHost(hostname)),
    expected: 'SUCCEEDED',
  },
  {
    name: 'fleet with one bad host',
    workflow: 'createFleet',
    input: (hostname) => ({
      hostnames: [`${hostname}-1`, `${hostname}-2`],
      dnsZone: ZONE,
      pollIntervalSeconds: 0,
    }),
    setup: async (hostname) => void (await h.seedHost(`${hostname}-2`)),
    expected: 'SUCCEEDED',
  },
  {
    name: 'stopped execution',
    workflow: 'create',
    input: create,
    faults: [{ kind: 'agent-offline', operation: 'DescribeInstanceInformation', step: 'WaitUntilManaged' }],
    stopWhilePolling: true,
    expected: 'ABORTED',
  },
];

interface Seen {
  status: string;
  error?: string;
  cause?: unknown;
  output?: unknown;
  /** Calls per `Step Operation`, made by the run and anything it set off (a roll-back, a clean-up). */
  calls: Record<string, number>;
  /** Live instances and records of the scenario's hosts at the end. */
  live: number;
  records: number;
}

function slug(text: string): string {
  return text.replace(/[^a-z0-9]+/g, '-');
}

/** The scenario's hostname on an engine: the same length on both, so outputs compare once replaced. */
function hostnameOf(engine: Engine, scenario: Scenario): string {
  return `${engine === 'local' ? 'loc' : 'api'}-${slug(scenario.name)}`;
}

/** A value with what AWS makes up replaced by placeholders, and the hostname by `<host>`. */
export function normalized(value: unknown, hostname: string): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value)
    // A Lambda error's stack trace, at any depth of quoting: where each engine runs the bundle.
    .replace(/,(\\*)"trace\1":\[.*?\1"\]/g, '')
    .replaceAll(hostname, '<host>')
    .replace(/arn:aws:states:[\w-]+:\d+:(execution|stateMachine):[^"\\]+/g, '<$1>')
    .replace(/\bi-[0-9a-f]{8,17}\b/g, '<instance>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/ip-\d+-\d+-\d+-\d+/g, 'ip-<ip>')
    .replace(/\b\d+\.\d+\.\d+\.\d+\b/g, '<ip>')
    .replace(/\/change\/\w+/g, '/change/<change>')
    .replace(/\b(subnet|vpc|sg|ami)-[0-9a-f]+\b/g, '$1-<id>');
  return JSON.parse(text);
}

/** The cause, parsed when it is JSON (a Lambda's error, a child execution's description). */
function parsedCause(cause: string): unknown {
  try {
    return JSON.parse(cause);
  } catch {
    return cause;
  }
}

function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of after) {
    // `Step Operation`: a call a workflow step made; calls without a step are the engines' own.
    if (!key.includes(' ')) continue;
    const d = n - (before.get(key) ?? 0);
    if (d > 0) out[key] = d;
  }
  return out;
}

/** Until the create is polling WaitUntilManaged with its record in sync. */
async function polling(before: Map<string, number>): Promise<void> {
  const made = (key: string) => (h.emulator.proxy.calls.get(key) ?? 0) > (before.get(key) ?? 0);
  for (let i = 0; !(made('WaitForDnsSync GetChange') && made('WaitUntilManaged DescribeInstanceInformation')); i++) {
    if (i > 600) throw new Error('the create never reached WaitUntilManaged');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Until what the run set off (a roll-back's clean-up check, a stop's clean-up) has ended. */
async function settled(engine: Engine): Promise<void> {
  if (engine === 'local') await h.engine.idle();
  else await h.emulator.proxy.statusChanges.settled();
}

async function observe(engine: Engine, scenario: Scenario): Promise<Seen> {
  const hostname = hostnameOf(engine, scenario);
  await scenario.setup?.(hostname);
  const before = new Map(h.emulator.proxy.calls);
  h.faults(scenario.faults ?? []);
  let result: ExecutionResult;
  try {
    const input = scenario.input(hostname);
    if (engine === 'local') {
      const execution = h.engine.start(scenario.workflow, input);
      if (scenario.stopWhilePolling) {
        await polling(before);
        execution.stop('Operator', 'stopped by hand');
      }
      result = await execution.result;
    } else {
      const execution = await h.api.start(scenario.workflow, input);
      if (scenario.stopWhilePolling) {
        await polling(before);
        await execution.stop('Operator', 'stopped by hand');
      }
      result = await execution.result;
    }
  } finally {
    h.faults([]);
  }
  await settled(engine);
  const calls = delta(before, h.emulator.proxy.calls);
  // Polls until stopped: how many depends on when the stop lands, not on the engine.
  if (scenario.stopWhilePolling) delete calls['WaitUntilManaged DescribeInstanceInformation'];
  const hosts = Array.isArray(scenario.input(hostname).hostnames)
    ? (scenario.input(hostname).hostnames as string[])
    : [hostname];
  let live = 0;
  let records = 0;
  for (const name of hosts) {
    const host = await h.host(name);
    live += host.live.length;
    records += host.records.length;
  }
  const seen: Seen = { status: result.status, calls, live, records };
  if (result.status === 'SUCCEEDED') seen.output = normalized(result.output, hostname);
  else {
    seen.error = result.error;
    seen.cause = normalized(parsedCause(result.cause), hostname);
  }
  return seen;
}

test.each(SCENARIOS.map((s) => [s.name, s] as const))(
  '%s: the same on both engines',
  async (_name, scenario) => {
    const local = await observe('local', scenario);
    const api = await observe('api', scenario);
    expect(local.status === 'SUCCEEDED' ? local.status : (local.error ?? local.status)).toBe(
      scenario.expected === 'ABORTED' ? 'Operator' : scenario.expected,
    );
    expect(api).toEqual(local);
  },
  120_000,
);
