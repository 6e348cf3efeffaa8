/**
 * What one host costs in time and money: a create or destroy run on the local engine, every Wait
 * and every AWS delay in virtual time (see simulation.ts and the emulator's Timeline), priced at
 * published Step Functions and Lambda rates. Also the lower bound: the same AWS delays end to end
 * with no polling delay at all.
 */
import { EXPECTED_LATENCY } from '../../lib/expected-latency';
import type { EmulatorProxy } from '../emulator';
import { type LatencyProfile, Timeline } from '../emulator/timeline';
import type { ExecutionResult, LocalEngine, StepEvent } from '../engine/local-engine';
import type { LambdaBundle, Workflow } from '../engine/template';
import { Simulation, type TimelineEntry } from './simulation';

/** AWS's delays, plus how long one step's Lambda invocation takes, in seconds. */
export interface BenchProfile extends LatencyProfile {
  lambda: number;
}

/**
 * The reference profile: AWS taking the times the workflows expect it to take
 * (lib/expected-latency.ts, from published measurements of AL2023 on current instance types, Route
 * 53 propagation, a short Run Command), and a warm arm64 Lambda making one or two AWS calls. The
 * bench's flags make AWS slower or faster than expected.
 */
export const REFERENCE_PROFILE: BenchProfile = { ...EXPECTED_LATENCY, lambda: 0.1 };

/** us-east-1 list prices. */
export const PRICES = {
  /** Standard workflows, per state transition. */
  transition: 0.025 / 1000,
  /** Lambda, per request. */
  request: 0.2 / 1_000_000,
  /** Lambda on arm64, per GB-second. */
  gbSecond: 0.0000133334,
};

export interface RunFigures {
  simulatedSeconds: number;
  lowerBoundSeconds: number;
  stateTransitions: number;
  lambdaInvocations: number;
  gbSeconds: number;
  costUsd: number;
}

export interface SimulatedRun extends RunFigures {
  result: ExecutionResult;
  timeline: TimelineEntry[];
}

/**
 * The critical path of each workflow under a profile, with no polling delay: every state sees
 * AWS's work the instant it is done, and only the Lambdas that must finish before the next one
 * starts count. A call is made as its Lambda starts.
 *
 * create: ValidateInput, then RunInstances; the agent is Online `agentOnline` later; the hostname
 * command runs; the reboot; the agent is back; the probe command runs. The record is requested as
 * soon as the address is known (RunInstances returns it) and is INSYNC `dnsInSync` later.
 * destroy: ResolveHost, then TerminateInstances and the record's DELETE at once.
 */
export function lowerBound(workflow: 'create' | 'destroy', p: BenchProfile): number {
  if (workflow === 'create') {
    const host = p.agentOnline + p.runCommand + p.agentAfterReboot + p.runCommand;
    return p.lambda + Math.max(host, p.dnsInSync);
  }
  return p.lambda + Math.max(p.terminated, p.dnsInSync);
}

export function cost(transitions: number, invocations: number, gbSeconds: number): number {
  return transitions * PRICES.transition + invocations * PRICES.request + gbSeconds * PRICES.gbSecond;
}

export interface SimulateOptions {
  /** Each invocation's seconds drawn from the run's seeded generator, instead of the profile's fixed `lambda`. */
  lambda?: (random: () => number) => number;
  /** The seed of the Retry jitter and of `lambda`'s draws. @default 1 */
  seed?: number;
}

/**
 * Runs one execution (a fleet's included: every host's execution runs on the same clock) with
 * AWS's delays and every Wait, Retry and Lambda in virtual time. The emulator's timeline is
 * installed for this run only; its rate limits, when on, count on the virtual clock.
 */
export async function simulate(
  engine: LocalEngine,
  proxy: EmulatorProxy,
  workflow: Workflow,
  input: unknown,
  profile: BenchProfile,
  onStep?: (event: StepEvent) => void,
  options: SimulateOptions = {},
): Promise<SimulatedRun> {
  const definitions = Object.fromEntries(
    (Object.keys(engine.deployment.definitions) as Workflow[]).map((w) => [w, engine.definition(w)]),
  );
  const simulation = new Simulation(definitions, options.lambda ?? profile.lambda, options.seed);
  proxy.timeline = new Timeline(profile, simulation.clock);
  let result: ExecutionResult;
  try {
    result = await simulation.drive(engine.run(workflow, input, onStep, simulation.hooks(workflow)));
  } finally {
    proxy.timeline = undefined;
  }
  const memoryGb = memoryByState(engine);
  const tasks = simulation.timeline.filter((e) => e.kind === 'task' && memoryGb.has(e.state));
  const gbSeconds = tasks.reduce((sum, e) => sum + (memoryGb.get(e.state) ?? 0) * e.seconds, 0);
  const stateTransitions = result.stateTransitions + simulation.childTransitions;
  return {
    result,
    timeline: simulation.timeline,
    simulatedSeconds: Math.max(0, ...simulation.timeline.map((e) => e.start + e.seconds)),
    lowerBoundSeconds: workflow === 'create' || workflow === 'destroy' ? lowerBound(workflow, profile) : Number.NaN,
    stateTransitions,
    lambdaInvocations: tasks.length,
    gbSeconds,
    costUsd: cost(stateTransitions, tasks.length, gbSeconds),
  };
}

/** Each Lambda task's memory in GB, by state name (names are unique across the stack's machines). */
function memoryByState(engine: LocalEngine): Map<string, number> {
  return new Map(
    Object.values(engine.deployment.tasks)
      .flatMap((tasks) => [...tasks])
      .filter((entry): entry is [string, LambdaBundle] => 'file' in entry[1])
      .map(([state, bundle]) => [state, bundle.memoryMb / 1024]),
  );
}
