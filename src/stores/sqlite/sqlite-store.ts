/**
 * The SQLite store: one database file (WAL mode) holding runs and results. Every `append` is one
 * immediate transaction that inserts the results and updates their runs' aggregates, so a batch is
 * stored whole or not at all, even when the process is killed, and history never reads results.
 * Several processes may write one file: they queue on SQLite's write lock (busy timeout), and
 * immediate transactions keep read-then-write from failing with SQLITE_BUSY.
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
  readonly #insert: BetterSqlite3.Statement;
  readonly #getRun: BetterSqlite3.Statement<[string], RunRow>;
  readonly #putRun: BetterSqlite3.Statement;
  readonly #allRuns: BetterSqlite3.Statement<[], RunRow>;
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
    this.#insert = db.prepare(`INSERT OR IGNORE INTO results (${RESULT_COLUMNS.join(', ')})
      VALUES (${RESULT_COLUMNS.map((c) => `@${c}`).join(', ')})`);
    this.#getRun = db.prepare<[string], RunRow>('SELECT * FROM runs WHERE run_id = ?');
    this.#putRun = db.prepare(`INSERT OR REPLACE INTO runs (${RUN_COLUMNS.join(', ')})
      VALUES (${RUN_COLUMNS.map((c) => `@${c}`).join(', ')})`);
    this.#allRuns = db.prepare<[], RunRow>('SELECT * FROM runs');
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
      const runs = new Map<string, RunAggregate | undefined>();
      for (const r of results) {
        if (!runs.has(r.runId)) {
          const row = this.#getRun.get(r.runId);
          runs.set(r.runId, row && toAggregate(row));
        }
        const inserted = this.#insert.run(toResultRow(r));
        if (inserted.changes === 0) continue;
        runs.set(r.runId, this.#rules.fold(runs.get(r.runId), r));
      }
      for (const run of runs.values()) if (run) this.#putRun.run(toRunRow(run));
    });
    this.#appendTx = (results) => appendTx.immediate(results);

    const patchTx = db.transaction((runId: string, patch: RunPatch) => {
      const row = this.#getRun.get(runId);
      const run = row
        ? toAggregate(row)
        : emptyAggregate(runId, patch.datasetName, patch.projectName);
      this.#rules.applyPatch(run, patch);
      this.#putRun.run(toRunRow(run));
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
      for (const run of runs.finish()) this.#putRun.run(toRunRow(run));
    });
    this.#guard(() => refold.immediate());
    return { setAside: 0 };
  }

  locations(): { results: string; leaderboard: string } {
    return { results: this.file, leaderboard: this.file };
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
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
