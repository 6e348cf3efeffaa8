/**
 * Real guests behind the emulator (`--guests container`): each instance RunInstances launches is a
 * booted container (container-guest.ts) with its user data given to cloud-init; SendCommand runs in
 * it, RebootInstances reboots it, TerminateInstances stops and removes it, and the SSM agent is
 * Online while the guest's (stand-in) agent service is active. The default remains the simulated
 * guest (guests.ts), which runs anywhere; this needs Linux, root and systemd-nspawn.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ContainerGuest, type ExecResult } from './container-guest';
import { ensureImage } from './guest-image';

/** Why this machine cannot boot real guests, or undefined when it can. */
export function containersUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `real guests need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'real guests need root (systemd-nspawn and overlay mounts)';
  for (const [command, pkg] of [
    ['systemd-nspawn', 'systemd-container'],
    ['mmdebstrap', 'mmdebstrap'],
    ['nsenter', 'util-linux'],
  ]) {
    if (spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0) {
      return `real guests need ${command}: apt-get install ${pkg}`;
    }
  }
  if (!existsSync('/proc/filesystems') || !readFileSync('/proc/filesystems', 'utf8').includes('overlay')) {
    return 'real guests need overlayfs in the kernel';
  }
  return undefined;
}

export interface LaunchedGuest {
  instanceId: string;
  /** EC2's private DNS name; its first label is the name cloud-init gives the host. */
  privateDnsName: string;
  /** The image's name: minimal images (AL2023 minimal) have no `hostname` binary. */
  imageName: string;
  /** RunInstances' UserData, decoded. */
  userData?: string;
}

export class ContainerGuests {
  private readonly guests = new Map<string, ContainerGuest>();
  private readonly booting = new Map<string, Promise<void>>();
  private readonly workRoot = mkdtempSync(path.join(tmpdir(), 'lifecycle-guests-'));
  private image?: string;

  /** Builds the image if need be (once, a minute or two). */
  async prepare(progress?: (line: string) => void): Promise<void> {
    const why = containersUnavailable();
    if (why) throw new Error(why);
    this.image = (await ensureImage(progress)).dir;
  }

  /** Boots the instance's guest in the background, as EC2 boots an instance after RunInstances. */
  launch(instance: LaunchedGuest): void {
    if (!this.image) throw new Error('container guests: prepare() first');
    const name = `lifecycle-${instance.instanceId}`;
    const guest = new ContainerGuest({
      image: this.image,
      workDir: path.join(this.workRoot, name),
      name,
      instanceId: instance.instanceId,
      localHostname: instance.privateDnsName.split('.')[0] || name,
      userData: instance.userData,
      hasHostnameBinary: !/minimal/i.test(instance.imageName),
    });
    this.guests.set(instance.instanceId, guest);
    this.booting.set(
      instance.instanceId,
      guest.start().catch((error: Error) => {
        process.stderr.write(`guest ${name} did not boot: ${error.message}\n`);
      }),
    );
  }

  has(instanceId: string): boolean {
    return this.guests.has(instanceId);
  }

  get(instanceId: string): ContainerGuest | undefined {
    return this.guests.get(instanceId);
  }

  /** What the instance's SSM agent reports: Online while its service is active; ConnectionLost while it reboots. */
  async agentStatus(instanceId: string): Promise<'NotRegistered' | 'Online' | 'ConnectionLost'> {
    const guest = this.guests.get(instanceId);
    if (!guest) return 'NotRegistered';
    if (guest.state === 'rebooting') return 'ConnectionLost';
    if (await guest.agentOnline()) return 'Online';
    return guest.boots > 1 ? 'ConnectionLost' : 'NotRegistered';
  }

  /** Runs one step's lines in the guest, as the agent's aws:runShellScript plugin does. */
  async run(instanceId: string, commands: string[], timeoutSeconds: number): Promise<ExecResult> {
    const guest = this.guests.get(instanceId);
    if (!guest) return { code: 1, stdout: '', stderr: `no guest for ${instanceId}` };
    await this.booting.get(instanceId);
    return guest
      .run(commands, timeoutSeconds * 1000)
      .catch((error: Error) => ({ code: 1, stdout: '', stderr: error.message }));
  }

  reboot(instanceId: string): void {
    void this.guests.get(instanceId)?.reboot();
  }

  async terminate(instanceId: string): Promise<void> {
    const guest = this.guests.get(instanceId);
    if (!guest) return;
    this.guests.delete(instanceId);
    await this.booting.get(instanceId);
    this.booting.delete(instanceId);
    await guest.stop();
  }

  /** Every guest still running. */
  running(): string[] {
    return [...this.guests.keys()];
  }

  /** Stops and removes every guest (an emulator reset). */
  async reset(): Promise<void> {
    await Promise.all([...this.guests.keys()].map((id) => this.terminate(id)));
  }

  /** Stops and removes every guest and their working directory: nothing of them is left on the host. */
  async close(): Promise<void> {
    await this.reset();
    rmSync(this.workRoot, { recursive: true, force: true });
  }
}
