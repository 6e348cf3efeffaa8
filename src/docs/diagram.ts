/**
 * Mermaid flowcharts of the state machines, drawn from their synthesized definitions, so the
 * diagrams in docs/ show what is deployed, not what someone remembered to draw. They are drawn to
 * be read at a page's width: each poll loop (lib/poll.ts) is one node that gives its first wait and
 * its bound, the branches of a Parallel stand side by side under a name, only the edges that leave
 * the main path carry a label, and every Catch is a red "on error" edge.
 */
import { ELAPSED_FIELD } from '../../lib/poll';
import { type AslDefinition, type AslState, nestedDefinitions, type Workflow } from '../engine/template';

interface Condition {
  Variable?: string;
  And?: Condition[];
  Or?: Condition[];
  Not?: Condition;
  Next?: string;
  [operator: string]: unknown;
}

interface Catcher {
  ErrorEquals: string[];
  Next: string;
}

const OPERATORS: Record<string, string> = {
  StringEquals: '=',
  NumericEquals: '=',
  NumericGreaterThanEquals: '≥',
  NumericGreaterThan: '>',
  NumericLessThan: '<',
  NumericLessThanEquals: '≤',
  BooleanEquals: '=',
};

/** The comparison that holds exactly when the other does not. */
const OPPOSITES: Record<string, string> = {
  NumericGreaterThanEquals: 'NumericLessThan',
  NumericLessThan: 'NumericGreaterThanEquals',
  NumericGreaterThan: 'NumericLessThanEquals',
  NumericLessThanEquals: 'NumericGreaterThan',
};

