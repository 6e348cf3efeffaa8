/**
 * `lifecycle emulator` as a process: however it ends (SIGTERM, or killed outright), moto_server,
 * its child, does not outlive it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/engine/synth';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `lifecycle emulator --no-stack`; resolves with its pid and its moto_server's once it is ready. */
async function emulator(
  ...extra: string[]
): Promise<{ pid: number; moto: number; url: string; exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [path.join(PROJECT_ROOT, 'cli', 'lifecycle.js'), 'emulator', '--no-stack', ...extra],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (err.includes('Ctrl-C to stop')) resolve();
    });
    child.on('close', () => reject(new Error(`the emulator exited before it was ready: ${err}`)));
  });
  const moto = launcherOf(child.pid ?? 0);
  if (!moto) throw new Error('no moto_server under the emulator');
  return { pid: child.pid ?? 0, moto, url: /AWS_ENDPOINT_URL=(\S+)/.exec(out)?.[1] ?? '', exited };
}

/** The launcher (moto_server) a command started, once it runs. */
function launcherOf(pid: number): number | undefined {
  let children = '';
  try {
    children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return undefined; // no child yet (ps exits 1)
  }
  return children
    .split('\n')
    .filter((line) => line.includes('launcher.py'))
    .map((line) => Number(line.trim().split(/\s+/)[0]))[0];
}

/**
 * The emulator proxy of a command with its own emulator, once it answers: moto calls back on the
 * proxy's port, given to the launcher as MOTO_PORT.
 */
async function proxyOf(pid: number): Promise<string> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const launcher = launcherOf(pid);
    const environ = launcher ? readFileSync(`/proc/${launcher}/environ`, 'utf8').split('\0') : [];
    const port = environ.find((entry) => entry.startsWith('MOTO_PORT='))?.slice('MOTO_PORT='.length);
    const url = `http://127.0.0.1:${port}`;
    if (
      port &&
      (await fetch(`${url}/_emulator/health`).then(
        (res) => res.ok,
        () => false,
      ))
    )
      return url;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no emulator answered under ${pid}`);
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !alive(pid);
}

test('SIGTERM stops the emulator and its moto_server, exit 0', async () => {
  const e = await emulator();
  process.kill(e.pid, 'SIGTERM');
  expect(await e.exited).toBe(0);
  expect(await gone(e.moto, 5_000)).toBe(true);
}, 60_000);

test("--rate-limits turns on AWS's rate limits; without it they are off", async () => {
  for (const [args, enabled] of [
    [['--rate-limits'], true],
    [[], false],
  ] as const) {
    const e = await emulator(...args);
    const limits = (await (await fetch(`${e.url}/_emulator/rate-limits`)).json()) as { enabled: boolean };
    expect(limits.enabled).toBe(enabled);
    process.kill(e.pid, 'SIGTERM');
    expect(await e.exited).toBe(0);
  }
}, 90_000);

test('an emulator killed outright (SIGKILL) leaves no moto_server behind', async () => {
  const e = await emulator();
  process.kill(e.pid, 'SIGKILL');
  await e.exited;
  expect(await gone(e.moto, 5_000)).toBe(true);
}, 60_000);

test.each([
  ['Ctrl-C at the terminal (SIGINT to the process group)', 'SIGINT', true, 130, 'stopped with Ctrl-C'],
  ['a supervisor’s SIGTERM to the command alone', 'SIGTERM', false, 143, 'stopped with SIGTERM'],
] as const)(
  '%s during demo stops the create, cleans up through the emulator, no emulator left',
  async (_how, signal, group, code, cause) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'cli', 'lifecycle.js'), 'demo'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const launched = new Promise<void>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/LaunchInstance\s+Task\s+Succeeded/.test(out)) resolve();
      });
    });
    // The rest of a local create takes a fraction of a second: the step after the launch is held
    // for 3 s, so that the signal lands while the create runs.
    const faults = await fetch(`${await proxyOf(child.pid ?? 0)}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify([{ operation: '*', step: 'WaitUntilRunning', kind: 'latency', delayMs: 3000 }]),
    });
    expect(faults.status).toBe(200);
    await launched;
    const moto = launcherOf(child.pid ?? 0);
    if (!moto) throw new Error('no moto_server under the demo');
    process.kill(group ? -(child.pid ?? 0) : (child.pid ?? 0), signal);
    expect(await exited).toBe(code);
    expect(err).toContain(`create-vm aborted: Interrupted: ${cause}`);
    expect(err).toMatch(/clean-up after create-web1-\S+: terminated i-[0-9a-f]+/);
    expect(err).not.toMatch(/ECONNREFUSED|nothing answers/);
    expect(await gone(moto, 5_000)).toBe(true);
  },
  90_000,
);
