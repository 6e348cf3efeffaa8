/**
 * aws-local-stepfunctions 3.0.0, loaded with one correction to its intrinsic functions, which the
 * parity suite (test/parity.test.ts) found against moto's engine and AWS's documented behaviour.
 *
 * The library strips every backslash from the string any intrinsic function returns
 * (`BaseIntrinsicFunction.call`), to unescape `\{`, `\}`, `\'` and `\\` in a States.Format
 * template. It also strips the escapes of the JSON that States.JsonToString makes:
 * `States.JsonToString($.error)` of `{"Error":"E","Cause":"{\"k\":1}"}` comes out as
 * `{"Error":"E","Cause":"{"k":1}"}`, which is not JSON, so create-vm's RollBackFailed cause
 * differed from AWS's. Here the escapes of a quoted literal argument are undone where AWS undoes
 * them (`\'` and `\\` in any literal; `\{` and `\}` in States.Format's template, which are then not
 * placeholders), and results are left as the functions make them.
 *
 * The correction is applied to the library's own source text at load; a version whose text does not
 * match is refused with a clear error, so an upgrade cannot silently run without it.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type * as Library from 'aws-local-stepfunctions';

const VERSION = '3.0.0';

const PATCHES: Array<{ what: string; from: string; to: string }> = [
  {
    what: 'results keep their backslashes',
    from: `    if (typeof result === "string") {
      result = result.replaceAll("\\\\", "");
    }
`,
    to: '',
  },
  {
    what: "a literal's \\' and \\\\ are unescaped",
    from: 'return arg.slice(1, lastSingleQuote);',
    to: 'return arg.slice(1, lastSingleQuote).replace(/\\\\([\\\\\'])/g, "$1");',
  },
  {
    what: "States.Format's \\{ and \\} are literal braces, not placeholders",
    from: `    const placeholdersNumber = templateStr.match(/\\{\\}/g)?.length ?? 0;`,
    to: `    const placeholdersNumber = [...templateStr.matchAll(/\\\\[{}]|\\{\\}/g)].filter((m) => m[0] === "{}").length;`,
  },
  {
    what: "States.Format's \\{ and \\} are literal braces, not placeholders",
    from: 'return templateStr.replace(/\\{\\}/g, () => placeholderValues[i++]);',
    to: 'return templateStr.replace(/\\\\([{}])|\\{\\}/g, (m, brace) => brace ?? placeholderValues[i++]);',
  },
];

function load(): typeof Library {
  const entry = require.resolve('aws-local-stepfunctions');
  const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8'));
  let source = fs.readFileSync(entry, 'utf8');
  for (const patch of PATCHES) {
    if (pkg.version !== VERSION || !source.includes(patch.from)) {
      throw new Error(
        `aws-local-stepfunctions ${pkg.version} is installed; src/engine/asl-library.ts corrects ${VERSION} (${patch.what}): run npm ci`,
      );
    }
    source = source.replace(patch.from, patch.to);
  }
  // Compiled in this realm (a jest sandbox has its own globals, and polyfills), its own imports
  // resolved from where it is installed.
  const loaded = { exports: {} };
  const compiled = new Function('exports', 'require', 'module', '__filename', '__dirname', source);
  compiled(loaded.exports, createRequire(entry), loaded, entry, path.dirname(entry));
  return loaded.exports as typeof Library;
}

export const { StateMachine, ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } = load();
export type StateMachine = Library.StateMachine;