/** A node id Mermaid accepts, stable for a given state name. */
function idOf(name: string): string {
  return `s_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** `$.running.status` → `running.status`: enough to read the condition. */
function variable(path = ''): string {
  return path.replace(/^\$\./, '');
}

function operatorOf(c: Condition): string {
  return Object.keys(c).find((k) => k !== 'Variable' && k !== 'Next') ?? '?';
}

export function describeCondition(c: Condition): string {
  if (c.And) return c.And.map(describeCondition).join(' and ');
  if (c.Or) return c.Or.map(describeCondition).join(' or ');
  if (c.Not) return `not ${describeCondition(c.Not)}`;
  if (c.IsPresent !== undefined) return `${variable(c.Variable)} ${c.IsPresent ? 'present' : 'absent'}`;
  const operator = operatorOf(c);
  return `${variable(c.Variable)} ${OPERATORS[operator] ?? operator} ${String(c[operator])}`;
}

/** What a Choice's Default means when the Choice has one rule: that rule, the other way round. */
function opposite(c: Condition): string {
  if (c.Not) return describeCondition(c.Not);
  if (c.IsPresent !== undefined) return `${variable(c.Variable)} ${c.IsPresent ? 'absent' : 'present'}`;
  const operator = operatorOf(c);
  if (operator === 'BooleanEquals') return `${variable(c.Variable)} = ${String(!c[operator])}`;
  if (OPPOSITES[operator]) return describeCondition({ Variable: c.Variable, [OPPOSITES[operator]]: c[operator] });
  if (!c.And && !c.Or && OPERATORS[operator] === '=') return `${variable(c.Variable)} ≠ ${String(c[operator])}`;
  return `not (${describeCondition(c)})`;
}

/**
 * A poll loop as the ASL has it, whoever built it: a Choice with a rule to a Wait whose Next is a
 * Task whose Next is the Choice again. Its first wait is the other Wait leading into that Task, its
 * bound the rule that sends the Choice to a Fail or Pass state on a numeric limit.
 */
export interface PollLoop {
  check: string;
  choice: string;
  wait: string;
  firstWait?: string;
  firstWaitSeconds?: number;
  /** Where the loop goes when it runs out of checks or time. */
  timedOut?: string;
  /** The most checks, and seconds from the first check, before it gives up. */
  maxChecks?: number;
  maxSeconds?: number;
}

/** Every `Variable ≥ n` (or `> n`) a condition requires, with and/or taken apart. */
function numericBounds(c: Condition): Array<{ variable: string; value: number }> {
  if (c.And) return c.And.flatMap(numericBounds);
  if (c.Or) return c.Or.flatMap(numericBounds);
  const operator = operatorOf(c);
  if ((operator === 'NumericGreaterThanEquals' || operator === 'NumericGreaterThan') && c.Variable) {
    return [{ variable: c.Variable, value: Number(c[operator]) }];
  }
  return [];
}

function rulesOf(state: AslState): Condition[] {
  return (state.Choices as Condition[] | undefined) ?? [];
}

function catchersOf(state: AslState): Catcher[] {
  return (state.Catch as Catcher[] | undefined) ?? [];
}

/** The poll loops among a definition's own states (not those of its Parallel or Map states). */
export function pollLoops(definition: AslDefinition): PollLoop[] {
  const states = definition.States;
  const loops: PollLoop[] = [];
  for (const [choice, state] of Object.entries(states)) {
    if (state.Type !== 'Choice') continue;
    const rules = rulesOf(state);
    const again = rules.find((r) => {
      const wait = states[String(r.Next)];
      const check = wait?.Type === 'Wait' ? states[String(wait.Next)] : undefined;
      return check?.Type === 'Task' && check.Next === choice;
    });
    if (!again) continue;
    const wait = String(again.Next);
    const check = String(states[wait].Next);
    const loop: PollLoop = { check, choice, wait };
    const first = Object.entries(states).find(
      ([name, s]) => name !== wait && s.Type === 'Wait' && s.Next === check && typeof s.Seconds === 'number',
    );
    if (first) {
      loop.firstWait = first[0];
      loop.firstWaitSeconds = Number(first[1].Seconds);
    }
    const timeout = rules.find(
      (r) =>
        r !== again && ['Fail', 'Pass'].includes(String(states[String(r.Next)]?.Type)) && numericBounds(r).length > 0,
    );
    if (timeout) {
      loop.timedOut = String(timeout.Next);
      for (const { variable: v, value } of numericBounds(timeout)) {
        if (v.endsWith('.attempt')) loop.maxChecks = value;
        if (v.endsWith(`.${ELAPSED_FIELD}`)) loop.maxSeconds = value;
      }
    }
    loops.push(loop);
  }
  return loops;
}

export type Shape = 'start' | 'task' | 'choice' | 'wait' | 'poll' | 'pass' | 'succeed' | 'fail';

export interface DiagramNode {
  id: string;
  shape: Shape;
  /** Its lines, the state's name first. */
  label: string[];
  /** The states it stands for: one, or the states of a poll loop. */
  states: string[];
}

/** A Parallel or Map state, or one branch of a Parallel: a box around what runs inside it. */
export interface DiagramGroup {
  id: string;
  title: string;
  items: Array<DiagramNode | DiagramGroup>;
}

export interface DiagramEdge {
  from: string;
  to: string;
  /** Only on edges that leave the main path: a Choice's condition, an error. */
  label?: string;
  /** A Catch: where an error goes. */
  error?: boolean;
  /** Ranks it spans, when more than one: keeps each step as high as it can be (see `ranked`). */
  ranks?: number;
}

export interface Diagram {
  items: Array<DiagramNode | DiagramGroup>;
  edges: DiagramEdge[];
  /** Nodes that run only after an error: drawn red, like the edges that lead there. */
  errorNodes: string[];
}

function isGroup(item: DiagramNode | DiagramGroup): item is DiagramGroup {
  return 'items' in item;
}

/** Every node of a diagram, including those inside groups. */
export function nodesOf(items: Array<DiagramNode | DiagramGroup>): DiagramNode[] {
  return items.flatMap((item) => (isGroup(item) ? nodesOf(item.items) : [item]));
}

/** Every group of a diagram, including nested ones. */
export function groupsOf(items: Array<DiagramNode | DiagramGroup>): DiagramGroup[] {
  return items.flatMap((item) => (isGroup(item) ? [item, ...groupsOf(item.items)] : []));
}

function errorLabel(errors: string[]): string {
  return errors.includes('States.ALL') ? 'on error' : `on ${errors.join(', ')}`;
}

function waitLabel(state: AslState): string {
  return state.SecondsPath ? `${variable(String(state.SecondsPath))} s` : `${state.Seconds} s`;
}

function pollLabel(loop: PollLoop): string[] {
  const bound = [
    loop.maxChecks === undefined ? undefined : `${loop.maxChecks} checks`,
    loop.maxSeconds === undefined ? undefined : `${loop.maxSeconds} s`,
  ].filter((b) => b !== undefined);
  return [
    loop.check,
    loop.firstWaitSeconds === undefined ? 'checks at once' : `first wait ${loop.firstWaitSeconds} s`,
    bound.length > 0 ? `up to ${bound.join(' / ')}` : 'polls until done',
  ];
}

function stateNode(name: string, state: AslState): DiagramNode {
  const node = (shape: Shape, label: string[]): DiagramNode => ({ id: idOf(name), shape, label, states: [name] });
  switch (state.Type) {
    case 'Choice':
      return node('choice', [name]);
    case 'Wait':
      return node('wait', [name, waitLabel(state)]);
    case 'Succeed':
      return node('succeed', [name]);
    case 'Pass':
      return node('pass', [name]);
    case 'Fail':
      return node('fail', [
        name,
        state.Error === undefined ? `error from ${variable(String(state.ErrorPath))}` : `error ${state.Error}`,
      ]);
    default:
      return node('task', [name]);
  }
}

/** Builds the drawing of one state machine; state names are unique across a machine, nested ones too. */
class Drawing {
  private readonly states = new Map<string, AslState>();
  /** State name → the node that stands for it (a poll loop's states all map to the loop's node). */
  private readonly nodeOf = new Map<string, string>();
  private readonly loopOfChoice = new Map<string, PollLoop>();
  private readonly loopOfCheck = new Map<string, PollLoop>();
  /** States drawn as part of a poll loop's node, whose own edges are the loop's. */
  private readonly inLoop = new Set<string>();
  readonly edges: DiagramEdge[] = [];
  /** Catch edges, drawn after the others so that the layout follows the main path. */
  readonly errorEdges: DiagramEdge[] = [];

  constructor(private readonly definition: AslDefinition) {
    this.register(definition);
  }

  private register(definition: AslDefinition): void {
    const referenced = new Map<string, number>();
    for (const state of Object.values(definition.States)) {
      const targets = [
        state.Next,
        state.Default,
        ...rulesOf(state).map((r) => r.Next),
        ...catchersOf(state).map((c) => c.Next),
      ];
      for (const t of targets) if (typeof t === 'string') referenced.set(t, (referenced.get(t) ?? 0) + 1);
    }
    for (const loop of pollLoops(definition)) {
      this.loopOfChoice.set(loop.choice, loop);
      this.loopOfCheck.set(loop.check, loop);
      const own = [loop.check, loop.choice, loop.wait, loop.firstWait];
      // A Fail only this loop reaches is the loop giving up: its node says when.
      if (loop.timedOut && definition.States[loop.timedOut].Type === 'Fail' && referenced.get(loop.timedOut) === 1) {
        own.push(loop.timedOut);
      }
      for (const name of own) {
        if (name === undefined) continue;
        this.inLoop.add(name);
        this.nodeOf.set(name, idOf(loop.check));
      }
    }
    for (const [name, state] of Object.entries(definition.States)) {
      const other = [...this.states.keys()].find((n) => n !== name && idOf(n) === idOf(name));
      if (other !== undefined || this.states.has(name)) {
        throw new Error(`states "${other ?? name}" and "${name}" share a diagram id`);
      }
      this.states.set(name, state);
      if (!this.nodeOf.has(name)) this.nodeOf.set(name, idOf(name));
      for (const branch of nestedDefinitions(state)) this.register(branch);
    }
  }

  private state(name: string): AslState {
    const state = this.states.get(name);
    if (!state) throw new Error(`diagram: no state "${name}"`);
    return state;
  }

  /** The nodes where control arrives when it goes to a state: a Parallel's or Map's is each branch's start. */
  entries(name: string): string[] {
    const state = this.state(name);
    const branches = nestedDefinitions(state);
    if (branches.length > 0) return branches.flatMap((b) => this.entries(b.StartAt));
    return [this.nodeOf.get(name) ?? idOf(name)];
  }

  /** The nodes control leaves a state from to go to its Next: for a Parallel or Map, each branch's ends. */
  private exits(name: string): string[] {
    const branches = nestedDefinitions(this.state(name));
    if (branches.length === 0) return [this.nodeOf.get(name) ?? idOf(name)];
    return branches.flatMap((b) =>
      Object.entries(b.States)
        .filter(([, s]) => s.End === true || s.Type === 'Succeed')
        .flatMap(([n]) => this.exits(n)),
    );
  }

  private edge(from: string[], to: string[], label?: string, error?: boolean): void {
    const list = error ? this.errorEdges : this.edges;
    for (const f of from) {
      for (const t of to) {
        if (list.some((e) => e.from === f && e.to === t && e.label === label)) continue;
        list.push({ from: f, to: t, ...(label === undefined ? {} : { label }), ...(error ? { error } : {}) });
      }
    }
  }

  /** The names of a branch's steps, for its title: its tasks outside poll loops, else its first state. */
  private branchTitle(branch: AslDefinition): string {
    const order: string[] = [];
    const visit = (name: string | undefined): void => {
      if (name === undefined || order.includes(name) || !(name in branch.States)) return;
      order.push(name);
      const state = branch.States[name];
      for (const next of [state.Next, ...rulesOf(state).map((r) => r.Next), state.Default]) {
        visit(typeof next === 'string' ? next : undefined);
      }
    };
    visit(branch.StartAt);
    const tasks = order.filter((n) => branch.States[n].Type === 'Task' && !this.loopOfCheck.has(n));
    const named = tasks.length > 0 ? tasks : [this.loopOfCheck.get(order[0])?.check ?? branch.StartAt];
    return named.join(', ');
  }

  items(definition: AslDefinition = this.definition): Array<DiagramNode | DiagramGroup> {
    const items: Array<DiagramNode | DiagramGroup> = [];
    for (const [name, state] of Object.entries(definition.States)) {
      const loop = this.loopOfCheck.get(name);
      if (loop) {
        const states = [loop.firstWait, loop.check, loop.choice, loop.wait];
        if (loop.timedOut && this.inLoop.has(loop.timedOut)) states.push(loop.timedOut);
        items.push({
          id: idOf(name),
          shape: 'poll',
          label: pollLabel(loop),
          states: states.filter((s) => s !== undefined),
        });
      } else if (this.inLoop.has(name)) {
        // drawn as part of its loop's node
      } else if (state.Type === 'Map') {
        const how = `${state.MaxConcurrency ?? 'all'} at once`;
        const title = `${name}: for each of ${variable(String(state.ItemsPath ?? '$'))}, ${how}`;
        items.push({ id: idOf(name), title, items: nestedDefinitions(state).flatMap((b) => this.items(b)) });
      } else if (state.Type === 'Parallel') {
        const branches = nestedDefinitions(state);
        if (branches.length === 1) {
          items.push({ id: idOf(name), title: name, items: this.items(branches[0]) });
        } else {
          items.push({
            id: idOf(name),
            title: `${name}: ${branches.length === 2 ? 'both' : `all ${branches.length}`} branches at once`,
            items: branches.map((branch, i) => ({
              id: `${idOf(name)}_${i}`,
              title: `branch ${i + 1}: ${this.branchTitle(branch)}`,
              items: this.items(branch),
            })),
          });
        }
      } else {
        items.push(stateNode(name, state));
      }
    }
    return items;
  }

  /** Every transition, in the order of the definition: a Parallel's or Map's inside first, then its Next. */
  collectEdges(definition: AslDefinition = this.definition): void {
    for (const [name, state] of Object.entries(definition.States)) {
      for (const branch of nestedDefinitions(state)) this.collectEdges(branch);
      const loopChoice = this.loopOfChoice.get(name);
      if (loopChoice) {
        // A loop's way out: on, unlabelled, when the check is done; any other rule with its condition.
        const from = [idOf(loopChoice.check)];
        for (const rule of rulesOf(state)) {
          const target = String(rule.Next);
          if (this.nodeOf.get(target) === from[0]) continue; // round the loop, or its own Fail
          this.edge(from, this.entries(target), target === loopChoice.timedOut ? 'timed out' : describeCondition(rule));
        }
        if (typeof state.Default === 'string') this.edge(from, this.entries(state.Default));
      } else if (state.Type === 'Choice') {
        const rules = rulesOf(state);
        for (const rule of rules) this.edge(this.exits(name), this.entries(String(rule.Next)), describeCondition(rule));
        if (typeof state.Default === 'string') {
          this.edge(this.exits(name), this.entries(state.Default), rules.length === 1 ? opposite(rules[0]) : undefined);
        }
      } else if (typeof state.Next === 'string' && this.nodeOf.get(name) !== this.nodeOf.get(state.Next)) {
        this.edge(this.exits(name), this.entries(state.Next));
      }
      // A Catch leaves the whole of a Parallel or Map: its edge starts at the box.
      const from = nestedDefinitions(state).length > 0 ? idOf(name) : (this.nodeOf.get(name) ?? idOf(name));
      for (const c of catchersOf(state)) this.edge([from], this.entries(c.Next), errorLabel(c.ErrorEquals), true);
    }
  }
}

/** The drawing of a definition: nodes, the boxes around Parallel and Map states, and the edges. */
export function diagramOf(definition: AslDefinition): Diagram {
  const drawing = new Drawing(definition);
  const items: Array<DiagramNode | DiagramGroup> = [
    { id: 'start', shape: 'start', label: ['start'], states: [] },
    ...drawing.items(),
  ];
  drawing.collectEdges();
  const edges: DiagramEdge[] = [
    ...drawing.entries(definition.StartAt).map((to) => ({ from: 'start', to })),
    ...drawing.edges,
    ...drawing.errorEdges,
  ];
  ranked(edges);
  // What runs only after an error: not reached from the start without a Catch.
  const reached = new Set<string>();
  const groups = groupsOf(items);
  const visit = (id: string): void => {
    if (reached.has(id)) return;
    reached.add(id);
    for (const e of edges) if (e.from === id && !e.error) visit(e.to);
  };
  visit('start');
  for (const group of groups) if (nodesOf(group.items).some((n) => reached.has(n.id))) reached.add(group.id);
  const errorNodes = nodesOf(items)
    .filter((n) => n.shape === 'fail' || !reached.has(n.id))
    .map((n) => n.id);
  return { items, edges, errorNodes };
}

/**
 * Gives each edge of the main path the length that puts every node at its earliest rank: the
 * longest way to it from the start. Left to itself the layout may hang a short branch of a Parallel
 * from its join, level with the end of the long one, and then it reads as coming after it.
 */
function ranked(edges: DiagramEdge[]): void {
  const main = edges.filter((e) => !e.error);
  const rank = new Map<string, number>();
  const onPath = new Set<string>();
  const rankOf = (id: string): number => {
    const known = rank.get(id);
    if (known !== undefined) return known;
    onPath.add(id);
    // An edge back to a node on the way here is a loop: it does not push that node down.
    const from = main.filter((e) => e.to === id && !onPath.has(e.from)).map((e) => rankOf(e.from) + 1);
    onPath.delete(id);
    const r = Math.max(0, ...from);
    rank.set(id, r);
    return r;
  };
  for (const e of main) {
    const span = rankOf(e.to) - rankOf(e.from);
    if (span > 1) e.ranks = span;
  }
}

function quoted(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`;
}

