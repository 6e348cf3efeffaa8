/**
 * The CLI reference (docs/cli.md): every help text as the command prints it, generated from the
 * declarations in program.ts by `npm run docs`; test/docs.test.ts fails when the two differ.
 */
import type { Command } from 'commander';
import type { Io } from './io';
import { buildProgram, CLI_NAME, type Handlers } from './program';

export const REFERENCE_FILE = 'docs/cli.md';

const unused = async (): Promise<Handlers> => {
  throw new Error('the reference only reads the help texts');
};

/** What `instance-lifecycle [COMMAND] --help` prints, for the program and each command. */
export function helpTexts(): { command: string; text: string }[] {
  let printed: string[] = [];
  const capture: Io = { out: (text) => printed.push(text), err: () => undefined };
  const program = buildProgram(unused, capture, () => undefined);
  const textOf = (command: Command) => {
    printed = [];
    command.outputHelp();
    return printed.join('\n');
  };
  return [
    { command: '', text: textOf(program) },
    ...program.commands.filter((c) => c.name() !== 'help').map((c) => ({ command: c.name(), text: textOf(c) })),
  ];
}

export function cliReference(): string {
  const sections = helpTexts().map(({ command, text }) =>
    [
      `## ${command ? `${CLI_NAME} ${command}` : CLI_NAME}`,
      '',
      '```',
      `$ ${CLI_NAME} ${command ? `${command} ` : ''}--help`,
      text,
      '```',
    ].join('\n'),
  );
  return [
    '# CLI reference',
    '',
    `Every help text of \`${CLI_NAME}\`, as the command prints it. Generated from \`src/cli/program.ts\``,
    'by `npm run docs`; a test fails when this page and the command differ. Inside this repository',
    `the command is also \`npx lifecycle\`; installed from this package it is \`npx ${CLI_NAME}\`.`,
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
}
