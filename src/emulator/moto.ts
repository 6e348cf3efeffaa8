import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { LOCAL_REGION } from './account';

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for the child to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Where this project keeps what it computes once per machine: ~/.cache/instance-lifecycle. */
export function cacheRoot(): string {
  return path.join(homedir(), '.cache', 'instance-lifecycle');
}

export interface MotoServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * The Python interpreter itself, not the `python3` found on PATH: with pyenv (or any version
 * manager) that is a shell shim that takes a second or more to choose the interpreter at each
 * start. The answer is kept in ~/.cache/instance-lifecycle/, keyed on what the shim's choice
 * depends on (PATH, the pyenv variables, the working directory). `LIFECYCLE_PYTHON` overrides it.
 */
export function pythonExecutable(): string {
  if (process.env.LIFECYCLE_PYTHON) return process.env.LIFECYCLE_PYTHON;
  const key = createHash('sha256')
    .update(JSON.stringify([process.env.PATH, process.env.PYENV_VERSION, process.env.PYENV_ROOT, process.cwd()]))
    .digest('hex')
    .slice(0, 16);
  const cacheDir = cacheRoot();
  const cacheFile = path.join(cacheDir, `python-${key}`);
  try {
    const cached = readFileSync(cacheFile, 'utf8').trim();
    if (cached && existsSync(cached)) return cached;
  } catch {
    // not resolved yet
  }
  const found = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  const executable = found.status === 0 ? found.stdout.trim() : '';
  // No python3 at all: spawning 'python3' fails with the launcher's own advice below.
  if (!executable) return 'python3';
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cacheFile, executable);
  } catch {
    // a read-only home: resolve again next time
  }
  return executable;
}

/** The launcher that applies this project's fixes to moto 5.2.1's Step Functions engine (src/emulator/moto/). */
const LAUNCHER = path.join(__dirname, 'moto', 'launcher.py');

export interface MotoOptions {
  /**
   * The port moto's Step Functions engine sends its own service calls to (Lambda Invoke, nested
   * executions): the proxy's, so that they come back through it. @default moto's own port
   */
  callbackPort?: number;
  /** With `fast`, moto's engine does not sleep between Retry attempts. @default 'deployed' */
  timings?: 'fast' | 'deployed';
  timeoutMs?: number;
  /**
   * moto's own port. Given, the server is spawned before this call returns (no await first), so
   * that it starts while the caller loads the rest of its code. @default a free one
   */
  port?: number;
  /**
   * Where the launcher keeps what moto reads at every start and never changes (startup.py).
   * @default cacheRoot()
   */
  cacheDir?: string;
}

/** Whether moto answers at `url`: its configuration, the cheapest answer it has (data.json serializes every model instance). */
export function motoAnswers(url: string): Promise<boolean> {
  return fetch(`${url}/moto-api/config`).then(
    (res) => res.ok,
    () => false,
  );
}

/** Starts `moto_server` (Python package moto[server], see requirements-dev.txt) on a free loopback port. */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(pythonExecutable(), [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Its own process group: a Ctrl-C at the terminal reaches the command, which stops its
    // executions and cleans up through the emulator before stopping it; the launcher still exits
    // with this process however it ends (LIFECYCLE_PARENT_PID).
    detached: true,
    env: {
      ...process.env,
      MOTO_ALLOW_NONEXISTENT_REGION: 'true',
      MOTO_PORT: String(options.callbackPort ?? port),
      // The launcher exits when this process is gone, however it ended (SIGKILL included).
      LIFECYCLE_PARENT_PID: String(process.pid),
      // The Region whose EC2 backend the launcher loads before it answers (the emulator's only one).
      LIFECYCLE_REGION: LOCAL_REGION,
      LIFECYCLE_CACHE_DIR: options.cacheDir ?? cacheRoot(),
      ...(options.timings === 'fast' ? { LIFECYCLE_FAST_RETRIES: '1' } : {}),
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(
        new Error(
          code === 2 && stderr.trim()
            ? `moto_server refused to start: ${stderr.trim()}`
            : `moto_server exited (code ${code}) before it was ready. Is it installed? ` +
                `Run: python3 -m pip install -r requirements-dev.txt\n${stderr}`,
        ),
      ),
    ),
  );
  exited.catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.race([motoAnswers(url), exited])) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${url} within ${timeoutMs} ms\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
