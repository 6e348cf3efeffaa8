import { synthesize } from '../../src/engine/synth';

/** One synth for the whole run (reused when the sources have not changed); tests read cdk.out. */
export default function globalSetup(): void {
  const { templatePath, reused } = synthesize();
  process.env.LIFECYCLE_TEMPLATE = templatePath;
  if (!reused) process.stderr.write(`\nsynthesized ${templatePath}\n`);
}
