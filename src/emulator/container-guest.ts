/**
 * A real guest: the cached Debian image (guest-image.ts) booted as a container with
 * `systemd-nspawn --boot`, its own writable layer on an overlay mount, so each guest starts fresh
 * and the image is never touched. systemd and cloud-init run as on a VM: the user data comes in
 * through cloud-init's NoCloud seed at first boot, `systemctl reboot` restarts the container with
 * a new boot id (systemd-nspawn exits 133 and the guest boots it again), and commands run inside
 * it as AWS-RunShellScript runs them: the lines joined into one script, run by `sh` as root.
 *
 * Linux only, as root, with systemd-nspawn (Debian's systemd-container) and overlayfs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export interface ContainerGuestOptions {
  /** The image's root file system (read-only lower layer). */
  image: string;
  /** This guest's own layer, overlay work dir and mount point. */
  workDir: string;
  /** The container's name: unique on the host. */
  name: string;
  instanceId: string;
  /** The name EC2's metadata would give the host at first boot (`ip-10-0-1-4`). */
  localHostname: string;
  /** The user data cloud-init runs at first boot. */
  userData?: string;
  /** false: the image has no `hostname` binary, as AL2023 minimal. @default true */
  hasHostnameBinary?: boolean;
}

export type ContainerState = 'stopped' | 'booting' | 'rebooting' | 'up';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** What AWS-RunShellScript gives a script: root, a plain environment. */
const GUEST_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
};
/** systemd-nspawn's exit status when the container asked to be rebooted. */
const REBOOT_STATUS = 133;

export class ContainerGuest {
  state: ContainerState = 'stopped';
  /** Boots so far: 1 after the first, 2 after one reboot... */
  boots = 0;
  private child?: ChildProcess;
  private initPid?: number;
  private readonly root: string;
  private exited?: Promise<number | null>;
  private stopping = false;

  constructor(readonly options: ContainerGuestOptions) {
    this.root = path.join(options.workDir, 'root');
  }

