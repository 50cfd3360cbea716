/**
 * The `evaltrack` command line, testable without a process: commands are data, `runCli` takes
 * the arguments and the streams, and returns the exit code. Only bin.ts exits.
 *
 * Exit codes: 0 done (a gate that passed); 1 a gate that failed, or an error; 2 a usage error.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type * as Registry from '../stores/registry.js';
import { ExitError, UsageError, bare } from './command.js';
import type { CliIo, Command } from './command.js';
import { didYouMean } from './run-name.js';
import { styleFor } from './render.js';
import { VERSION, asksVersion } from './version.js';

export { UsageError } from './command.js';
export type { CliIo, Command } from './command.js';

const COMMON: NonNullable<ParseArgsConfig['options']> = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

/** A command as the command line finds it: the words that name it, and its module. */
interface CommandEntry {
  words: readonly [name: string, ...aliases: string[]];
  /**
   * Loads the command's module, and with it what the command needs (statistics, reports, a
   * server): a command pays at start for its own modules only, and `--version` for none.
   */
  load(): Promise<Command>;
}

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly CommandEntry[] = [
  {
    words: ['runs', 'leaderboard'],
    load: async () => (await import('./commands/runs.js')).runsCommand,
  },
  { words: ['show'], load: async () => (await import('./commands/show.js')).showCommand },
  { words: ['compare'], load: async () => (await import('./commands/compare.js')).compareCommand },
  { words: ['gate'], load: async () => (await import('./commands/gate.js')).gateCommand },
  { words: ['report'], load: async () => (await import('./commands/report.js')).reportCommand },
  { words: ['history'], load: async () => (await import('./commands/history.js')).historyCommand },
  { words: ['flaky'], load: async () => (await import('./commands/flaky.js')).flakyCommand },
  { words: ['export'], load: async () => (await import('./commands/export.js')).exportCommand },
  { words: ['import'], load: async () => (await import('./commands/import.js')).importCommand },
  { words: ['copy'], load: async () => (await import('./commands/copy.js')).copyCommand },
  { words: ['rebuild'], load: async () => (await import('./commands/rebuild.js')).rebuildCommand },
  { words: ['ui'], load: async () => (await import('./commands/ui.js')).uiCommand },
  { words: ['pending'], load: async () => (await import('./commands/pending.js')).pendingCommand },
];

/** The stores' registry, loaded when a command opens a store (or `--help` names the default). */
const registry = (): Promise<typeof Registry> => import('../stores/registry.js');

async function help(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((c) => c.load()));
  const lines = commands.map(
    (c, i) => `  ${(COMMANDS[i]?.words ?? []).join(', ').padEnd(22)}${c.summary}`,
  );
  const { DEFAULT_STORE } = await registry();
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

const findCommand = (word: string): Promise<Command> | undefined =>
  COMMANDS.find((c) => c.words.includes(word))?.load();

const commandWords = (): string[] => COMMANDS.flatMap((c) => c.words);

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
  if (asksVersion(word)) {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (word === undefined || word === '--help' || word === '-h') {
    io.stdout.write(await help());
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
      io.stdout.write(await help());
      return 0;
    }
    const about = await findCommand(rest[0]);
    if (!about) return unknown(rest[0]);
    io.stdout.write(commandHelp(about));
    return 0;
  }
  const command = await findCommand(word);
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
  let tracker: BaseExperimentTracker | undefined;
  try {
    const mode = command.store ?? 'read';
    // Only `import` creates the store it is pointed at; reading a typo must not make a store.
    if (mode !== 'none') {
      const stores = await registry();
      const where =
        (values['store'] as string | undefined) ??
        (io.env['EVALTRACK_STORE'] || stores.DEFAULT_STORE);
      tracker = await stores.openTracker('evaltrack', { store: where, create: mode === 'create' });
    }
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
    // The registry is loaded already when it threw this (by us, or by a command that opens its own).
    return e instanceof (await registry()).NoStoreError ? 2 : 1;
  } finally {
    await tracker?.close();
  }
}
