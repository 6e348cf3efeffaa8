/**
 * The fixes the emulator applies to moto's Step Functions engine and Scheduler (src/emulator/moto/fixes.py):
 * each one is needed (its scenario fails without it) and they are enough (it passes with all), as
 * check_fixes.py proves in fresh Python processes; the launcher refuses any other moto version.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../src/engine/synth';

const run = promisify(execFile);
const MOTO_DIR = path.join(PROJECT_ROOT, 'src', 'emulator', 'moto');

test('every moto fix is needed and they are enough: its scenario fails without it, passes with all', async () => {
  const done = await run('python3', [path.join(MOTO_DIR, 'check_fixes.py')], { timeout: 170_000 }).catch(
    (error: { stdout: string }) => error,
  );
  const report = JSON.parse(done.stdout) as { fixes: Array<{ name: string; without: string; with: string }> };
  const names = report.fixes.map((f) => f.name);
  expect(names).toEqual([
    'deepcopy_without_executions',
    'definite_jsonpath',
    'states_error_names',
    'context_start_time_string',
    'sfn_start_execution_integration',
    'generated_execution_name',
    'cloudformation_state_machines',
    'stop_execution_error_cause',
    'cloudformation_schedule_groups',
    'scheduler_missing_group',
  ]);
  for (const fix of report.fixes) {
    expect({ name: fix.name, with: fix.with }).toEqual({ name: fix.name, with: 'ok' });
    expect(fix.without).not.toBe('ok');
  }
}, 180_000);

test('the launcher refuses a moto other than the pinned one, in one line, exit 2', async () => {
  // A moto 9.9.9 distribution's metadata first on the path: what `pip install moto==9.9.9` leaves.
  const dir = mkdtempSync(path.join(tmpdir(), 'lifecycle-moto-'));
  try {
    const info = path.join(dir, 'moto-9.9.9.dist-info');
    mkdirSync(info);
    writeFileSync(path.join(info, 'METADATA'), 'Metadata-Version: 2.1\nName: moto\nVersion: 9.9.9\n');
    const refused = await run('python3', [path.join(MOTO_DIR, 'launcher.py'), '-p', '0'], {
      env: { ...process.env, PYTHONPATH: dir },
      timeout: 30_000,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr.trim().split('\n')).toEqual([
      'moto 9.9.9 is installed; this emulator patches moto 5.2.1 exactly: python3 -m pip install -r requirements-dev.txt',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
