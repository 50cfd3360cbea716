/**
 * What every part of the JSON Lines store shares: the folder, its files per project
 * (`<project>.results.jsonl`, the truth, and `<project>.leaderboard.json`, derived from it), the
 * folder's lock, the tracker's rules and where damage reports go.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreRules } from '../../tracker/result-store.js';
import { errnoOf } from '../fs/errno.js';
import { withFileLock } from '../fs/file-lock.js';

/** Reports damage found in a results file (a torn or malformed line) and what was done about it. */
export type WarningHandler = (message: string, code: string) => void;

const RESULTS_SUFFIX = '.results.jsonl';

/** The files of one project in the folder. */
export interface ProjectFiles {
  readonly projectName: string;
  readonly resultsPath: string;
  readonly statePath: string;
}

/** One store's view of its folder; see {@link jsonlFolder}. */
export interface JsonlFolder {
  readonly dir: string;
  readonly lockPath: string;
  readonly rules: StoreRules;
  readonly warn: WarningHandler;
  /** The files of `projectName` (which need not exist yet). */
  project(projectName: string): ProjectFiles;
  /** The projects that have a results file here, by file name. */
  projects(): ProjectFiles[];
  /** Runs `fn` holding the folder's lock (creating the folder), waiting up to the store's timeout. */
  locked<T>(fn: () => T): T;
  /** Warns once per `key` (reads come often; a damaged line is said once). */
  warnOnce(key: string, message: string, code: string): void;
}

/**
 * A project name as a file name: percent-encoded, so that any name (slashes, dots, unicode) maps
 * to one file name and back.
 */
const fileStem = (projectName: string): string =>
  encodeURIComponent(projectName).replace(/[.*!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);

/** Whether `dir` holds the results file of any project. */
export function holdsResults(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => n.endsWith(RESULTS_SUFFIX));
  } catch {
    return false;
  }
}

/** The folder `dir` as a store with these rules sees it. */
export function jsonlFolder(
  dir: string,
  rules: StoreRules,
  warn: WarningHandler,
  lockTimeoutMs: number,
): JsonlFolder {
  const lockPath = join(dir, '.evaltrack-jsonl.lock');
  const reported = new Set<string>();
  const project = (projectName: string): ProjectFiles => {
    const stem = fileStem(projectName);
    return {
      projectName,
      resultsPath: join(dir, `${stem}${RESULTS_SUFFIX}`),
      statePath: join(dir, `${stem}.leaderboard.json`),
    };
  };
  return {
    dir,
    lockPath,
    rules,
    warn,
    project,
    projects: () => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (e) {
        if (errnoOf(e) === 'ENOENT') return [];
        throw e;
      }
      return names
        .filter((n) => n.endsWith(RESULTS_SUFFIX))
        .sort()
        .flatMap((n) => {
          try {
            return [project(decodeURIComponent(n.slice(0, -RESULTS_SUFFIX.length)))];
          } catch {
            return []; // not a name this store made
          }
        });
    },
    locked: (fn) => {
      mkdirSync(dir, { recursive: true });
      return withFileLock(lockPath, fn, lockTimeoutMs);
    },
    warnOnce: (key, message, code) => {
      if (reported.has(key)) return;
      reported.add(key);
      warn(message, code);
    },
  };
}