const SHAPES: Record<Shape, (label: string) => string> = {
  start: (l) => `((${l}))`,
  task: (l) => `[${l}]`,
  choice: (l) => `{${l}}`,
  wait: (l) => `([${l}])`,
  poll: (l) => `([${l}])`,
  pass: (l) => `(${l})`,
  succeed: (l) => `((${l}))`,
  fail: (l) => `[[${l}]]`,
};

function itemLines(items: Array<DiagramNode | DiagramGroup>, indent: string): string[] {
  return items.flatMap((item) =>
    isGroup(item)
      ? [`${indent}subgraph ${item.id}[${quoted(item.title)}]`, ...itemLines(item.items, `${indent}  `), `${indent}end`]
      : [`${indent}${item.id}${SHAPES[item.shape](quoted(item.label.join('<br/>')))}`],
  );
}

/** The definition as a Mermaid flowchart; the `config` block sizes it for a page. */
export function mermaidOf(definition: AslDefinition): string {
  const { items, edges, errorNodes } = diagramOf(definition);
  const errorEdges = edges.flatMap((e, i) => (e.error ? [i] : []));
  const polls = nodesOf(items).filter((n) => n.shape === 'poll');
  return [
    'flowchart TD',
    ...itemLines(items, '  '),
    ...edges.map((e) => {
      const arrow = `${'-'.repeat(1 + (e.ranks ?? 1))}>`;
      return `  ${e.from} ${arrow}${e.label === undefined ? '' : `|${quoted(e.label)}|`} ${e.to}`;
    }),
    ...(errorNodes.length > 0
      ? ['  classDef error fill:#fdecea,stroke:#c62828,color:#000', `  class ${errorNodes.join(',')} error`]
      : []),
    ...(polls.length > 0
      ? ['  classDef poll fill:#e8f0fe,stroke:#3f6fb5,color:#000', `  class ${polls.map((n) => n.id).join(',')} poll`]
      : []),
    ...(errorEdges.length > 0
      ? [`  linkStyle ${errorEdges.join(',')} stroke:#c62828,stroke-width:2px,color:#c62828`]
      : []),
  ].join('\n');
}

