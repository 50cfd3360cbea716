/**
 * The SQLite store: one database file (WAL mode) holding runs and results. Every `append` is one
 * immediate transaction that inserts the results and updates their runs' aggregates, so a batch is
 * stored whole or not at all, even when the process is killed, and history never reads results.
 * Several processes may write one file: they queue on SQLite's write lock (busy timeout), and
 * immediate transactions keep read-then-write from failing with SQLITE_BUSY.
 *
 * The aggregates this connection last wrote are kept in memory, so that a `log()` into the same
 * run neither reads nor parses its row again: they are dropped the moment `PRAGMA data_version`
 * (read inside the write transaction) says another connection committed since, and whenever a
 * transaction of ours fails, so what is folded is always what the table holds.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { EvaltrackError, StoreIoError } from '../../errors.js';
import type {
  OutcomeRow,
  PreparedResult,
  ResultStore,
  RunPatch,
  StoreRules,
} from '../../tracker/result-store.js';
import { emptyAggregate, toRunSummary } from '../../tracker/run-aggregate.js';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import type { ResultRecord, RunSummary } from '../../types.js';
import {
  RESULT_COLUMNS,
  RUN_COLUMNS,
  RunRefold,
  toAggregate,
  toRecord,
  toResultRow,
  toRunRow,
} from '../sql/sql-rows.js';
import { outcomeRow, sqlitePath } from '../sql/sql-outcomes.js';
import type { SqlOutcome } from '../sql/sql-outcomes.js';
import type { FoldRow, ResultRow, RunRow } from '../sql/sql-rows.js';
import { loadBetterSqlite3 } from './load-driver.js';
import { migrate } from './sqlite-migrations.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file; its folder is created when missing. */
  file: string;
  /** The tracker's rules (folding results into runs, applying run changes). */
  rules: StoreRules;
  /**
   * `'normal'`: a committed write survives the process being killed (SQLite's WAL default).
   * `'full'`: it also survives a power cut, at about three times the cost per transaction.
   * @default 'normal'
   */
  synchronous?: 'normal' | 'full';
  /** How long a writer waits for another process's transaction. @default 60000 */
  busyTimeoutMs?: number;
}

const PAGE = 1000;
/** Runs whose aggregates stay in memory (those logged into last): a few are enough for `log()`. */
const CACHED_RUNS = 64;

/** The parameters of a read by sample: null reads every dataset, every run. */
interface SampleParams {
  sample: string;
  dataset: string | null;
  /** The run ids as a JSON array. */
  runs: string | null;
}

/** A store in one SQLite database file. Used by `SqliteExperimentTracker`. */
export class SqliteStore implements ResultStore {
  readonly file: string;
  readonly #db: BetterSqlite3.Database;
  readonly #rules: StoreRules;
  readonly #insert: BetterSqlite3.Statement<unknown[]>;
  readonly #getRun: BetterSqlite3.Statement<[string], RunRow>;
  readonly #putRun: BetterSqlite3.Statement<unknown[]>;
  readonly #dataVersion: BetterSqlite3.Statement<[], number>;
  /** Aggregates as this connection committed them, valid while data_version is {@link #seen}. */
  readonly #cached = new Map<string, RunAggregate>();
  #seen: number | undefined;
  readonly #allRuns: BetterSqlite3.Statement<[], RunRow>;
  readonly #ownChanges: BetterSqlite3.Statement<[], number>;
  readonly #one: BetterSqlite3.Statement<[string, string], ResultRow>;
  readonly #page: BetterSqlite3.Statement<[string, number, number], ResultRow & { seq: number }>;
  readonly #sample: BetterSqlite3.Statement<[SampleParams], ResultRow>;
  readonly #sampleRows: BetterSqlite3.Statement<[SampleParams], SqlOutcome>;
  readonly #outcomes = new Map<string, BetterSqlite3.Statement<string[], SqlOutcome>>();
  readonly #appendTx: (results: readonly PreparedResult[]) => void;
  readonly #patchTx: (runId: string, patch: RunPatch) => void;

