/**
 * What every part of the CSV store shares: the folder's files, the tracker's rules, where damage
 * reports go, and the folder's lock.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FlattenConfig } from '../../tracker/flatten-result.js';
import { withFileLock } from '../fs/file-lock.js';
import { DamageReports } from './damage-reports.js';
import type { WarningHandler } from './damage-reports.js';

/** The tracker's flattening and leaderboard rules (for classifying and ranking columns). */
export type CsvRules = FlattenConfig & { leaderboardScoreKey: string };

/** One store's view of its folder; see {@link csvFolder}. */
export interface CsvFolder {
  readonly dir: string;
  readonly resultsPath: string;
  readonly leaderboardPath: string;
  readonly statePath: string;
  readonly lockPath: string;
  readonly config: CsvRules;
  readonly warn: WarningHandler;
  readonly damage: DamageReports;
  /** Runs `fn` holding the folder's lock (creating the folder), waiting up to the store's timeout. */
  locked<T>(fn: () => T): T;
}

/** The folder `dir` as a store with these rules sees it. */
export function csvFolder(
  dir: string,
  config: CsvRules,
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
    lockPath,
    config,
    warn,
    damage: new DamageReports(resultsPath, warn),
    locked: (fn) => {
      mkdirSync(dir, { recursive: true });
      return withFileLock(lockPath, fn, lockTimeoutMs);
    },
  };
}
