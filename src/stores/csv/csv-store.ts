/**
 * The CSV store: `experiment_results.csv` and `leaderboard.csv` in one folder, as gllm-evals writes
 * them, safe for several processes at once. This class composes the parts, each in a module of its
 * own:
 *
 * - Appending (`results-appender.ts`): each call writes its rows with one `write()` on an
 *   `O_APPEND` descriptor, so rows of concurrent writers never interleave, and nothing is locked
 *   per row; a write that fails part-way is cut back off the file.
 * - Rewriting (`header-rewrite.ts`: a new metric column, or setting aside a torn record): under
 *   the folder's lock, the file is copied with the new header and renamed over the old one. A
 *   writer that appended to the old file meanwhile sees it replaced right after its write, and
 *   under the lock appends again whichever of its rows the copy missed.
 * - The leaderboard is derived (`leaderboard-snapshot.ts`, `leaderboard-keeper.ts`): exact
 *   aggregates plus the file offset they cover are kept in `.evaltrack-state.json`; whatever lies
 *   past that offset is folded in on read, so a writer killed before refreshing the leaderboard
 *   loses nothing. A process folds its own rows from memory when it knows exactly where they
 *   landed, and parses only rows of others.
 * - Reading a run (`run-reader.ts`) through the index (`results-index.ts`, `scan-runs.ts`): the
 *   byte ranges of the run's records, plus a scan of whatever the index does not cover yet, which
 *   the reader then indexes; and damage reports (`damage-reports.ts`).
 *
 * The file primitives (lock, atomic write, torn tails, cut-back) are in `../fs/`, for any store
 * kept in files.
 */
import type {
  OutcomeRow,
  PreparedResult,
  ResultStore,
  RunPatch,
} from '../../tracker/result-store.js';
import type { ResultRecord, RunSummary } from '../../types.js';
import { filesMarker } from '../fs/files-marker.js';
import { csvFolder } from './csv-folder.js';
import type { StoreRules } from '../../tracker/result-store.js';
import type { CsvFolder } from './csv-folder.js';
import type { WarningHandler } from './damage-reports.js';
import { recoverRewrites } from './header-rewrite.js';
import { LeaderboardKeeper } from './leaderboard-keeper.js';
import { ResultsAppender } from './results-appender.js';
import { readHeaderAt } from './results-file.js';
import { readRunRecords } from './run-reader.js';
import { readOutcomeRows, readSampleRecords } from './sample-reader.js';

export type { WarningHandler } from './damage-reports.js';

/** Options of {@link CsvStore}. */
export interface CsvStoreOptions {
  /** The folder of `experiment_results.csv` and `leaderboard.csv`; created when missing. */
  outputDir: string;
  /** The tracker's rules (folding results into runs, column kinds and order). */
  rules: StoreRules;
  /** Where damage reports go. @default process.emitWarning */
  onWarning?: WarningHandler;
  /** How long to wait for another process's lock. @default 60000 */
  lockTimeoutMs?: number;
}

/** A store over the two CSV files of gllm-evals. Used by `CSVExperimentTracker`. */
export class CsvStore implements ResultStore {
  readonly resultsPath: string;
  readonly leaderboardPath: string;
  readonly statePath: string;
  readonly lockPath: string;

  readonly #folder: CsvFolder;
  readonly #appender: ResultsAppender;
  readonly #leaderboard: LeaderboardKeeper;

  constructor(options: CsvStoreOptions) {
    const warn: WarningHandler =
      options.onWarning ??
      ((message, code) => process.emitWarning(message, { code, type: 'EvaltrackWarning' }));
    const folder = csvFolder(
      options.outputDir,
      options.rules,
      warn,
      options.lockTimeoutMs ?? 60_000,
    );
    this.#folder = folder;
    this.resultsPath = folder.resultsPath;
    this.leaderboardPath = folder.leaderboardPath;
    this.statePath = folder.statePath;
    this.lockPath = folder.lockPath;
    this.#appender = new ResultsAppender(folder);
    this.#leaderboard = new LeaderboardKeeper(folder, this.#appender);
  }

  append(results: readonly PreparedResult[]): void {
    if (results.length === 0) return;
    this.#appender.append(results);
    this.#leaderboard.appended();
  }

  patchRun(runId: string, patch: RunPatch): void {
    this.#leaderboard.patchRun(runId, patch);
  }

  /**
   * Saves the aggregates and run changes. When only the derived leaderboard could not be
   * refreshed, that is a warning; unsaved run context rejects with `UnstoredResultsError`, unless
   * this call wrote results (see `LeaderboardKeeper.sync`).
   */
  async sync(): Promise<void> {
    this.#leaderboard.sync();
  }

  async listRuns(): Promise<RunSummary[]> {
    return this.#leaderboard.listRuns();
  }

  /**
   * A `stat` of the results file (every result, appended or rewritten), leaderboard.csv and the
   * aggregates file (run changes: context, summaries, rewritten under the lock).
   */
  async changeMarker(): Promise<string> {
    return filesMarker([this.resultsPath, this.leaderboardPath, this.statePath]);
  }

  readRun(runId: string): AsyncGenerator<ResultRecord> {
    return readRunRecords(this.#folder, runId, this.#folder.damage);
  }

  /** One streaming pass over the results file (every run: the tracker reads the sample once). */
  readSample(
    sampleId: string,
    options: { datasetName?: string } = {},
  ): AsyncGenerator<ResultRecord> {
    return readSampleRecords(this.resultsPath, sampleId, options.datasetName, this.#folder.damage);
  }

  /** The records of `runIds` through the index, decoding only theirs. */
  readOutcomes(runIds: readonly string[], columns: readonly string[]): AsyncGenerator<OutcomeRow> {
    return readOutcomeRows(this.#folder, runIds, columns, this.#folder.damage);
  }

  locations(): { results: string; leaderboard: string } {
    return { results: this.resultsPath, leaderboard: this.leaderboardPath };
  }

  /** Syncs and closes; rejects with `UnstoredResultsError` naming any run change not stored. */
  async close(): Promise<void> {
    try {
      this.#leaderboard.syncOrThrow(true);
    } finally {
      this.#appender.close();
    }
  }

  /**
   * Rewrites the results file and refolds the leaderboard from it (runs keep their context and
   * summaries); damaged records are set aside to `experiment_results.csv.corrupt-<time>`.
   */
  async rebuild(): Promise<{ setAside: number }> {
    if (!readHeaderAt(this.resultsPath)) return { setAside: 0 };
    return this.#folder.locked(() => {
      recoverRewrites(this.#folder);
      this.#appender.reopen();
      return { setAside: this.#appender.rewrite([]) };
    });
  }
}
