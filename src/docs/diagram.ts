/**
 * Mermaid flowcharts of the state machines, drawn from their synthesized definitions, so the
 * diagrams in docs/ show what is deployed, not what someone remembered to draw.
 */
import { type AslDefinition, type AslState, nestedDefinitions } from '../engine/template';

interface Condition {
  Variable?: string;
  And?: Condition[];
  Or?: Condition[];
  Not?: Condition;
  Next?: string;
  [operator: string]: unknown;
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

/** A node id Mermaid accepts, stable for a given state name. */
function idOf(name: string): string {
  return `s_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** `$.running.status` → `running.status`: enough to read the condition. */
function variable(path = ''): string {
  return path.replace(/^\$\./, '');
}

export function describeCondition(c: Condition): string {
  if (c.And) return c.And.map(describeCondition).join(' and ');
  if (c.Or) return c.Or.map(describeCondition).join(' or ');
  if (c.Not) return `not ${describeCondition(c.Not)}`;
  if (c.IsPresent !== undefined) return `${variable(c.Variable)} ${c.IsPresent ? 'present' : 'absent'}`;
  const operator = Object.keys(c).find((k) => k !== 'Variable' && k !== 'Next') ?? '?';
  return `${variable(c.Variable)} ${OPERATORS[operator] ?? operator} ${String(c[operator])}`;
}

const SHAPES: Record<string, (label: string) => string> = {
  Choice: (l) => `{"${l}"}`,
  Wait: (l) => `(["${l}"])`,
  Succeed: (l) => `(("${l}"))`,
  Fail: (l) => `[["${l}"]]`,
  Pass: (l) => `("${l}")`,
};

function label(name: string, state: AslState): string {
  if (state.Type === 'Wait')
    return `${name}: ${state.SecondsPath ? `${variable(String(state.SecondsPath))} s` : `${state.Seconds} s`}`;
  if (state.Type === 'Fail') return `${name}: ${state.Error ?? variable(String(state.ErrorPath ?? ''))}`;
  return name;
}

function lines(definition: AslDefinition, indent: string): string[] {
  const out: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    const id = idOf(name);
    if (state.Type === 'Parallel' || state.Type === 'Map') {
      const what =
        state.Type === 'Map'
          ? `for each of ${variable(String(state.ItemsPath ?? '$'))}, ${state.MaxConcurrency ?? 'all'} at once`
          : 'parallel';
      out.push(`${indent}subgraph ${id}["${name} (${what})"]`);
      nestedDefinitions(state).forEach((branch, i) => {
        out.push(`${indent}  subgraph ${id}_${i}[" "]`);
        out.push(...lines(branch, `${indent}    `));
        out.push(`${indent}  end`);
      });
      out.push(`${indent}end`);
    } else {
      out.push(`${indent}${id}${(SHAPES[state.Type] ?? ((l: string) => `["${l}"]`))(label(name, state))}`);
    }
    if (typeof state.Next === 'string') out.push(`${indent}${id} --> ${idOf(state.Next)}`);
    if (state.Type === 'Choice') {
      for (const choice of (state.Choices as Condition[]) ?? []) {
        out.push(`${indent}${id} -->|"${describeCondition(choice)}"| ${idOf(String(choice.Next))}`);
      }
      if (state.Default) out.push(`${indent}${id} -->|otherwise| ${idOf(String(state.Default))}`);
    }
    for (const c of (state.Catch as Array<{ ErrorEquals: string[]; Next: string }>) ?? []) {
      out.push(`${indent}${id} -.->|"catch ${c.ErrorEquals.join(', ')}"| ${idOf(c.Next)}`);
    }
  }
  return out;
}

/** The definition as a Mermaid flowchart: tasks as boxes, Choice as diamonds, Catch as dotted edges. */
export function mermaidOf(definition: AslDefinition): string {
  const ids = new Map<string, string>();
  const visit = (d: AslDefinition): void => {
    for (const [name, state] of Object.entries(d.States)) {
      const other = ids.get(idOf(name));
      if (other !== undefined && other !== name) throw new Error(`states "${other}" and "${name}" share a diagram id`);
      ids.set(idOf(name), name);
      for (const branch of nestedDefinitions(state)) visit(branch);
    }
  };
  visit(definition);
  return ['flowchart TD', `  start((start)) --> ${idOf(definition.StartAt)}`, ...lines(definition, '  ')].join('\n');
}

/** The Markdown page of docs/ for one state machine. */
export function diagramPage(title: string, description: string, definition: AslDefinition): string {
  return [
    `# ${title}`,
    '',
    description,
    '',
    'Generated from the synthesized definition by `npm run docs`; a test fails when it is out of date.',
    'Every task also retries Lambda service errors and AWS throttling with backoff and jitter (not drawn).',
    '',
    '```mermaid',
    mermaidOf(definition),
    '```',
    '',
  ].join('\n');
}

/** The pages of docs/, one per state machine. */
export const DIAGRAMS = [
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
      'Creates several hosts in one execution: one create-vm execution per hostname, a few at once; a host that fails is rolled back alone and reported.',
  },
  {
    workflow: 'destroyFleet',
    file: 'docs/destroy-fleet.md',
    title: 'destroy-fleet',
    description: 'Destroys several hosts in one execution: one destroy-vm execution per hostname, a few at once.',
  },
  {
    workflow: 'cleanUp',
    file: 'docs/clean-up.md',
    title: 'clean-up',
    description:
      'Started by EventBridge when a create-vm execution ends without its roll-back (stopped, timed out, an error no Catch sees, or a roll-back that failed): removes what that execution left.',
  },
] as const;
