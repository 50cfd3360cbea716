/**
 * The `evaltrack` command line, testable without a process: commands are data, `runCli` takes
 * the arguments and the streams, and returns the exit code. Only bin.ts exits.
 *
 * Exit codes: 0 done (a gate that passed); 1 a gate that failed, or an error; 2 a usage error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { ExitError, UsageError, bare } from './command.js';
import type { CliIo, Command } from './command.js';
import { compareCommand } from './commands/compare.js';
import { copyCommand } from './commands/copy.js';
import { exportCommand } from './commands/export.js';
import { flakyCommand } from './commands/flaky.js';
import { gateCommand } from './commands/gate.js';
import { historyCommand } from './commands/history.js';
import { importCommand } from './commands/import.js';
import { pendingCommand } from './commands/pending.js';
import { rebuildCommand } from './commands/rebuild.js';
import { reportCommand } from './commands/report.js';
import { runsCommand } from './commands/runs.js';
import { showCommand } from './commands/show.js';
import { uiCommand } from './commands/ui.js';
import { DEFAULT_STORE, NoStoreError, openTracker } from '../stores/registry.js';
import { didYouMean } from './run-name.js';
import { styleFor } from './render.js';

export { UsageError } from './command.js';
export type { CliIo, Command } from './command.js';

const COMMON: NonNullable<ParseArgsConfig['options']> = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

/** The package's version, as `--version` prints it. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  runsCommand,
  showCommand,
  compareCommand,
  gateCommand,
  reportCommand,
  historyCommand,
  flakyCommand,
  exportCommand,
  importCommand,
  copyCommand,
  rebuildCommand,
  uiCommand,
  pendingCommand,
];

function help(): string {
  const lines = COMMANDS.map(
    (c) => `  ${[c.name, ...(c.aliases ?? [])].join(', ').padEnd(22)}${c.summary}`,
  );
  return (
    `evaltrack ${VERSION}: the runs of your LLM evaluations, compared with error bars\n\n` +
    `Commands:\n${lines.join('\n')}\n\n` +
    `Every command takes --store <folder | sqlite:file | postgres://url> (or EVALTRACK_STORE;\n` +
    `default ${DEFAULT_STORE}), --json for machines, --quiet to silence warnings about damaged\n` +
    `records, and --help. \`evaltrack help <command>\` says more of one.\n` +
    `A run is named by its id, a unique prefix of it, its last 8 hex digits, latest or latest~N.\n` +
    `Exit codes: 0 done (a gate that passed); 1 a gate that failed, an unknown run, or an error;\n` +
    `2 a usage error (a bad flag or argument, no store at the address, runs not comparable).\n`
  );
}

const commandHelp = (c: Command): string =>
  `${c.summary}\n\nusage: ${c.usage}\nexample: ${c.example}\n`;

const findCommand = (word: string): Command | undefined =>
  COMMANDS.find((c) => c.name === word || c.aliases?.includes(word));

const commandWords = (): string[] => COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);

/** Reads the arguments of `command`; a UsageError names what is wrong, in our words. */
function parseCommandArgs(command: Command, args: readonly string[]) {
  const options = { ...COMMON, ...command.options };
  // Unknown flags first: Node's own message for them is hard to read.
  const { tokens } = parseArgs({
    args: [...args],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind !== 'option' || Object.hasOwn(options, t.name)) continue;
    const flags = Object.keys(options).map((o) => `--${o}`);
    const near = didYouMean(t.rawName, flags);
    throw new UsageError(`unknown option ${t.rawName}${near ? `; did you mean ${near}?` : ''}`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (e) {
    const flag = /'(-[^' ]+)/.exec(bare(e))?.[1];
    // `--max-cost -1`: Node reads a value that starts with a dash as a missing value.
    const dashed = tokens.find(
      (t) => t.kind === 'option' && t.rawName === flag && t.value?.startsWith('-'),
    );
    if (flag && dashed?.kind === 'option' && /ambiguous/.test(bare(e))) {
      throw new UsageError(
        `${flag} needs a value; ${JSON.stringify(dashed.value)} reads as an option (write ${flag}=${dashed.value ?? ''} if it is the value)`,
      );
    }
    throw new UsageError(
      (e as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag
        ? options[flag.replace(/^-+/, '')]?.type === 'boolean'
          ? `${flag} takes no value`
          : `${flag} needs a value`
        : bare(e).replace(/'/g, ''),
    );
  }
  const [, max] = command.args ?? [0, 0];
  const extra = parsed.positionals.slice(max);
  if (extra.length > 0) {
    throw new UsageError(
      `${command.name} takes ${max === 0 ? 'no' : `at most ${max}`} argument${max === 1 ? '' : 's'}; ` +
        `unexpected ${extra.map((x) => JSON.stringify(x)).join(' ')}`,
    );
  }
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
}

/** Runs the command line; resolves with the exit code. Never exits the process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [word, ...rest] = argv;
  if (word === '--version' || word === '-V' || word === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (word === undefined || word === '--help' || word === '-h') {
    io.stdout.write(help());
    return word === undefined ? 2 : 0;
  }
  const unknown = (name: string): number => {
    const near = didYouMean(name, commandWords());
    io.stderr.write(
      `evaltrack: unknown command ${JSON.stringify(name)}` +
        `${near ? `; did you mean ${JSON.stringify(near)}?` : ''} (evaltrack --help lists them)\n`,
    );
    return 2;
  };
  if (word === 'help') {
    if (rest[0] === undefined) {
      io.stdout.write(help());
      return 0;
    }
    const about = findCommand(rest[0]);
    if (!about) return unknown(rest[0]);
    io.stdout.write(commandHelp(about));
    return 0;
  }
  const command = findCommand(word);
  if (!command) return unknown(word);
  const usage = (message: string): number => {
    io.stderr.write(
      `evaltrack ${command.name}: ${message}\nusage: ${command.usage}\n(evaltrack help ${command.name} says more)\n`,
    );
    return 2;
  };
  let parsed;
  try {
    parsed = parseCommandArgs(command, rest);
  } catch (e) {
    return usage(bare(e));
  }
  const { values, positionals } = parsed;
  if (values['help']) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  if (values['quiet']) io.quiet?.();
  const where =
    (values['store'] as string | undefined) ?? (io.env['EVALTRACK_STORE'] || DEFAULT_STORE);
  let tracker: BaseExperimentTracker | undefined;
  try {
    const mode = command.store ?? 'read';
    // Only `import` creates the store it is pointed at; reading a typo must not make a store.
    if (mode !== 'none')
      tracker = await openTracker('evaltrack', { store: where, create: mode === 'create' });
    return await command.run({
      values,
      positionals,
      io,
      style: styleFor(io.isTTY, io.env),
      json: values['json'] === true,
      tracker: tracker as BaseExperimentTracker,
    });
  } catch (e) {
    if (e instanceof UsageError) return usage(bare(e));
    io.stderr.write(`evaltrack ${command.name}: ${bare(e)}\n`);
    if (e instanceof ExitError) return e.exitCode;
    return e instanceof NoStoreError ? 2 : 1;
  } finally {
    await tracker?.close();
  }
}
