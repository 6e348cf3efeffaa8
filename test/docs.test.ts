/** The diagrams in docs/ are drawn from the synthesized definitions and must match them. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { cliReference, helpTexts, REFERENCE_FILE } from '../src/cli/help';
import { main } from '../src/cli/main';
import { DIAGRAMS, describeCondition, diagramPage, mermaidOf } from '../src/docs/diagram';
import { PROJECT_ROOT } from '../src/engine/synth';
import { definitions } from '../src/harness/deployment';

test.each(DIAGRAMS.map((d) => [d.file, d] as const))('%s is up to date (npm run docs)', (_file, diagram) => {
  const expected = diagramPage(diagram.title, diagram.description, definitions()[diagram.workflow]);
  expect(readFileSync(path.join(PROJECT_ROOT, diagram.file), 'utf8')).toBe(expected);
});

test('every state of both machines is drawn, with every transition and catch', () => {
  const { create, destroy } = definitions();
  const chart = mermaidOf(create);
  for (const name of [
    'ValidateInput',
    'Provision',
    'HostAndDns',
    'WaitUntilRebooted (first wait): 40 s',
    'WaitUntilRebooted (wait)',
    'RollBack',
    'CreateFailed',
  ]) {
    expect(chart).toContain(`"${name}`);
  }
  expect(chart).toMatch(/s_Provision -\.->\|"catch States\.ALL"\| s_RollBack/);
  expect(chart).toContain('s_RollBack --> s_CreateFailed');
  expect(mermaidOf(destroy)).toContain('s_HasInstance_ -->|"target.instanceId present"| s_TerminateInstance');
  expect(mermaidOf(destroy)).toContain('s_HasInstance_ -->|otherwise| s_NoInstance');
  expect(mermaidOf(destroy)).toContain('subgraph s_Teardown["Teardown (parallel)"]');
});

test('conditions read as people write them', () => {
  expect(
    describeCondition({
      And: [
        { Variable: '$.running.status', StringEquals: 'WAITING' },
        { Variable: '$.running.attempt', NumericGreaterThanEquals: 60 },
      ],
    }),
  ).toBe('running.status = WAITING and running.attempt ≥ 60');
});

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
    'emulator',
    'demo',
  ]);
  for (const { command, text } of texts) {
    expect(await printed(...(command ? [command] : []), '--help')).toBe(text);
  }
});