/** One page of docs/: a state machine's diagram, as a picture and as Mermaid source. */
export interface DiagramPage {
  workflow: Workflow;
  /** The Markdown page; its picture is the .png beside it. */
  file: string;
  title: string;
  description: string;
}

/** The picture of a page: the .png beside the .md, rendered by `npm run docs`. */
export function imageOf(page: DiagramPage): string {
  return page.file.replace(/\.md$/, '.png');
}

/** The Markdown page of docs/ for one state machine. */
export function diagramPage(page: DiagramPage, definition: AslDefinition): string {
  const diagram = diagramOf(definition);
  const image = imageOf(page).split('/').pop();
  return [
    `# ${page.title}`,
    '',
    page.description,
    '',
    `![${page.title}: the state machine as a flowchart](${image})`,
    '',
    'Generated from the synthesized definition by `npm run docs`, the picture with mermaid-cli; a test fails when either is out of date.',
    '',
    ...(nodesOf(diagram.items).some((n) => n.shape === 'poll')
      ? [
          '- A blue rounded node is a poll loop: it waits its first wait, checks, then waits and checks again until the work is done; past its bound (checks, or seconds from the first check) it fails with PollTimeout.',
        ]
      : []),
    ...(diagram.edges.some((e) => e.error)
      ? ['- Red edges are where an error goes (Catch); red nodes run only after one.']
      : []),
    '- Every task also retries Lambda service errors and AWS throttling with backoff and jitter (not drawn).',
    '',
    '## Mermaid source',
    '',
    '```mermaid',
    mermaidOf(definition),
    '```',
    '',
  ].join('\n');
}

