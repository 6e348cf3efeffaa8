/** The diagrams in docs/ are drawn from the synthesized definitions and must match them. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
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
