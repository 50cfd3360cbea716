/**
 * What every part of the CSV store shares: the folder's files, the tracker's rules, where damage
 * reports go, and the folder's lock.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreRules } from '../../tracker/result-store.js';
import { withFileLock } from '../fs/file-lock.js';
import { DamageReports } from './damage-reports.js';
import type { WarningHandler } from './damage-reports.js';

/** One store's view of its folder; see {@link csvFolder}. */
export interface CsvFolder {
  readonly dir: string;
  readonly resultsPath: string;
  readonly leaderboardPath: string;
  readonly statePath: string;
  /** The index of the results file (`results-index.ts`): a cache, rebuilt whenever it does not match. */
  readonly indexPath: string;
  readonly lockPath: string;
  /** The tracker's rules: folding results into runs, column kinds and order. */
  readonly rules: StoreRules;
  readonly warn: WarningHandler;
  readonly damage: DamageReports;
  /** Runs `fn` holding the folder's lock (creating the folder), waiting up to the store's timeout. */
  locked<T>(fn: () => T): T;
}

/** The folder `dir` as a store with these rules sees it. */
export function csvFolder(
  dir: string,
  rules: StoreRules,
  warn: WarningHandler,
  lockTimeoutMs: number,
): CsvFolder {
  const resultsPath = join(dir, 'experiment_results.csv');
  const lockPath = join(dir, '.evaltrack.lock');
  return {
    dir,
    resultsPath,
    leaderboardPath: join(dir, 'leaderboard.csv'),
    statePath: join(dir, '.evaltrack-state.json'),
    indexPath: join(dir, '.evaltrack-index.jsonl'),
    lockPath,
    rules,
    warn,
    damage: new DamageReports(resultsPath, warn),
    locked: (fn) => {
      mkdirSync(dir, { recursive: true });
      return withFileLock(lockPath, fn, lockTimeoutMs);
    },
  };
}
