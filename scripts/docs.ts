/**
 * `npm run docs`: writes the pages of docs/, Mermaid diagrams of the state machines drawn from the
 * synthesized template, with their pictures (docs/*.png, rendered in Debian's Chromium; without it
 * the pages are written, the pictures are not, and it exits 1 unless run with --no-png), and the
 * README's CLI reference from the help texts. test/diagrams.test.ts and test/docs.test.ts fail
 * when either is out of date.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { withCliReference } from '../src/cli/help';
import { DIAGRAMS, diagramPage, imageOf, mermaidOf } from '../src/docs/diagram';
import { cannotRender, renderPng } from '../src/docs/png';
import { PROJECT_ROOT, synthesize } from '../src/engine/synth';
import { loadDeployment } from '../src/engine/template';

const { definitions } = loadDeployment(synthesize().templatePath);
mkdirSync(path.join(PROJECT_ROOT, 'docs'), { recursive: true });
for (const diagram of DIAGRAMS) {
  const file = path.join(PROJECT_ROOT, diagram.file);
  writeFileSync(file, diagramPage(diagram, definitions[diagram.workflow]));
  console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
}
const why = process.argv.includes('--no-png') ? 'asked not to (--no-png)' : cannotRender();
if (why) {
  console.error(`PNGs not rendered: ${why}`);
  if (!process.argv.includes('--no-png')) process.exitCode = 1;
} else {
  for (const diagram of DIAGRAMS) {
    const { width, height } = renderPng(
      mermaidOf(definitions[diagram.workflow]),
      path.join(PROJECT_ROOT, imageOf(diagram)),
    );
    console.log(`wrote ${imageOf(diagram)} (${width}×${height} px)`);
  }
}

const readme = path.join(PROJECT_ROOT, 'README.md');
writeFileSync(readme, withCliReference(readFileSync(readme, 'utf8')));
console.log('wrote the CLI reference in README.md');