/** The pages of docs/, one per state machine. */
export const DIAGRAMS: readonly DiagramPage[] = [
  {
    workflow: 'create',
    file: 'docs/create-vm.md',
    title: 'create-vm',
    description:
      'Launches an instance, names it, registers it in Route 53, reboots it and proves the reboot; any failure after validation is rolled back.',
  },
  {
    workflow: 'destroy',
    file: 'docs/destroy-vm.md',
    title: 'destroy-vm',
    description: 'Terminates the instance behind a hostname and removes its record; each step is safe to run again.',
  },
  {
    workflow: 'createFleet',
    file: 'docs/create-fleet.md',
    title: 'create-fleet',
    description:
      'Creates several hosts in one execution: one create-vm execution per hostname, all at once, started at the pace EC2 takes launches; a host that fails is rolled back alone and reported.',
  },
  {
    workflow: 'destroyFleet',
    file: 'docs/destroy-fleet.md',
    title: 'destroy-fleet',
    description:
      'Destroys several hosts in one execution: one destroy-vm execution per hostname, all at once, started at the same pace.',
  },
  {
    workflow: 'cleanUp',
    file: 'docs/clean-up.md',
    title: 'clean-up',
    description:
      'Started by EventBridge when a create-vm execution ends without its roll-back (stopped, timed out, an error no Catch sees, or a roll-back that failed): removes what that execution left.',
  },
];
