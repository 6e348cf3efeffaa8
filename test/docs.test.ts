/** The README's CLI reference is generated from the help texts and must match them. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COMMAND_HELP, HELP, withCliReference } from '../src/cli/help';
import { main } from '../src/cli/main';
import { PROJECT_ROOT } from '../src/engine/synth';

test("the README's CLI reference is every help text as the CLI prints it (npm run docs)", async () => {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  expect(readme).toBe(withCliReference(readme));
  const printed = async (...argv: string[]) => {
    const out: string[] = [];
    await main(argv, { out: (l) => out.push(l), err: () => undefined });
    return out.join('\n');
  };
  expect(await printed('--help')).toBe(HELP);
  for (const [command, text] of Object.entries(COMMAND_HELP)) {
    expect(await printed(command, '--help')).toBe(text);
    expect(readme).toContain(text);
  }
});
