import { randomUUID } from 'node:crypto';

/**
 * What moto cannot know: the operating system inside each instance. Enough of it to answer the
 * SSM agent's status and the project's own scripts as a systemd + cloud-init guest would:
 * - a boot id that changes on reboot;
 * - a static hostname (`hostnamectl set-hostname`) that systemd truncates to 64 characters, as
 *   Linux keeps no more (HOST_NAME_MAX), and that survives a reboot only if cloud-init was told
 *   `preserve_hostname: true`;
 * - /etc/hosts lines, through which the hostname resolves to its canonical name (what `hostname -f`
 *   and `getent hosts` answer);
 * - cloud-init still running the user data for a few checks after the agent is Online, and a
 *   reboot in that time cutting it short for good (its per-instance scripts never run again);
 * - minimal images without the `hostname` binary.
 */
export interface Guest {
  instanceId: string;
  bootId: string;
  /** The kernel's hostname now. */
  hostname: string;
  /** /etc/hostname. */
  staticHostname: string;
  defaultHostname: string;
  preserveHostname: boolean;
  /** Lines of /etc/hosts beyond the image's own: an address, then the canonical name and aliases. */
  hosts: Array<{ address: string; names: string[]; marker: boolean }>;
  /** Minimal images (AL2023 minimal) ship no `hostname` binary. */
  hasHostnameBinary: boolean;
  /** cloud-init's run of the user data: still running, done, ended in error, or cut short by a reboot. */
  userData: 'running' | 'done' | 'error' | 'cut';
  /** Checks (agent status, command results) after which a running user data finishes. */
  userDataChecks: number;
  /** The user data ends in error once it finishes. */
  userDataFails: boolean;
  /** DescribeInstanceInformation calls left that answer ConnectionLost (the machine is rebooting). */
  offlinePolls: number;
  reboots: number;
}

/** How a new guest behaves, from its image and the emulator's settings. */
export interface GuestTraits {
  defaultHostname: string;
  hasHostnameBinary?: boolean;
  /** Checks after the agent is Online before cloud-init finishes the user data. @default 0 */
  userDataChecks?: number;
  /** The user data ends in error (cloud-init status: error). @default false */
  userDataFails?: boolean;
}

/** Linux keeps at most this many characters of a hostname; systemd truncates longer ones silently. */
export const HOST_NAME_MAX = 64;

const SET_HOSTNAME = /^hostnamectl set-hostname '([^']+)'$/;
const HOSTS_LINE = /^printf '%s %s %s (# [a-z-]+)\\n' '([^']+)' '([^']+)' '([^']+)' >> \/etc\/hosts$/;
const HOSTS_DELETE = /^sed -i '\/# [a-z-]+\$\/d' \/etc\/hosts$/;

export class Guests {
  private readonly guests = new Map<string, Guest>();

  create(instanceId: string, traits: GuestTraits): Guest {
    const checks = traits.userDataChecks ?? 0;
    const fails = traits.userDataFails ?? false;
    const guest: Guest = {
      instanceId,
      bootId: randomUUID(),
      hostname: traits.defaultHostname,
      staticHostname: traits.defaultHostname,
      defaultHostname: traits.defaultHostname,
      preserveHostname: false,
      hosts: [],
      hasHostnameBinary: traits.hasHostnameBinary ?? true,
      userData: checks > 0 ? 'running' : fails ? 'error' : 'done',
      userDataChecks: checks,
      userDataFails: fails,
      offlinePolls: 0,
      reboots: 0,
    };
    this.guests.set(instanceId, guest);
    return guest;
  }

  /** The guest, created with plain traits if RunInstances did not go through the proxy. */
  get(instanceId: string, defaultHostname: string): Guest {
    return this.guests.get(instanceId) ?? this.create(instanceId, { defaultHostname });
  }

  peek(instanceId: string): Guest | undefined {
    return this.guests.get(instanceId);
  }

  /** One status check against the guest: a running user data gets one check closer to its end. */
  check(guest: Guest): void {
    if (guest.userData !== 'running') return;
    guest.userDataChecks -= 1;
    if (guest.userDataChecks <= 0) {
      guest.userData = guest.userDataFails ? 'error' : 'done';
    }
  }

