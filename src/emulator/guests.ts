import { randomUUID } from 'node:crypto';

/**
 * What moto cannot know: the operating system inside each instance. Enough of it to answer the
 * SSM agent's status and the project's own scripts faithfully: a boot id that changes on reboot,
 * a hostname that `hostnamectl set-hostname` sets and that survives a reboot only if cloud-init
 * was told `preserve_hostname: true`.
 */
export interface Guest {
  instanceId: string;
  bootId: string;
  hostname: string;
  defaultHostname: string;
  preserveHostname: boolean;
  /** DescribeInstanceInformation calls left that answer ConnectionLost (the machine is rebooting). */
  offlinePolls: number;
  reboots: number;
}

export interface Invocation {
  commandId: string;
  instanceId: string;
  status: 'Success' | 'Failed' | 'TimedOut';
  stdout: string;
  stderr: string;
}

const SET_HOSTNAME = /^hostnamectl set-hostname '([^']+)'$/;

export class Guests {
  private readonly guests = new Map<string, Guest>();

  get(instanceId: string, defaultHostname: string): Guest {
    let guest = this.guests.get(instanceId);
    if (!guest) {
      guest = {
        instanceId,
        bootId: randomUUID(),
        hostname: defaultHostname,
        defaultHostname,
        preserveHostname: false,
        offlinePolls: 0,
        reboots: 0,
      };
      this.guests.set(instanceId, guest);
    }
    return guest;
  }

  peek(instanceId: string): Guest | undefined {
    return this.guests.get(instanceId);
  }

  reboot(instanceId: string, offlinePolls: number): void {
    const guest = this.guests.get(instanceId);
    if (!guest) return;
    guest.bootId = randomUUID();
    guest.offlinePolls = offlinePolls;
    guest.reboots += 1;
    if (!guest.preserveHostname) guest.hostname = guest.defaultHostname;
  }

  /** Runs the lines of an AWS-RunShellScript command that the project sends; others succeed silently. */
  run(guest: Guest, commands: string[]): { stdout: string } {
    const out: string[] = [];
    for (const line of commands) {
      const set = SET_HOSTNAME.exec(line.trim());
      if (set) guest.hostname = set[1];
      if (line.includes('preserve_hostname: true')) guest.preserveHostname = true;
      if (line.includes('/proc/sys/kernel/random/boot_id')) out.push(`boot_id=${guest.bootId}`);
      if (line.includes('$(hostname -f)')) out.push(`hostname=${guest.hostname}`);
      // Plain echo lines (an operator's bootstrap) print their text, as a shell would.
      const echo = /^echo '?([^'$`]*)'?$/.exec(line.trim());
      if (echo) out.push(echo[1]);
    }
    return { stdout: out.length ? `${out.join('\n')}\n` : '' };
  }

  all(): Guest[] {
    return [...this.guests.values()];
  }

  clear(): void {
    this.guests.clear();
  }
}
