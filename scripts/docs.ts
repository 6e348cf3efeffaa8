/**
 * `npm run docs`: writes the pages of docs/, Mermaid diagrams of the state machines drawn from the
 * synthesized template, and their pictures, docs/*.png, rendered in Debian's Chromium when their
 * diagram has changed (without Chromium the pages are written, the pictures are not, and it exits
 * 1 unless run with --no-png); and docs/cli.md, the CLI reference, from the help texts.
 * test/diagrams.test.ts and test/docs.test.ts fail when either is out of date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cliReference, REFERENCE_FILE } from '../src/cli/help';
import { DIAGRAMS, diagramPage, imageOf, mermaidOf } from '../src/docs/diagram';
import { cannotRender, isCurrent, renderPng } from '../src/docs/png';
import { PROJECT_ROOT, synthesize } from '../src/engine/synth';
import { loadDeployment } from '../src/engine/template';

const { definitions } = loadDeployment(synthesize().templatePath);
mkdirSync(path.join(PROJECT_ROOT, 'docs'), { recursive: true });
for (const diagram of DIAGRAMS) {
  const file = path.join(PROJECT_ROOT, diagram.file);
  writeFileSync(file, diagramPage(diagram, definitions[diagram.workflow]));
  console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
}
// Chromium draws the same diagram a little differently each time: a picture is rendered again
// only when its diagram has changed.
const stale = DIAGRAMS.filter(
  (d) => !isCurrent(mermaidOf(definitions[d.workflow]), path.join(PROJECT_ROOT, imageOf(d))),
);
const why = process.argv.includes('--no-png') ? 'asked not to (--no-png)' : cannotRender();
if (stale.length === 0) {
  console.log('docs/*.png are current');
} else if (why) {
  console.error(`PNGs not rendered: ${why}; out of date: ${stale.map(imageOf).join(', ')}`);
  if (!process.argv.includes('--no-png')) process.exitCode = 1;
} else {
  for (const diagram of stale) {
    const file = path.join(PROJECT_ROOT, imageOf(diagram));
    const { width, height } = renderPng(mermaidOf(definitions[diagram.workflow]), file);
    console.log(`wrote ${imageOf(diagram)} (${width}×${height} px)`);
  }
}

writeFileSync(path.join(PROJECT_ROOT, REFERENCE_FILE), cliReference());
console.log(`wrote ${REFERENCE_FILE}`);
