/**
 * Virtual time for the emulator: AWS's own delays (an instance booting, a DNS change propagating,
 * a command running) answered against the clock of whoever asks, without anybody waiting for real.
 * The benchmark runs the state machines on the local engine with every Wait in virtual time and
 * installs a Timeline, so that a 90-second create is simulated in well under a second.
 */
import type { ExpectedLatency } from '../../lib/expected-latency';

/**
 * How long AWS takes, in seconds: the same measures the workflows expect AWS to take
 * (lib/expected-latency.ts), which a simulation may make longer or shorter.
 */
export type LatencyProfile = { -readonly [K in keyof ExpectedLatency]: number };

/** The caller's virtual now, in seconds; `step` is the workflow step that made the call, if any. */
export type VirtualClock = (step: string | undefined) => number;

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated';
export type AgentStatus = 'NotRegistered' | 'Online' | 'ConnectionLost';

const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
};

export class Timeline {
  private readonly launched = new Map<string, number>();
  private readonly rebooted = new Map<string, number>();
  private readonly terminatedAt = new Map<string, number>();
  private readonly commands = new Map<string, number>();
  private readonly changes = new Map<string, number>();

  constructor(
    readonly profile: LatencyProfile,
    readonly now: VirtualClock,
  ) {}

  launch(instanceId: string, step?: string): void {
    if (!this.launched.has(instanceId)) this.launched.set(instanceId, this.now(step));
  }

  reboot(instanceId: string, step?: string): void {
    this.rebooted.set(instanceId, this.now(step));
  }

  terminate(instanceId: string, step?: string): void {
    if (!this.terminatedAt.has(instanceId)) this.terminatedAt.set(instanceId, this.now(step));
  }

  sendCommand(commandId: string, step?: string): void {
    this.commands.set(commandId, this.now(step));
  }

  changeRecords(changeId: string, step?: string): void {
    this.changes.set(changeId, this.now(step));
  }

  /** What EC2 reports now for an instance the emulator's EC2 calls `actual`. */
  instanceState(instanceId: string, actual: string, step?: string): { name: string; code: number } {
    const now = this.now(step);
    const launched = this.launched.get(instanceId);
    const terminated = this.terminatedAt.get(instanceId);
    let name = actual;
    if (actual === 'terminated' && terminated !== undefined && now < terminated + this.profile.terminated) {
      name = 'shutting-down';
    } else if (actual === 'running' && launched !== undefined && now < launched + this.profile.running) {
      name = 'pending';
    }
    return { name, code: STATE_CODES[name as InstanceStateName] ?? -1 };
  }

  agentStatus(instanceId: string, step?: string): AgentStatus {
    const now = this.now(step);
    const launched = this.launched.get(instanceId);
    if (launched !== undefined && now < launched + this.profile.agentOnline) return 'NotRegistered';
    const rebooted = this.rebooted.get(instanceId);
    if (rebooted !== undefined && now >= rebooted && now < rebooted + this.profile.agentAfterReboot) {
      return 'ConnectionLost';
    }
    return 'Online';
  }

  commandDone(commandId: string, step?: string): boolean {
    const sent = this.commands.get(commandId);
    return sent === undefined || this.now(step) >= sent + this.profile.runCommand;
  }

  changeInSync(changeId: string, step?: string): boolean {
    const made = this.changes.get(changeId);
    return made === undefined || this.now(step) >= made + this.profile.dnsInSync;
  }
}
