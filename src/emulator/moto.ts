import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';

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

export interface MotoServer {
  url: string;
  stop(): Promise<void>;
}

const PYTHON = process.env.LIFECYCLE_PYTHON ?? 'python3';

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
}

/** Starts `moto_server` (Python package moto[server], see requirements-dev.txt) on a free loopback port. */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const port = await freePort();
  const child: ChildProcess = spawn(PYTHON, [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
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
    try {
      const res = await Promise.race([fetch(`${url}/moto-api/data.json`), exited]);
      if (res.ok) break;
    } catch (error) {
      if (child.exitCode !== null || (error as Error).message.startsWith('moto_server exited')) throw error;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${url} within ${timeoutMs} ms\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
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
