/** The diagrams in docs/ are drawn from the synthesized definitions and must match them. */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DIAGRAMS, describeCondition, diagramPage, imageOf, mermaidOf } from '../src/docs/diagram';
import { pngSize, sourceKey, sourceKeyOf, withSourceKey } from '../src/docs/png';
import { PROJECT_ROOT } from '../src/engine/synth';
import { type AslDefinition, type AslState, allStates, nestedDefinitions } from '../src/engine/template';
import { definitions } from '../src/harness/deployment';

/** A chart as this project's Mermaid reads: nodes, subgraphs, edges, and which edges are red. */
interface Chart {
  nodes: Map<string, { shape: string; label: string }>;
  subgraphs: Map<string, string>;
  edges: Array<{ from: string; to: string; label?: string; red: boolean }>;
  classes: Map<string, string[]>;
}

function parse(mermaid: string): Chart {
  const chart: Chart = { nodes: new Map(), subgraphs: new Map(), edges: [], classes: new Map() };
  let red: number[] = [];
  for (const line of mermaid.split('\n').map((l) => l.trim())) {
    const subgraph = /^subgraph (\w+)\["(.*)"\]$/.exec(line);
    const edge = /^(\w+) -{2,}>(?:\|"(.*)"\|)? (\w+)$/.exec(line);
    const node = /^(\w+)(\(\(|\[\[|\(\[|\[|\{|\()"(.*)"[)\]}]+$/.exec(line);
    const linkStyle = /^linkStyle ([\d,]+) stroke:#c62828/.exec(line);
    const classes = /^class ([\w,]+) (\w+)$/.exec(line);
    if (subgraph) chart.subgraphs.set(subgraph[1], subgraph[2]);
    else if (edge) chart.edges.push({ from: edge[1], to: edge[3], label: edge[2], red: false });
    else if (node) chart.nodes.set(node[1], { shape: node[2], label: node[3] });
    else if (linkStyle) red = linkStyle[1].split(',').map(Number);
    else if (classes) chart.classes.set(classes[2], classes[1].split(','));
  }
  for (const i of red) chart.edges[i].red = true;
  return chart;
}

const idOf = (name: string) => `s_${name.replace(/[^A-Za-z0-9]/g, '_')}`;

/** The poll loops of a definition, found here on their own: Choice → Wait → Task → the same Choice. */
function loopsOf(definition: AslDefinition) {
  const states = new Map(allStates(definition));
  const loops = [];
  for (const [choice, state] of states) {
    for (const rule of (state.Choices as Array<{ Next: string }>) ?? []) {
      const wait = states.get(rule.Next);
      const check = wait?.Type === 'Wait' ? String(wait.Next) : '';
      if (states.get(check)?.Type !== 'Task' || states.get(check)?.Next !== choice) continue;
      const firstWait = [...states].find(([n, s]) => n !== rule.Next && s.Type === 'Wait' && s.Next === check);
      loops.push({ check, choice, wait: rule.Next, firstWait });
    }
  }
  return loops;
}

test.each(DIAGRAMS.map((d) => [d.file, d] as const))('%s is up to date (npm run docs)', (_file, diagram) => {
  const expected = diagramPage(diagram, definitions()[diagram.workflow]);
  expect(readFileSync(path.join(PROJECT_ROOT, diagram.file), 'utf8')).toBe(expected);
});

test.each(DIAGRAMS.map((d) => [imageOf(d), d] as const))(
  '%s was rendered from the diagram on its page (npm run docs, with Chromium)',
  (image, diagram) => {
    const file = path.join(PROJECT_ROOT, image);
    expect(existsSync(file)).toBe(true);
    const png = readFileSync(file);
    expect(sourceKeyOf(png)).toBe(sourceKey(mermaidOf(definitions()[diagram.workflow])));
    // Drawn at its natural size, and small enough to read on a page 900 px wide.
    expect(pngSize(png).width).toBeLessThanOrEqual(1300);
    expect(diagramPage(diagram, definitions()[diagram.workflow])).toContain(`](${path.basename(image)})`);
  },
);

test('each poll loop of every machine is one node that gives its first wait and its bound', () => {
  let count = 0;
  for (const diagram of DIAGRAMS) {
    const definition = definitions()[diagram.workflow];
    const chart = parse(mermaidOf(definition));
    for (const loop of loopsOf(definition)) {
      count++;
      const node = chart.nodes.get(idOf(loop.check));
      expect(node?.label.split('<br/>')[0]).toBe(loop.check);
      // The bound as the loop's own Fail states it (lib/poll.ts).
      const cause = allStates(definition)
        .map(([, s]) => String(s.Cause ?? ''))
        .find((c) => c.startsWith(`${loop.check}: not done after`));
      const bound = /not done after (\d+) s \(or (\d+) checks\)/.exec(String(cause));
      expect(bound).not.toBeNull();
      expect(node?.label).toContain(`${bound?.[2]} checks`);
      expect(node?.label).toContain(`${bound?.[1]} s`);
      if (loop.firstWait) expect(node?.label).toContain(`first wait ${loop.firstWait[1].Seconds} s`);
      // The loop's other states are not drawn on their own.
      for (const other of [loop.choice, loop.wait, loop.firstWait?.[0], `${loop.check} timed out`]) {
        if (other) expect(chart.nodes.has(idOf(other))).toBe(false);
      }
      expect(chart.classes.get('poll')).toContain(idOf(loop.check));
    }
  }
  expect(count).toBe(8);
});

test('create-vm: 47 states in 22 nodes, the poll loops one each', () => {
  const { create } = definitions();
  const chart = parse(mermaidOf(create));
  expect(allStates(create)).toHaveLength(47);
  expect(chart.nodes.size).toBe(22);
  expect([...chart.nodes.values()].filter((n) => n.label.includes('first wait'))).toHaveLength(6);
});

test("only the edges off the main path are labelled, and none 'otherwise'", () => {
  for (const diagram of DIAGRAMS) {
    const chart = parse(mermaidOf(definitions()[diagram.workflow]));
    for (const edge of chart.edges) {
      if (edge.label === undefined) continue;
      expect(edge.label).not.toMatch(/otherwise/i);
      // A labelled edge is a Choice's condition or an error, and an error edge is red.
      if (edge.red) expect(edge.label).toMatch(/^on /);
      else expect(chart.nodes.get(edge.from)?.shape).toBe('{');
    }
  }
  const destroy = parse(mermaidOf(definitions().destroy));
  expect(destroy.edges).toContainEqual({
    from: 's_HasInstance_',
    to: 's_TerminateInstance',
    label: 'target.instanceId present',
    red: false,
  });
  expect(destroy.edges).toContainEqual({
    from: 's_HasInstance_',
    to: 's_NoInstance',
    label: 'target.instanceId absent',
    red: false,
  });
  // A poll loop leaves on an unlabelled edge when it is done.
  expect(parse(mermaidOf(definitions().create)).edges).toContainEqual({
    from: 's_WaitUntilRebooted',
    to: 's_HostReady',
    label: undefined,
    red: false,
  });
});

test('every Catch is a red "on error" edge to its target, from the state or the box it catches for', () => {
  let catches = 0;
  for (const diagram of DIAGRAMS) {
    const definition = definitions()[diagram.workflow];
    const chart = parse(mermaidOf(definition));
    const starts = (name: string): string[] => {
      const state = allStates(definition).find(([n]) => n === name)?.[1] as AslState;
      const nested = nestedDefinitions(state);
      return nested.length > 0 ? nested.flatMap((b) => starts(b.StartAt)) : [idOf(name)];
    };
    for (const [name, state] of allStates(definition)) {
      for (const c of (state.Catch as Array<{ ErrorEquals: string[]; Next: string }>) ?? []) {
        catches++;
        for (const to of starts(c.Next)) {
          expect(chart.edges).toContainEqual({ from: idOf(name), to, label: 'on error', red: true });
        }
      }
    }
  }
  expect(catches).toBe(4);
  const create = parse(mermaidOf(definitions().create));
  expect(create.subgraphs.has('s_Provision')).toBe(true);
  expect(create.edges).toContainEqual({ from: 's_RollBack', to: 's_CreateFailed', label: undefined, red: false });
  expect(create.nodes.get('s_CreateFailed')?.shape).toBe('[[');
  expect(create.classes.get('error')).toEqual([
    's_RollBack',
    's_CreateFailed',
    's_DescribeRollBackFailure',
    's_RollBackFailed',
  ]);
});

test('the branches of a Parallel are named and start side by side, and never lead into each other', () => {
  for (const diagram of DIAGRAMS) {
    const definition = definitions()[diagram.workflow];
    const chart = parse(mermaidOf(definition));
    for (const [name, state] of allStates(definition)) {
      if (state.Type !== 'Parallel' || nestedDefinitions(state).length < 2) continue;
      const branches = nestedDefinitions(state);
      const members = branches.map((b) => new Set(allStates(b).map(([n]) => idOf(n))));
      branches.forEach((branch, i) => {
        const title = chart.subgraphs.get(`${idOf(name)}_${i}`) ?? '';
        // Named by the tasks it runs (or its first state), not left blank.
        expect(title).toMatch(/^branch \d: \w/);
        expect(allStates(branch).some(([n]) => title.includes(n))).toBe(true);
      });
      for (const edge of chart.edges) {
        const from = members.findIndex((m) => m.has(edge.from));
        const to = members.findIndex((m) => m.has(edge.to));
        if (from >= 0 && to >= 0) expect(from).toBe(to);
      }
      // Every branch starts from the state before the Parallel.
      const before = allStates(definition).find(([, s]) => s.Next === name)?.[0];
      const into = (n: string) => chart.edges.filter((e) => e.to === idOf(n)).map((e) => e.from);
      const sources = branches.map((b) => {
        const loop = loopsOf(b).find((l) => l.firstWait?.[0] === b.StartAt || l.check === b.StartAt);
        return into(loop ? loop.check : b.StartAt);
      });
      if (before) for (const s of sources) expect(s.length).toBe(1);
      expect(new Set(sources.flat()).size).toBe(1);
    }
  }
  const create = parse(mermaidOf(definitions().create));
  expect(create.subgraphs.get('s_HostAndDns_0')).toBe('branch 1: SetHostname, RebootInstance');
  expect(create.subgraphs.get('s_HostAndDns_1')).toBe('branch 2: RegisterDns');
  for (const start of ['s_WaitUntilManaged', 's_RegisterDns']) {
    expect(create.edges).toContainEqual({ from: 's_WaitUntilRunning', to: start, label: undefined, red: false });
  }
});

test('a poll loop is found by its shape, whatever its states are called', () => {
  const definition: AslDefinition = {
    StartAt: 'Go',
    States: {
      Go: { Type: 'Task', Resource: 'arn:go', Next: 'Pause' },
      Pause: { Type: 'Wait', Seconds: 5, Next: 'Look' },
      Look: { Type: 'Task', Resource: 'arn:look', ResultPath: '$.seen', Next: 'Decide' },
      Decide: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.seen.status', StringEquals: 'WAITING' },
              {
                Or: [
                  { Variable: '$.seen.elapsedSeconds', NumericGreaterThanEquals: 90 },
                  { Variable: '$.seen.attempt', NumericGreaterThanEquals: 7 },
                ],
              },
            ],
            Next: 'GaveUp',
          },
          { Variable: '$.seen.status', StringEquals: 'WAITING', Next: 'Again' },
        ],
        Default: 'Finished',
      },
      Again: { Type: 'Wait', SecondsPath: '$.seen.waitSeconds', Next: 'Look' },
      GaveUp: { Type: 'Pass', Next: 'Finished' },
      Finished: { Type: 'Succeed' },
    },
  };
  const chart = parse(mermaidOf(definition));
  expect([...chart.nodes.keys()]).toEqual(['start', 's_Go', 's_Look', 's_GaveUp', 's_Finished']);
  expect(chart.nodes.get('s_Look')?.label).toBe('Look<br/>first wait 5 s<br/>up to 7 checks / 90 s');
  expect(chart.edges.map((e) => [e.from, e.to, e.label])).toEqual([
    ['start', 's_Go', undefined],
    ['s_Go', 's_Look', undefined],
    ['s_Look', 's_GaveUp', 'timed out'],
    ['s_Look', 's_Finished', undefined],
    ['s_GaveUp', 's_Finished', undefined],
  ]);
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

test('a PNG keeps the key of its source through a round trip, and a changed source does not match it', () => {
  // The smallest PNG: signature, IHDR (1×1, greyscale), IDAT, IEND.
  const png = Buffer.from(
    '89504e470d0a1a0a0000000d4948445200000001000000010800000000' +
      '3a7e9b550000000a49444154789c63600000000200015e2a09f70000000049454e44ae426082',
    'hex',
  );
  expect(sourceKeyOf(png)).toBeUndefined();
  const keyed = withSourceKey(png, sourceKey('flowchart TD\n  a --> b'));
  expect(sourceKeyOf(keyed)).toBe(sourceKey('flowchart TD\n  a --> b'));
  expect(sourceKeyOf(keyed)).not.toBe(sourceKey('flowchart TD\n  a --> c'));
  expect(pngSize(keyed)).toEqual({ width: 1, height: 1 });
  expect(keyed.subarray(keyed.length - 12).toString('latin1', 4, 8)).toBe('IEND');
});
