/**
 * `npm run soak` as CI can afford it: the script itself, with fewer hosts, under the same 10%
 * throttling. The full run (50 hosts) is `npm run soak`; its figures are in the README.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../src/engine/synth';

interface SoakReport {
  ok: boolean;
  hosts: number;
  fleet: boolean;
  throttledCalls: number;
  rateLimited: number;
  create: {
    simulatedSeconds?: number;
    succeeded: number;
    failed: string[];
    instancesLaunched: number;
    duplicates: string[];
    records: number;
    leases: number;
  };
  destroy: { succeeded: number; failed: string[]; liveInstancesLeft: number; recordsLeft: number; leasesLeft: number };
}

function soak(...args: string[]): Promise<{ code: number; report: SoakReport }> {
  const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
  const options = { cwd: PROJECT_ROOT, timeout: 120_000 };
  return new Promise((resolve, reject) => {
    execFile(tsx, ['scripts/soak.ts', '--json', ...args], options, (error, stdout, stderr) => {
      const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
      try {
        resolve({ code, report: JSON.parse(stdout) as SoakReport });
      } catch {
        reject(new Error(`soak exited ${code} without a report: ${stderr.slice(-2000)}`));
      }
    });
  });
}

/** Every host made once, with its record and its lease. */
function expectAllMade(report: SoakReport, hosts: number): void {
  expect(report.create).toMatchObject({
    succeeded: hosts,
    failed: [],
    instancesLaunched: hosts,
    duplicates: [],
    records: hosts,
    leases: hosts,
  });
}

/** Every host removed, nothing left, and the soak's own verdict and exit code agreeing. */
function expectAllRemoved(report: SoakReport, code: number): void {
  expect(report.destroy).toMatchObject({
    succeeded: report.hosts,
    failed: [],
    liveInstancesLeft: 0,
    recordsLeft: 0,
    leasesLeft: 0,
  });
  expect(report.ok).toBe(true);
  expect(code).toBe(0);
}

test('12 concurrent leased creates then destroys with 10% of AWS calls throttled: all succeed, no duplicate, nothing left', async () => {
  const { code, report } = await soak('--hosts', '12', '--throttle', '0.1', '--seed', '7');
  expect(report.throttledCalls).toBeGreaterThan(0);
  expectAllMade(report, 12);
  expectAllRemoved(report, code);
}, 120_000);

test("a create-fleet then a destroy-fleet of 12 leased hosts under AWS's rate limits, in virtual time: all made, all removed", async () => {
  const { code, report } = await soak('--fleet', '--hosts', '12', '--seed', '3');
  expect(report).toMatchObject({ fleet: true, hosts: 12, throttledCalls: 0 });
  expectAllMade(report, 12);
  // Virtual time: a create takes its 90 s of AWS, not a real minute and a half.
  expect(report.create.simulatedSeconds).toBeGreaterThan(90);
  expectAllRemoved(report, code);
}, 120_000);
