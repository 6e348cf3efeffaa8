/**
 * EventBridge, as far as the stack's rules need it locally: Step Functions' "Execution Status
 * Change" events, matched against each rule's event pattern, and each target's input shaped as
 * EventBridge shapes it (a constant Input, or an InputTransformer's paths and template).
 */

/** A Step Functions status-change event, as AWS puts it on the default bus. */
export interface StatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
    startDate: number;
    stopDate: number | null;
    input: string;
    inputDetails: { included: boolean };
    output: string | null;
    outputDetails: { included: boolean } | null;
    error: string | null;
    cause: string | null;
  };
}

export interface RuleTarget {
  arn: string;
  /** A constant input (JSON text). */
  input?: string;
  /** An input transformer: JSON paths into the event, and the template they fill. */
  transformer?: { paths: Record<string, string>; template: string };
}

export interface LocalRule {
  id: string;
  pattern: Record<string, unknown>;
  targets: RuleTarget[];
}

/** EventBridge's matching of an event against a pattern: arrays of values (or matchers) at the leaves, objects nested. */
export function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, want]) => {
    const value = event[key];
    if (Array.isArray(want)) return want.some((w) => leafMatches(w, value));
    if (typeof want === 'object' && want !== null) {
      return (
        typeof value === 'object' &&
        value !== null &&
        matches(want as Record<string, unknown>, value as Record<string, unknown>)
      );
    }
    return false;
  });
}

function leafMatches(want: unknown, value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  if (typeof want !== 'object' || want === null) return values.some((v) => v === want);
  const matcher = want as { prefix?: string; exists?: boolean; 'anything-but'?: unknown };
  if (matcher.exists !== undefined) return matcher.exists === (value !== undefined);
  if (matcher.prefix !== undefined)
    return values.some((v) => typeof v === 'string' && v.startsWith(matcher.prefix ?? ''));
  if (matcher['anything-but'] !== undefined) {
    const excluded = Array.isArray(matcher['anything-but']) ? matcher['anything-but'] : [matcher['anything-but']];
    return values.every((v) => !excluded.includes(v));
  }
  return false;
}

/** The value at a simple JSONPath (`$.detail.executionArn`), or undefined. */
function at(event: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], event);
}

/** The input a target receives for an event: the whole event, a constant, or the transformer's template filled. */
export function targetInput(target: RuleTarget, event: unknown): unknown {
  if (target.input !== undefined) return JSON.parse(target.input);
  if (!target.transformer) return event;
  const { paths, template } = target.transformer;
  // In a string a placeholder takes the value's text; outside one, its JSON (as EventBridge fills them).
  let filled = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    const placeholder = c === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(template.slice(i)) : null;
    if (placeholder && placeholder[1] in paths) {
      const value = at(event, paths[placeholder[1]]);
      const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
      filled += inString ? JSON.stringify(text).slice(1, -1) : JSON.stringify(value ?? null);
      i += placeholder[0].length - 1;
      continue;
    }
    if (c === '"' && template[i - 1] !== '\\') inString = !inString;
    filled += c;
  }
  return JSON.parse(filled);
}
