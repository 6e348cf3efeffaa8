/**
 * The CLI's create → destroy end to end with real guests behind the emulator (`--guests
 * container`): the instance is a booted Debian guest; what the workflow did is checked from inside
 * it, and nothing of it is left once it is destroyed.
 */
import { execFile, execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { type Emulator, startEmulator } from '../../src/emulator';
import { PROJECT_ROOT } from '../../src/engine/synth';

const CLI = path.join(PROJECT_ROOT, 'cli', 'lifecycle.js');
const ZONE = 'example.internal';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7f9K7wq0e8c8L1y8b2v5w0Xk0c1cJ2m2g3h4j5k6l ops@laptop';

function lifecycle(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { cwd: PROJECT_ROOT, timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The containers systemd-nspawn runs for the emulator's instances (other test files boot their own). */
function runningGuests(): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.startsWith('systemd-nspawn') && line.includes('--machine=lifecycle-i-'));
}

/**
 * The states a run went through, sorted: its branches interleave as the guest's timing has it, and
 * how often a loop waits again (`X (wait)`) is timing too.
 */
function succeeded(stdout: string): string[] {
  const names = [...stdout.matchAll(/^ {2}(\S.*?)\s{2,}\S+\s+Succeeded\s/gm)].map(([, name]) => name.trim());
  return [...new Set(names.filter((n) => !n.endsWith(' (wait)')))].sort();
}

describe('with an emulator of real guests', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ zones: [ZONE], guests: 'container' });
  }, 300_000);
  afterAll(() => emulator?.stop());

  test('create names the guest, keeps its name across the reboot and adds the admin user; destroy leaves no guest', async () => {
    const local = ['--local', '--endpoint', emulator.url];
    const created = await lifecycle(
      'create',
      '--hostname',
      'web1',
      '--zone',
      ZONE,
      '--admin-user',
      'ops',
      '--ssh-public-key',
      KEY,
      '--json',
      ...local,
    );
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    const output = JSON.parse(created.stdout) as { instanceId: string; privateIp: string; bootId: string };

    const guest = emulator.proxy.containers?.get(output.instanceId);
    expect(guest?.boots).toBe(2);
    const inside = await guest?.shell(
      'hostname; cat /etc/hostname; hostname -f; grep "# instance-lifecycle$" /etc/hosts; cat /proc/sys/kernel/random/boot_id; id -un ops; cat /home/ops/.ssh/authorized_keys; cat /etc/cloud/cloud.cfg.d/99-instance-lifecycle.cfg',
    );
    expect(inside?.stdout).toBe(
      [
        'web1.example.internal',
        'web1.example.internal',
        'web1.example.internal',
        `${output.privateIp} web1.example.internal web1 # instance-lifecycle`,
        output.bootId,
        'ops',
        KEY,
        'preserve_hostname: true',
        'manage_etc_hosts: false',
        '',
      ].join('\n'),
    );

    const destroyed = await lifecycle('destroy', '--hostname', 'web1', '--zone', ZONE, ...local);
    expect(destroyed.code).toBe(0);
    expect(emulator.proxy.containers?.running()).toEqual([]);
    expect(runningGuests()).toEqual([]);
  }, 300_000);
});

test('lifecycle create --local --guests container prints the steps the simulation prints, and leaves no guest', async () => {
  const simulated = await lifecycle('create', '--hostname', 'web1', '--zone', ZONE, '--local');
  const real = await lifecycle('create', '--hostname', 'web1', '--zone', ZONE, '--local', '--guests', 'container');
  expect(real.code).toBe(0);
  expect(real.stderr).toContain('real guests');
  expect(succeeded(real.stdout)).toEqual(succeeded(simulated.stdout));
  expect(runningGuests()).toEqual([]);
}, 300_000);
