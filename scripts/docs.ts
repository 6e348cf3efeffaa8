/**
 * `npm run docs`: writes docs/create-vm.md and docs/destroy-vm.md, Mermaid diagrams of the state
 * machines drawn from the synthesized template, and docs/cli.md, the CLI reference, from the help
 * texts. test/docs.test.ts fails when either is out of date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cliReference, REFERENCE_FILE } from '../src/cli/help';
import { DIAGRAMS, diagramPage } from '../src/docs/diagram';
import { PROJECT_ROOT, synthesize } from '../src/engine/synth';
import { loadDeployment } from '../src/engine/template';

const { definitions } = loadDeployment(synthesize().templatePath);
mkdirSync(path.join(PROJECT_ROOT, 'docs'), { recursive: true });
for (const diagram of DIAGRAMS) {
  const file = path.join(PROJECT_ROOT, diagram.file);
  writeFileSync(file, diagramPage(diagram.title, diagram.description, definitions[diagram.workflow]));
  console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
}

writeFileSync(path.join(PROJECT_ROOT, REFERENCE_FILE), cliReference());
console.log(`wrote ${REFERENCE_FILE}`);
