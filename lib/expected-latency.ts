/**
 * How long AWS usually takes, in seconds, for each thing the workflows wait on. Every poll starts
 * with one wait of the expected time, so that its first check usually finds the work done; later
 * checks come every `pollIntervalSeconds`. Figures from published measurements of AL2023 on
 * current instance types; a deployment where they differ sets `expectedSeconds` in cdk.json.
 */
export interface ExpectedLatency {
  /** RunInstances to `running`. */
  readonly running: number;
  /** RunInstances to the SSM agent's first `Online`. */
  readonly agentOnline: number;
  /** A Route 53 change to `INSYNC`. */
  readonly dnsInSync: number;
  /** One short Run Command invocation, sent to done. */
  readonly runCommand: number;
  /** RebootInstances to the agent's `Online` after the reboot. */
  readonly agentAfterReboot: number;
  /** TerminateInstances to `terminated`. */
  readonly terminated: number;
}

export const EXPECTED_LATENCY: ExpectedLatency = {
  running: 18,
  agentOnline: 45,
  dnsInSync: 30,
  runCommand: 2,
  agentAfterReboot: 40,
  terminated: 30,
};

/** The defaults with a deployment's own figures over them; each must be whole seconds, 0 to 3600. */
export function expectedLatency(overrides: Partial<Record<keyof ExpectedLatency, unknown>> = {}): ExpectedLatency {
  const merged: Record<string, number> = { ...EXPECTED_LATENCY };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in EXPECTED_LATENCY)) {
      throw new Error(`expectedSeconds: unknown key ${key}; known: ${Object.keys(EXPECTED_LATENCY).join(', ')}`);
    }
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 3600) {
      throw new Error(`expectedSeconds.${key} must be whole seconds from 0 to 3600, got ${JSON.stringify(value)}`);
    }
    merged[key] = value as number;
  }
  if (merged.agentOnline < merged.running) {
    throw new Error('expectedSeconds.agentOnline counts from RunInstances too: it cannot be less than running');
  }
  return merged as unknown as ExpectedLatency;
}