  constructor(options: SqliteStoreOptions) {
    const Database = loadBetterSqlite3();
    this.file = options.file;
    this.#rules = options.rules;
    let db: BetterSqlite3.Database | undefined;
    try {
      mkdirSync(dirname(options.file), { recursive: true });
      db = new Database(options.file, { timeout: options.busyTimeoutMs ?? 60_000 });
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      migrate(db, options.file);
    } catch (e) {
      // Not left open (with its -wal and -shm files) until garbage collection.
      db?.close();
      if (e instanceof EvaltrackError) throw e;
      throw new StoreIoError(`cannot open the SQLite database ${options.file}`, e);
    }
    this.#db = db;
    // Only the results not stored yet count: copying a result twice changes nothing.
    // Parameters by position: binding them by name costs a few microseconds more per log().
    this.#insert = db.prepare(`INSERT OR IGNORE INTO results (${RESULT_COLUMNS.join(', ')})
      VALUES (${RESULT_COLUMNS.map(() => '?').join(', ')})`);
    this.#getRun = db.prepare<[string], RunRow>('SELECT * FROM runs WHERE run_id = ?');
    // An upsert, not INSERT OR REPLACE: the row keeps its rowid, so the index on run_id is left
    // alone and a log() commits one page fewer.
    this.#putRun = db.prepare(`INSERT INTO runs (${RUN_COLUMNS.join(', ')})
      VALUES (${RUN_COLUMNS.map(() => '?').join(', ')})
      ON CONFLICT (run_id) DO UPDATE SET ${RUN_COLUMNS.filter((c) => c !== 'run_id')
        .map((c) => `${c} = excluded.${c}`)
        .join(', ')}`);
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#allRuns = db.prepare<[], RunRow>('SELECT * FROM runs');
    this.#ownChanges = db.prepare<[], number>('SELECT total_changes()').pluck();
    this.#one = db.prepare<[string, string], ResultRow>(
      'SELECT * FROM results WHERE result_id = ? AND run_id = ?',
    );
    this.#page = db.prepare<[string, number, number], ResultRow & { seq: number }>(
      'SELECT * FROM results WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );

    // Through the index by sample (sample_id, run_id; the rowid, seq, last), in its order.
    const bySample = `FROM results WHERE sample_id = @sample
      AND (@dataset IS NULL OR dataset_name = @dataset)`;
    this.#sample = db.prepare<[SampleParams], ResultRow>(
      `SELECT * ${bySample}
        AND (@runs IS NULL OR run_id IN (SELECT value FROM json_each(@runs))) ORDER BY run_id, seq`,
    );
    this.#sampleRows = db.prepare<[SampleParams], SqlOutcome>(
      `SELECT run_id, dataset_name, sample_id, json_extract(measures, '$.trial') AS trial,
        score_values ${bySample} ORDER BY run_id, seq`,
    );

    const appendTx = db.transaction((results: readonly PreparedResult[]) => {
      // Inside the write lock: no other connection can commit until this transaction ends.
      const version = this.#dataVersion.get();
      if (version !== this.#seen) {
        this.#cached.clear();
        this.#seen = version;
      }
      const runs = new Map<string, RunAggregate | undefined>();
      for (const r of results) {
        if (!runs.has(r.runId)) runs.set(r.runId, this.#runAggregate(r.runId));
        const row = toResultRow(r);
        const inserted = this.#insert.run(RESULT_COLUMNS.map((c) => row[c]));
        if (inserted.changes === 0) continue;
        runs.set(r.runId, this.#rules.fold(runs.get(r.runId), r));
      }
      for (const run of runs.values()) if (run) this.#writeRun(run);
      return runs;
    });
    this.#appendTx = (results) => {
      let runs: Map<string, RunAggregate | undefined>;
      try {
        runs = appendTx.immediate(results);
      } catch (e) {
        // Rolled back, but the folds may have changed cached aggregates: read them again.
        this.#cached.clear();
        throw e;
      }
      for (const [runId, run] of runs) {
        if (!run) continue;
        this.#cached.delete(runId);
        this.#cached.set(runId, run);
      }
      for (const runId of this.#cached.keys()) {
        if (this.#cached.size <= CACHED_RUNS) break;
        this.#cached.delete(runId);
      }
    };

    const patchTx = db.transaction((runId: string, patch: RunPatch) => {
      this.#cached.delete(runId);
      const row = this.#getRun.get(runId);
      const run = row
        ? toAggregate(row)
        : emptyAggregate(runId, patch.datasetName, patch.projectName);
      this.#rules.applyPatch(run, patch);
      this.#writeRun(run);
    });
    this.#patchTx = (runId, patch) => patchTx.immediate(runId, patch);
  }

  append(results: readonly PreparedResult[]): void {
    if (results.length === 0) return;
    this.#guard(() => this.#appendTx(results));
  }

  patchRun(runId: string, patch: RunPatch): void {
    this.#guard(() => this.#patchTx(runId, patch));
  }

  /** Every append and patch is committed when it returns: nothing is pending. */
  async sync(): Promise<void> {}

  /**
   * `PRAGMA data_version` (changes when another connection, of any process, commits) and this
   * connection's own `total_changes()`: two reads of SQLite's memory, no table read.
   */
  async changeMarker(): Promise<string> {
    return `${this.#dataVersion.get()}:${this.#ownChanges.get()}`;
  }

  async listRuns(): Promise<RunSummary[]> {
    return this.#guard(() => this.#allRuns.all().map((row) => toRunSummary(toAggregate(row))));
  }

  async *readRun(runId: string): AsyncGenerator<ResultRecord> {
    // Page by page, so that no statement stays open while the caller logs between pages.
    let after = 0;
    for (;;) {
      const rows = this.#guard(() => this.#page.all(runId, after, PAGE));
      for (const row of rows) yield toRecord(row);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]?.seq ?? after;
    }
  }

