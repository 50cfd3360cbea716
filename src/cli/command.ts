/** What every command of the command line is made of: its streams, its context, its errors. */
import type { ParseArgsConfig } from 'node:util';
import { EvaltrackError } from '../errors.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { Style } from './render.js';

/** Where a command reads and writes. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  /** Errors and progress; a progress bar when it is a terminal. */
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  isTTY: boolean;
  /** Ends long-running commands (`ui`): bin.ts aborts it on Ctrl+C. */
  signal?: AbortSignal;
  /** Opens a URL in the user's browser (`ui --open`). */
  openUrl?: (url: string) => void;
  /** Silences warnings about damaged records (`--quiet`): bin.ts prints them as one line each. */
  quiet?: () => void;
}

/** A usage error: exit code 2, with the command's usage. */
export class UsageError extends EvaltrackError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message);
  }
}

/** What a command runs with: its parsed arguments, streams and the store. */
export interface Context {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  io: CliIo;
  style: Style;
  json: boolean;
  tracker: BaseExperimentTracker;
}

/** A command, as data: its name, options and help, and what it does (its other names are in run-cli.ts). */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  example: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments it takes; more is a usage error. @default [0, 0] */
  args?: readonly [min: number, max: number];
  /**
   * What it does with `--store`: reads it (a missing store is an error, nothing is created, the
   * default), creates it when missing (`import`), or does not use it (`copy` names its own).
   */
  store?: 'read' | 'create' | 'none';
  run(ctx: Context): Promise<number>;
}

/**
 * A command that cannot do what it was asked, reported as one line without the usage: exit code
 * 2 when the command line asks for something refused before anything is read or written (an
 * existing output without `--force`, a missing source), 1 when the work itself failed.
 */
export class ExitError extends EvaltrackError {
  constructor(
    readonly exitCode: 1 | 2,
    message: string,
  ) {
    super('E_INVALID_ARGUMENT', message);
  }
}

/** Drops the prefix every EvaltrackError message has: the command line names itself once. */
export const bare = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).replace(/^\[evaltrack\] /, '');
