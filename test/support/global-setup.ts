import { pythonExecutable } from '../../src/emulator/moto';
import { synthesize } from '../../src/engine/synth';

/**
 * One synth for the whole run (reused when the sources have not changed); tests read cdk.out.
 * The Python interpreter behind `python3` is found once too: every emulator a test file starts
 * runs it directly, without a version manager's shim in front.
 */
export default function globalSetup(): void {
  const { templatePath, reused } = synthesize();
  process.env.LIFECYCLE_TEMPLATE = templatePath;
  process.env.LIFECYCLE_PYTHON = pythonExecutable();
  if (!reused) process.stderr.write(`\nsynthesized ${templatePath}\n`);
}
