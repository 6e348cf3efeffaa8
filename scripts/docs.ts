/**
 * `npm run docs`: writes docs/create-vm.md and docs/destroy-vm.md, Mermaid diagrams of the state
 * machines drawn from the synthesized template, and the README's CLI reference from the help
 * texts. test/docs.test.ts fails when either is out of date.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { withCliReference } from '../src/cli/help';
import { DIAGRAMS, diagramPage } from '../src/docs/diagram';
import { PROJECT_ROOT, synthesize } from '../src/engine/synth';
import { loadDeployment } from '../src/engine/template';

const { definitions } = loadDeployment(synthesize().templatePath);
mkdirSync(path.join(PROJECT_ROOT, 'docs'), { recursive: true });
for (const diagram of DIAGRAMS) {
  const file = path.join(PROJECT_ROOT, diagram.file);
  writeFileSync(file, diagramPage(diagram, definitions[diagram.workflow]));
  console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
}

const readme = path.join(PROJECT_ROOT, 'README.md');
writeFileSync(readme, withCliReference(readFileSync(readme, 'utf8')));
console.log('wrote the CLI reference in README.md');