  /** Mounts the guest's layers, seeds cloud-init, and boots it; resolves once its init runs. */
  async start(): Promise<void> {
    const { workDir, image } = this.options;
    for (const dir of ['upper', 'work', 'root']) mkdirSync(path.join(workDir, dir), { recursive: true });
    await exec('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${image},upperdir=${path.join(workDir, 'upper')},workdir=${path.join(workDir, 'work')}`,
      this.root,
    ]);
    const seed = path.join(this.root, 'var', 'lib', 'cloud', 'seed', 'nocloud');
    mkdirSync(seed, { recursive: true });
    writeFileSync(
      path.join(seed, 'meta-data'),
      `instance-id: ${this.options.instanceId}\nlocal-hostname: ${this.options.localHostname}\n`,
    );
    writeFileSync(path.join(seed, 'user-data'), this.options.userData ?? '#cloud-config\n{}\n');
    if (this.options.hasHostnameBinary === false) {
      for (const binary of ['bin/hostname', 'usr/bin/hostname']) {
        const file = path.join(this.root, binary);
        if (existsSync(file)) unlinkSync(file);
      }
    }
    await this.boot();
  }

  private async boot(): Promise<void> {
    this.state = this.boots === 0 ? 'booting' : 'rebooting';
    rmSync(`/run/systemd/nspawn/propagate/${this.options.name}`, { recursive: true, force: true });
    const child = spawn(
      'systemd-nspawn',
      [
        '--quiet',
        '--boot',
        '--register=no',
        '--keep-unit',
        `--machine=${this.options.name}`,
        `--directory=${this.root}`,
      ],
      { stdio: ['ignore', process.env.LIFECYCLE_GUEST_CONSOLE ? 'inherit' : 'ignore', 'ignore'] },
    );
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then((code) => this.onExit(child, code));
    this.initPid = await this.waitForInit(child);
    this.boots += 1;
    this.state = 'up';
  }

  private async onExit(child: ChildProcess, code: number | null): Promise<void> {
    if (this.child !== child) return;
    this.initPid = undefined;
    if (code === REBOOT_STATUS && !this.stopping) {
      await this.boot();
      return;
    }
    this.state = 'stopped';
  }

  /** The container's PID 1, as the host sees it: systemd-nspawn's child. */
  private async waitForInit(child: ChildProcess): Promise<number> {
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`${this.options.name}: systemd-nspawn exited ${child.exitCode}`);
      const out = await exec('pgrep', ['-P', String(child.pid)]).catch(() => ({ stdout: '' }));
      const pid = Number(out.stdout.trim().split('\n')[0]);
      // Once the child has become the guest's systemd, its namespaces are whole.
      if (pid > 0 && comm(pid) === 'systemd') return pid;
      await sleep(50);
    }
    throw new Error(`${this.options.name}: no init process after 10 s`);
  }

  /**
   * Runs `commands` in the guest as AWS-RunShellScript does: joined with newlines into one script,
   * run by `sh` as root. The exit status, stdout and stderr are the script's own.
   */
  async run(commands: string[], timeoutMs = 120_000): Promise<ExecResult> {
    return this.shell(commands.join('\n'), timeoutMs);
  }

  /** Runs a script in the guest now; fails when the guest is not up. */
  async shell(script: string, timeoutMs = 30_000): Promise<ExecResult> {
    const pid = this.initPid;
    if (this.state !== 'up' || pid === undefined) throw new Error(`${this.options.name} is ${this.state}`);
    const dir = path.join(this.root, 'var', 'lib', 'instance-lifecycle', 'commands');
    mkdirSync(dir, { recursive: true });
    const name = `${randomUUID()}.sh`;
    writeFileSync(path.join(dir, name), `${script}\n`);
    return new Promise((resolve) => {
      const child = execFile(
        'nsenter',
        [
          '--target',
          String(pid),
          '--mount',
          '--uts',
          '--ipc',
          '--net',
          '--pid',
          '--',
          'sh',
          `/var/lib/instance-lifecycle/commands/${name}`,
        ],
        { env: GUEST_ENV, cwd: '/', timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 124) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end();
    });
  }

  /** The stand-in SSM agent's service is active: the agent would report Online. */
  async agentOnline(): Promise<boolean> {
    if (this.state !== 'up') return false;
    const out = await this.shell('systemctl is-active amazon-ssm-agent', 10_000).catch(() => undefined);
    return out?.stdout.trim() === 'active';
  }

  /**
   * Reboots the guest as RebootInstances does, from outside: SIGINT to its systemd is
   * Ctrl-Alt-Del, a clean reboot whatever the guest is doing (even still booting). Resolves once
   * the old boot has ended.
   */
  async reboot(): Promise<void> {
    const pid = this.initPid;
    if (this.state !== 'up' || pid === undefined) return;
    const exited = this.exited;
    this.state = 'rebooting';
    process.kill(pid, 'SIGINT');
    await exited;
  }

  /** Resolves once the guest has booted `boots` times and is up. */
  async waitUntilUp(boots = this.boots, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.state === 'up' && this.boots >= boots)) {
      if (Date.now() > deadline) throw new Error(`${this.options.name} did not come up (${this.state})`);
      await sleep(100);
    }
  }

  /** Shuts the guest down, unmounts it and removes its layer: nothing of it is left. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM'); // systemd-nspawn powers the container off
      const killed = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(killed);
    }
    this.state = 'stopped';
    await exec('umount', [this.root]).catch(() => undefined);
    rmSync(this.options.workDir, { recursive: true, force: true });
    rmSync(`/run/systemd/nspawn/propagate/${this.options.name}`, { recursive: true, force: true });
  }
}

/** A process's name, or '' once it is gone (systemd-nspawn's short-lived helpers come and go). */
function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function exec(command: string, args: string[]): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve({ stdout });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
