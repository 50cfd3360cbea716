/**
 * The package's version and the words that ask for it: shared by `runCli` and by `bin.ts`, which
 * answers them before loading the command line (the answer then costs Node's start and one read).
 */
import { readFileSync } from 'node:fs';

/** The package's version, as `--version` prints it. */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Whether the command line's first word asks for the version. */
export const asksVersion = (word: string | undefined): boolean =>
  word === '--version' || word === '-V' || word === 'version';