  async readResult(runId: string, resultId: string): Promise<ResultRecord | null> {
    const row = this.#guard(() => this.#one.get(resultId, runId));
    return row ? toRecord(row) : null;
  }

  async *readSample(
    sampleId: string,
    options: { datasetName?: string; runIds?: readonly string[] } = {},
  ): AsyncGenerator<ResultRecord> {
    const params: SampleParams = {
      sample: sampleId,
      dataset: options.datasetName ?? null,
      runs: options.runIds ? JSON.stringify(options.runIds) : null,
    };
    const rows = this.#guard(() => this.#sample.all(params));
    for (const row of rows) yield toRecord(row);
  }

  async *readSampleOutcomes(sampleId: string, datasetName?: string): AsyncGenerator<OutcomeRow> {
    const params = { sample: sampleId, dataset: datasetName ?? null, runs: null };
    const rows = this.#guard(() => this.#sampleRows.all(params));
    for (const row of rows) yield outcomeRow(row, null, false);
  }

  /**
   * Run by run, through the index by run; the values asked for are taken out of each result's
   * values by SQLite (`json_extract`), so no JSON of a result is parsed here.
   */
  async *readOutcomes(
    runIds: readonly string[],
    columns: readonly string[],
  ): AsyncGenerator<OutcomeRow> {
    const paths = columns.map(sqlitePath);
    const params = paths.flatMap((p) => (p === null ? [] : [p]));
    const exact = params.length === paths.length;
    const statement = this.#outcomeStatement(exact ? columns.length : -1);
    if (!exact) params.length = 0;
    for (const runId of runIds) {
      const rows = this.#guard(() => statement.all(...params, runId));
      for (const row of rows) yield outcomeRow(row, columns, false);
    }
  }

  /** Refolds every run's aggregates from its results, in logging order (context kept). */
  async rebuild(): Promise<{ setAside: number }> {
    const db = this.#db;
    const refold = db.transaction(() => {
      const before = new Map(this.#allRuns.all().map((row) => [row.run_id, toAggregate(row)]));
      const runs = new RunRefold(before, this.#rules);
      const rows = db
        .prepare<[], FoldRow>(
          'SELECT run_id, dataset_name, project_name, timestamp, evaluator_name, model_name, score_values, measures FROM results ORDER BY seq',
        )
        .iterate();
      for (const row of rows) runs.add(row);
      for (const run of runs.finish()) this.#writeRun(run);
    });
    this.#cached.clear();
    this.#guard(() => refold.immediate());
    return { setAside: 0 };
  }

  locations(): { results: string; leaderboard: string } {
    return { results: this.file, leaderboard: this.file };
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  #writeRun(run: RunAggregate): void {
    const row = toRunRow(run);
    this.#putRun.run(RUN_COLUMNS.map((c) => row[c]));
  }

  /** A run's aggregate, from memory when still current, else from its row; undefined when new. */
  #runAggregate(runId: string): RunAggregate | undefined {
    const cached = this.#cached.get(runId);
    if (cached) return cached;
    const row = this.#getRun.get(runId);
    return row && toAggregate(row);
  }

  /** The narrow read of `columns` values by path, or of the whole values when `columns` is -1. */
  #outcomeStatement(columns: number): BetterSqlite3.Statement<string[], SqlOutcome> {
    const key = String(columns);
    let statement = this.#outcomes.get(key);
    if (!statement) {
      const values =
        columns === -1
          ? ['score_values']
          : Array.from({ length: columns }, (_, i) => `json_extract(score_values, ?) AS v${i}`);
      statement = this.#db.prepare<string[], SqlOutcome>(
        `SELECT run_id, dataset_name, sample_id, json_extract(measures, '$.trial') AS trial, ${values.join(', ')}
         FROM results WHERE run_id = ? ORDER BY seq`,
      );
      this.#outcomes.set(key, statement);
    }
    return statement;
  }

  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof EvaltrackError) throw e;
      throw new StoreIoError(`SQLite database ${this.file}: ${(e as Error).message}`, e);
    }
  }
}
