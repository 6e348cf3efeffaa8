/** docs/cli.md is generated from the help texts and must match them; every relative link leads somewhere. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { cliReference, helpTexts, REFERENCE_FILE } from '../src/cli/help';
import { main } from '../src/cli/main';
import { PROJECT_ROOT } from '../src/engine/synth';

test('docs/cli.md is every help text as the CLI prints it (npm run docs)', async () => {
  expect(readFileSync(path.join(PROJECT_ROOT, REFERENCE_FILE), 'utf8')).toBe(cliReference());
  const printed = async (...argv: string[]) => {
    const out: string[] = [];
    expect(await main(argv, { out: (l) => out.push(l), err: () => undefined })).toBe(0);
    return out.join('\n');
  };
  const texts = helpTexts();
  expect(texts.map((t) => t.command)).toEqual([
    '',
    'create',
    'destroy',
    'status',
    'list',
    'logs',
    'defaults',
    'hosts',
    'extend',
    'emulator',
    'demo',
  ]);
  for (const { command, text } of texts) {
    expect(await printed(...(command ? [command] : []), '--help')).toBe(text);
  }
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

test('every relative link in the README and docs/ leads to a file, and to a heading when it names one', () => {
  const pages = [
    'README.md',
    ...readdirSync(path.join(PROJECT_ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const broken: string[] = [];
  let checked = 0;
  for (const page of pages) {
    // Code blocks hold commands and JSON, not links.
    const text = readFileSync(path.join(PROJECT_ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      checked++;
      const [file, anchor] = target.split('#');
      const resolved = file
        ? path.join(path.dirname(path.join(PROJECT_ROOT, page)), file)
        : path.join(PROJECT_ROOT, page);
      if (!existsSync(resolved)) {
        broken.push(`${page}: ${target} (no such file)`);
        continue;
      }
      if (anchor && resolved.endsWith('.md')) {
        const headings = [...readFileSync(resolved, 'utf8').matchAll(/^#+ (.*)$/gm)].map((m) => anchorOf(m[1]));
        if (!headings.includes(anchor)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
  }
  expect(broken).toEqual([]);
  expect(checked).toBeGreaterThan(20);
});
