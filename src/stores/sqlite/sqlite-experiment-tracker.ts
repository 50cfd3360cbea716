import { resolve } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import {
  BaseExperimentTracker,
  TRACKER_OPTION_KEYS,
} from '../../tracker/base-experiment-tracker.js';
import type { TrackerOptions } from '../../tracker/base-experiment-tracker.js';
import { checkName, checkOptions } from '../../tracker/check-input.js';
import { SqliteStore } from './sqlite-store.js';

/** Options of {@link SqliteExperimentTracker}. */
export interface SqliteTrackerOptions extends TrackerOptions {
  /**
   * The database file, created when missing. Several processes may log into it at once.
   * @default './gllm_evals/experiments/evaltrack.sqlite'
   */
  file?: string;
  /**
   * `'normal'`: a write survives the process being killed once the call returns. `'full'`: it
   * also survives a power cut, at about three times the cost per call.
   * @default 'normal'
   */
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another process's transaction. @default 60000 */
  busyTimeoutMs?: number;
}

const SQLITE_OPTION_KEYS = [
  ...TRACKER_OPTION_KEYS,
  'file',
  'synchronous',
  'busyTimeoutMs',
] as const;

/**
 * The tracker contract over an embedded SQLite database (better-sqlite3, WAL mode): the same
 * results and leaderboard as the CSV tracker, with a run's results and the history answered from
 * indexes in milliseconds at millions of results.
 *
 * ```ts
 * import { SqliteExperimentTracker } from 'evaltrack/sqlite';
 *
 * const tracker = new SqliteExperimentTracker('support-bot', { file: './evals.sqlite' });
 * tracker.log(result, 'faq', sample);
 * console.log(await tracker.getExperimentHistory());
 * await tracker.close();
 * ```
 */
export class SqliteExperimentTracker extends BaseExperimentTracker {
  /** The database file, as an absolute path. */
  readonly file: string;

  constructor(projectName: string, options?: SqliteTrackerOptions) {
    const opts = checkOptions(options, SQLITE_OPTION_KEYS, 'options');
    const file = resolve(
      checkName(opts.file ?? './gllm_evals/experiments/evaltrack.sqlite', 'options.file'),
    );
    const { file: _file, synchronous, busyTimeoutMs, ...trackerOptions } = opts;
    if (synchronous !== undefined && synchronous !== 'normal' && synchronous !== 'full') {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `options.synchronous must be 'normal' or 'full', got ${JSON.stringify(synchronous)}`,
      );
    }
    super(projectName, {
      ...trackerOptions,
      store: (rules) =>
        new SqliteStore({
          file,
          rules,
          ...(synchronous ? { synchronous } : {}),
          ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}),
        }),
    });
    this.file = file;
  }
}
