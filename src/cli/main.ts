/**
 * `instance-lifecycle` (also `lifecycle` inside this repository): create and destroy hosts with the
 * state machines, locally or on the deployed stack. The command line is declared in program.ts;
 * what the commands do is in commands.ts, loaded only once the arguments are good.
 * Exit codes: 0 success, 1 the execution failed or AWS refused, 2 bad usage, 130 Ctrl-C.
 */
import { CommanderError } from 'commander';
import { UsageError } from './args';
import { type Io, stdio } from './io';
import { buildProgram, CLI_NAME, type Handlers } from './program';

/** Exit code 2: the command line is wrong; nothing was sent anywhere. */
export const USAGE = 2;

/**
 * commander's message as one line that names the flag first: `--ttl abc: not a whole number…`,
 * `unknown option '--hostnme' (did you mean --hostname?)`.
 */
export function oneLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) =>
      line
        .replace(/^\(Did you mean/, '(did you mean')
        .replace(/^option '(-[\w-]+)[^']*' argument '(.*)' is invalid\. /, '$1 $2: ')
        .replace(/^command-argument value '(.*)' is invalid for argument '([\w-]+)'\. /, '$2 $1: ')
        .replace(/Allowed choices are (.*)\.$/, 'give one of $1')
        .replace(/^option '(-[\w-]+)[^']*' argument missing$/, '$1 needs a value')
        .replace(/^option '(-[\w-]+)[^']*' cannot be used with option '(-[\w-]+)[^']*'/, '$1 cannot be used with $2'),
    )
    .join(' ');
}

/**
 * The commands' code, loaded on first use. `require`, not `import()`: the CLI runs its TypeScript
 * through tsx's CommonJS hook, which a dynamic import() would bypass.
 */
async function handlers(): Promise<Handlers> {
  return (require('./commands') as typeof import('./commands')).handlers;
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  let code = 0;
  const program = buildProgram(handlers, io, (c) => {
    code = c;
  });
  // The command the error is about, for its one line and where its help is.
  const named = program.commands.find((c) => c.name() === argv[0])?.name();
  const where = named ? `${CLI_NAME} ${named}` : CLI_NAME;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      // No command at all: the help went to stderr.
      if (error.code === 'commander.help' || error.code === 'commander.executeSubCommandAsync') return USAGE;
      io.err(`${where}: ${oneLine(error.message)}; see '${where} --help'`);
      return USAGE;
    }
    if (error instanceof UsageError) {
      io.err(`${where}: ${error.message}; see '${where} --help'`);
      return USAGE;
    }
    const { explain } = require('./deployed/aws') as typeof import('./deployed/aws');
    const e = error as Error;
    const line = e.name === 'InvalidInput' ? `InvalidInput: ${e.message}` : explain(e).message;
    io.err(`${where}: ${line}`);
    return 1;
  }
}