  /** Ends the user data now (the timeline's clock says it is done). */
  finishUserData(guest: Guest): void {
    if (guest.userData === 'running') guest.userDataChecks = 1;
    this.check(guest);
  }

  reboot(instanceId: string, offlinePolls: number): void {
    const guest = this.guests.get(instanceId);
    if (!guest) return;
    guest.bootId = randomUUID();
    guest.offlinePolls = offlinePolls;
    guest.reboots += 1;
    // The reboot kills cloud-init mid-way; its per-instance user data does not run again.
    if (guest.userData === 'running') guest.userData = 'cut';
    if (!guest.preserveHostname) {
      // cloud-init sets the hostname from the metadata again at boot.
      guest.staticHostname = guest.defaultHostname;
      guest.hosts = guest.hosts.filter((h) => !h.marker);
    }
    guest.hostname = guest.staticHostname;
  }

  /** What `hostname -f` and `getent hosts "$(hostname)"` answer: the canonical name of an /etc/hosts line, else the name itself (the VPC resolver knows the EC2 name). */
  canonicalName(guest: Guest): string {
    const line = guest.hosts.find((h) => h.names.includes(guest.hostname));
    if (line) return line.names[0];
    return guest.hostname === guest.defaultHostname ? guest.hostname : '';
  }

  /** Whether a script waits for cloud-init before doing anything (see lambdas/lib/commands.ts). */
  waitsForCloudInit(commands: string[]): boolean {
    return commands.some((line) => line.includes('cloud-init status --wait'));
  }

  /**
   * Runs the lines of an AWS-RunShellScript command that the project sends, as `sh` would for
   * these shapes of line; other lines succeed silently, and plain `echo` lines print their text.
   */
  run(guest: Guest, commands: string[]): { status: 'Success' | 'Failed'; stdout: string; stderr: string } {
    const out: string[] = [];
    const err: string[] = [];
    for (const raw of commands) {
      const line = raw.trim();
      if (line.includes('cloud-init status --wait')) {
        const rc = guest.userData === 'error' ? 1 : 0;
        out.push(`cloud_init=${rc}`);
        if (rc !== 0) {
          // As cloud-init 22.4 words it in `cloud-init status --long` (seen on a booted guest).
          err.push(
            'status: error',
            'detail:',
            "('scripts-user', RuntimeError('Runparts: 1 failures (part-001) in 1 attempted commands'))",
          );
          return { status: 'Failed', stdout: lines(out), stderr: lines(err) };
        }
        continue;
      }
      const set = SET_HOSTNAME.exec(line);
      if (set) {
        guest.staticHostname = set[1].slice(0, HOST_NAME_MAX);
        guest.hostname = guest.staticHostname;
      }
      if (line.includes('preserve_hostname: true')) guest.preserveHostname = true;
      if (HOSTS_DELETE.test(line)) guest.hosts = guest.hosts.filter((h) => !h.marker);
      const hosts = HOSTS_LINE.exec(line);
      if (hosts) guest.hosts.push({ address: hosts[2], names: [hosts[3], hosts[4]], marker: true });
      if (line.includes('/proc/sys/kernel/random/boot_id')) out.push(`boot_id=${guest.bootId}`);
      if (line.includes('cat /etc/hostname')) out.push(`static=${guest.staticHostname}`);
      if (line.includes('getent hosts')) out.push(`fqdn=${this.canonicalName(guest)}`);
      if (line.includes('$(hostname -f)')) {
        if (guest.hasHostnameBinary) out.push(`hostname=${this.canonicalName(guest)}`);
        else {
          err.push('sh: 1: hostname: not found');
          out.push('hostname=');
        }
      }
      const echo = /^echo '?([^'$`]*)'?$/.exec(line);
      if (echo) out.push(echo[1]);
      const exit = /^exit (\d+)$/.exec(line);
      if (exit && exit[1] !== '0') return { status: 'Failed', stdout: lines(out), stderr: lines(err) };
    }
    return { status: 'Success', stdout: lines(out), stderr: lines(err) };
  }

  all(): Guest[] {
    return [...this.guests.values()];
  }

  clear(): void {
    this.guests.clear();
  }
}

function lines(list: string[]): string {
  return list.length ? `${list.join('\n')}\n` : '';
}
