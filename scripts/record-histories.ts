/**
 * `npm run record-histories`: records the execution histories the deployed-mode CLI's tests replay
 * (test/fixtures/history-*.json) from the emulator's Step Functions API: the synthesized stack
 * deployed into the emulator, its machines run by moto's engine with the emulator's fast timings,
 * faults injected where a history needs one. Run it again when the definitions change; a test
 * fails when a fixture holds a state the current definitions do not have.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DescribeExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { STACK_ID } from '../lib/stack-id';
import { type Fault, startEmulator } from '../src/emulator';
import { ApiEngine } from '../src/emulator/executions';
import { PROJECT_ROOT, synthesize } from '../src/engine/synth';

const ZONE = 'example.internal';
const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures');

interface Recording {
  /** The fixture's name: test/fixtures/history-<name>.json. */
  name: string;
  about: string;
  workflow: 'create' | 'destroy';
  input: Record<string, unknown>;
  faults: Fault[];
  /** Also save the history as it stood while the execution was still running, under this name. */
  runningAs?: string;
}

const RECORDINGS: Recording[] = [
  {
    name: 'create-succeeded',
    about:
      'a create that succeeds after LaunchInstance is throttled once and the agent takes three polls to come Online',
    workflow: 'create',
    input: { hostname: 'web1', dnsZone: ZONE, tags: { team: 'infra' } },
    faults: [
      { kind: 'throttle', operation: 'RunInstances', step: 'LaunchInstance', times: 2 },
      { kind: 'agent-offline', operation: 'DescribeInstanceInformation', step: 'WaitUntilManaged', times: 3 },
    ],
    runningAs: 'create-running',
  },
  {
    name: 'create-failed',
    about:
      'a create whose hostname command fails inside the nested Parallel (Provision > HostAndDns), after a throttled LaunchInstance; rolled back',
    workflow: 'create',
    input: { hostname: 'web2', dnsZone: ZONE },
    faults: [
      { kind: 'throttle', operation: 'RunInstances', step: 'LaunchInstance', times: 2 },
      { kind: 'command-failed', operation: 'SendCommand', step: 'SetHostname' },
    ],
  },
  {
    name: 'destroy-succeeded',
    about: 'a destroy of the host create-succeeded made',
    workflow: 'destroy',
    input: { hostname: 'web1', dnsZone: ZONE },
    faults: [],
  },
];

async function main(): Promise<void> {
  const { outdir } = synthesize();
  process.stdout.write('starting the emulator with the stack deployed...\n');
  const emulator = await startEmulator({ zones: [ZONE], stack: { outdir, stackName: STACK_ID } });
  try {
    const api = new ApiEngine(emulator.url, () => emulator.proxy.stack, 50);
    for (const r of RECORDINGS) {
      emulator.proxy.faults.set(r.faults);
      const execution = await api.start(r.workflow, r.input);
      let running: { execution: unknown; events: HistoryEvent[] } | undefined;
      if (r.runningAs) running = await snapshotWhilePolling(api, execution.executionArn);
      const result = await execution.result;
      emulator.proxy.faults.clear();
      const events = await api.history(execution.executionArn);
      const description = await api.sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      save(r.name, r.about, description, events);
      if (running && r.runningAs) {
        save(
          r.runningAs,
          `${r.about}: its history while WaitUntilManaged was still polling`,
          running.execution,
          running.events,
        );
      }
      process.stdout.write(`${r.name}: ${result.status}, ${events.length} events\n`);
    }
    await emulator.proxy.statusChanges.settled();
  } finally {
    await emulator.stop();
  }
}

/** The description and history once WaitUntilManaged has been polled twice, the execution still running. */
async function snapshotWhilePolling(api: ApiEngine, executionArn: string) {
  for (let i = 0; i < 600; i++) {
    const events = await api.history(executionArn);
    const polls = events.filter((e) => e.stateEnteredEventDetails?.name === 'WaitUntilManaged').length;
    if (polls >= 2) {
      const execution = await api.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status === 'RUNNING') return { execution, events };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${executionArn} never polled WaitUntilManaged twice`);
}

function save(name: string, about: string, execution: unknown, events: HistoryEvent[]): void {
  const { $metadata: _metadata, ...described } = execution as Record<string, unknown>;
  const fixture = {
    recorded: `by npm run record-histories, from the emulator's Step Functions API (moto's engine, fast timings): ${about}`,
    execution: described,
    events,
  };
  writeFileSync(path.join(FIXTURES, `history-${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`record-histories: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
