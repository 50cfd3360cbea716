/**
 * Keeping `leaderboard.csv` and the aggregates behind it current: the run changes not saved yet,
 * when to save, and what a save that fails means for the caller. The results file is the truth;
 * the leaderboard is derived, so failing to refresh it is a warning, while run changes (context,
 * summaries) exist nowhere else and are kept until a save succeeds.
 */
import { unstoredRunChanges } from '../fs/unstored-run-changes.js';
import { LockTimeoutError } from '../../errors.js';
import type { RunPatch } from '../../tracker/result-store.js';
import { toRunSummary } from '../../tracker/run-aggregate.js';
import type { RunSummary } from '../../types.js';
import { errnoOf } from '../fs/errno.js';
import { withFileLock } from '../fs/file-lock.js';
import type { CsvFolder } from './csv-folder.js';
import { leaderboardDiffers, saveLeaderboard } from './leaderboard-file.js';
import { takeSnapshot } from './leaderboard-snapshot.js';
import type { Snapshot } from './leaderboard-snapshot.js';
import type { ResultsAppender } from './results-appender.js';

/** The leaderboard of one store, and the run changes it has not saved yet. */
export class LeaderboardKeeper {
  readonly #folder: CsvFolder;
  readonly #appender: ResultsAppender;
  readonly #patches: [string, RunPatch][] = [];
  #dirty = false;
  /** Whether results were written since the last `sync()`. */
  #appendedSinceSync = false;
  /** When leaderboard.csv was last rewritten by this store. */
  #persistedAt = Date.now();

  constructor(folder: CsvFolder, appender: ResultsAppender) {
    this.#folder = folder;
    this.#appender = appender;
  }

  /** Notes that results were appended; refreshes leaderboard.csv now and then, without waiting. */
  appended(): void {
    this.#dirty = true;
    this.#appendedSinceSync = true;
    // Keep leaderboard.csv current for other readers while log() runs on, without waiting.
    if (Date.now() - this.#persistedAt > 2000) this.#tryPersist();
  }

  /** Keeps a run change until the next save. */
  patchRun(runId: string, patch: RunPatch): void {
    this.#patches.push([runId, patch]);
    this.#dirty = true;
  }

  /** The runs now; rebuilds leaderboard.csv when it is missing or stale, if it can. */
  listRuns(): RunSummary[] {
    const snap = this.#snapshot();
    const runs = [...snap.runs.values()].map(toRunSummary);
    // leaderboard.csv is for other readers (pandas, Python): rebuild it when it is missing or
    // says something else (a writer was killed before refreshing it), if this folder can be
    // written and nobody holds the lock; a folder that cannot be is read as it is.
    if (snap.folded && leaderboardDiffers(this.#folder.leaderboardPath, runs)) this.#tryPersist();
    return runs;
  }

  /**
   * Saves the aggregates and run changes. Results are in the results file already: when only the
   * derived leaderboard could not be refreshed (the lock held too long, a read-only folder), that
   * is a warning, as reads fold what it lacks, and failing would make a caller store them twice.
   * Run context exists nowhere else: when it cannot be saved, this throws
   * `UnstoredResultsError` and keeps it for the next call, unless this call wrote results. A
   * summary evaluators' result is kept the same way, with a warning; closing throws for both.
   */
  sync(): void {
    // A call that wrote results (logBatch, alog) resolves: they are stored, and rejecting would
    // make its caller store them twice. Context still unsaved then waits for the next call.
    const wroteResults = this.#appendedSinceSync;
    this.#appendedSinceSync = false;
    this.syncOrThrow(false, wroteResults);
  }

  /** Saves if anything changed; see {@link LeaderboardKeeper.sync} for what a failure throws. */
  syncOrThrow(closing: boolean, wroteResults = false): void {
    if (!this.#dirty) return;
    const dir = this.#folder.dir;
    try {
      this.#folder.locked(() => this.#persist());
    } catch (e) {
      const why = (e as Error).message.replace(/^\[evaltrack\] /, '');
      const given = wroteResults ? [] : this.#patches.filter(([, p]) => p.context !== undefined);
      if (given.length > 0 || (closing && this.#patches.length > 0))
        throw unstoredRunChanges(dir, closing ? this.#patches : given, closing, e);
      this.#folder.warn(
        `leaderboard.csv in ${dir} was not refreshed: ${why}; the results are stored, ` +
          `and ${this.#patches.length > 0 ? 'the run summary is kept and ' : ''}the leaderboard is refreshed by the next call that can`,
        'EVALTRACK_LEADERBOARD_STALE',
      );
    }
  }

  #snapshot(): Snapshot {
    return takeSnapshot(this.#folder, this.#appender.ownRows, this.#patches);
  }

  /** Saves the aggregates and rewrites leaderboard.csv (caller holds the lock). */
  #persist(): void {
    const snap = this.#snapshot();
    saveLeaderboard(this.#folder, {
      version: 3,
      results: snap.folded,
      runs: [...snap.runs.values()],
    });
    this.#patches.length = 0;
    if (snap.folded) this.#appender.forgetFolded(snap.folded);
    this.#dirty = false;
    this.#persistedAt = Date.now();
  }

  /**
   * {@link LeaderboardKeeper.#persist} if the lock is free and the folder writable. Otherwise
   * nothing: the results are stored, and leaderboard.csv is a copy that a later call refreshes.
   */
  #tryPersist(): void {
    try {
      withFileLock(this.#folder.lockPath, () => this.#persist(), 0);
    } catch (e) {
      const code = errnoOf((e as { cause?: unknown }).cause) ?? errnoOf(e);
      if (e instanceof LockTimeoutError || ['EACCES', 'EPERM', 'EROFS'].includes(code ?? ''))
        return;
      this.#folder.warn(
        `leaderboard.csv in ${this.#folder.dir} was not refreshed: ${(e as Error).message}`,
        'EVALTRACK_LEADERBOARD_STALE',
      );
    }
  }
}
