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
import type { PreparedResult, ResultStore, RunPatch } from '../../tracker/result-store.js';
import {
  applyPatch,
  emptyAggregate,
  foldResult,
  toRunSummary,
} from '../../tracker/run-aggregate.js';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import type { FlatValue, ResultRecord, RunSummary } from '../../types.js';
import { loadBetterSqlite3 } from './load-driver.js';
import { migrate } from './sqlite-migrations.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file; its folder is created when missing. */
  file: string;
  /** The column the leaderboard ranks by (see `leaderboardScoreKey`). */
  leaderboardScoreKey: string;
  /**
   * `'normal'`: a committed write survives the process being killed (SQLite's WAL default).
   * `'full'`: it also survives a power cut, at about three times the cost per transaction.
   * @default 'normal'
   */
  synchronous?: 'normal' | 'full';
  /** How long a writer waits for another process's transaction. @default 60000 */
  busyTimeoutMs?: number;
}

interface RunRow {
  run_id: string;
  dataset_name: string;
  project_name: string | null;
  evaluator_name: string;
  model_name: string;
  score_column: string | null;
  total_data: number;
  scored_count: number;
  score_sum: number;
  score_sum_sq: number;
  score_pass_fail_count: number;
  accuracy_total: number;
  accuracy_passed: number;
  created_at: string | null;
  updated_at: string | null;
  context: string;
  summary_extra: string;
}

interface ResultRow {
  seq: number;
  result_id: string;
  run_id: string;
  sample_id: string;
  dataset_name: string;
  timestamp: string;
  evaluator_name: string;
  model_name: string;
  score_values: string;
  data: string;
  metadata: string;
  evaluation_result: string | null;
}

const toAggregate = (row: RunRow): RunAggregate => ({
  runId: row.run_id,
  datasetName: row.dataset_name,
  projectName: row.project_name,
  evaluatorName: row.evaluator_name,
  modelName: row.model_name,
  scoreColumn: row.score_column,
  totalData: row.total_data,
  scoredCount: row.scored_count,
  scoreSum: row.score_sum,
  scoreSumSq: row.score_sum_sq,
  scorePassFailCount: row.score_pass_fail_count,
  accuracyTotal: row.accuracy_total,
  accuracyPassed: row.accuracy_passed,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  context: JSON.parse(row.context) as Record<string, unknown>,
  summaryExtra: JSON.parse(row.summary_extra) as Record<string, unknown>,
});

const toRow = (a: RunAggregate): RunRow => ({
  run_id: a.runId,
  dataset_name: a.datasetName,
  project_name: a.projectName,
  evaluator_name: a.evaluatorName,
  model_name: a.modelName,
  score_column: a.scoreColumn,
  total_data: a.totalData,
  scored_count: a.scoredCount,
  score_sum: a.scoreSum,
  score_sum_sq: a.scoreSumSq,
  score_pass_fail_count: a.scorePassFailCount,
  accuracy_total: a.accuracyTotal,
  accuracy_passed: a.accuracyPassed,
  created_at: a.createdAt,
  updated_at: a.updatedAt,
  context: JSON.stringify(a.context),
  summary_extra: JSON.stringify(a.summaryExtra),
});

const toRecord = (row: ResultRow): ResultRecord => ({
  resultId: row.result_id,
  sampleId: row.sample_id,
  runId: row.run_id,
  datasetName: row.dataset_name,
  timestamp: row.timestamp,
  evaluatorName: row.evaluator_name,
  modelName: row.model_name,
  values: JSON.parse(row.score_values) as Record<string, FlatValue>,
  data: JSON.parse(row.data) as Record<string, unknown>,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  evaluationResult:
    row.evaluation_result === null
      ? null
      : (JSON.parse(row.evaluation_result) as Record<string, unknown>),
});

const PAGE = 1000;

/** A store in one SQLite database file. Used by `SqliteExperimentTracker`. */
export class SqliteStore implements ResultStore {
  readonly file: string;
  readonly #db: BetterSqlite3.Database;
  readonly #key: string;
  readonly #insert: BetterSqlite3.Statement;
  readonly #getRun: BetterSqlite3.Statement<[string], RunRow>;
  readonly #putRun: BetterSqlite3.Statement;
  readonly #allRuns: BetterSqlite3.Statement<[], RunRow>;
  readonly #page: BetterSqlite3.Statement<[string, number, number], ResultRow>;
  readonly #appendTx: (results: readonly PreparedResult[]) => void;
  readonly #patchTx: (runId: string, patch: RunPatch) => void;

  constructor(options: SqliteStoreOptions) {
    const Database = loadBetterSqlite3();
    this.file = options.file;
    this.#key = options.leaderboardScoreKey;
    try {
      mkdirSync(dirname(options.file), { recursive: true });
      this.#db = new Database(options.file, { timeout: options.busyTimeoutMs ?? 60_000 });
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      migrate(this.#db, options.file);
    } catch (e) {
      if (e instanceof EvaltrackError) throw e;
      throw new StoreIoError(`cannot open the SQLite database ${options.file}`, e);
    }
    const db = this.#db;
    // Only the results not stored yet count: copying a result twice changes nothing.
    this.#insert = db.prepare(`INSERT OR IGNORE INTO results
      (result_id, run_id, sample_id, dataset_name, project_name, timestamp, evaluator_name,
       model_name, score_values, data, metadata, evaluation_result)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#getRun = db.prepare<[string], RunRow>('SELECT * FROM runs WHERE run_id = ?');
    this.#putRun = db.prepare(`INSERT OR REPLACE INTO runs (
      run_id, dataset_name, project_name, evaluator_name, model_name, score_column,
      total_data, scored_count, score_sum, score_sum_sq, score_pass_fail_count,
      accuracy_total, accuracy_passed, created_at, updated_at, context, summary_extra
    ) VALUES (
      @run_id, @dataset_name, @project_name, @evaluator_name, @model_name, @score_column,
      @total_data, @scored_count, @score_sum, @score_sum_sq, @score_pass_fail_count,
      @accuracy_total, @accuracy_passed, @created_at, @updated_at, @context, @summary_extra)`);
    this.#allRuns = db.prepare<[], RunRow>('SELECT * FROM runs');
    this.#page = db.prepare<[string, number, number], ResultRow>(
      'SELECT * FROM results WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );

    const appendTx = db.transaction((results: readonly PreparedResult[]) => {
      const runs = new Map<string, RunAggregate | undefined>();
      for (const r of results) {
        if (!runs.has(r.runId)) {
          const row = this.#getRun.get(r.runId);
          runs.set(r.runId, row && toAggregate(row));
        }
        const metadata = JSON.stringify(r.metadata);
        const values: Record<string, FlatValue> = {};
        for (const c of r.columns) values[c.name] = c.value;
        const inserted = this.#insert.run(
          r.resultId,
          r.runId,
          r.sampleId,
          r.datasetName,
          r.projectName,
          r.timestamp,
          r.evaluatorName,
          r.modelName,
          JSON.stringify(values),
          JSON.stringify(r.data),
          metadata,
          r.keepEvaluationResult ? JSON.stringify(r.evaluationResult) : null,
        );
        if (inserted.changes === 0) continue;
        runs.set(r.runId, foldResult(runs.get(r.runId), r, this.#key));
      }
      for (const run of runs.values()) if (run) this.#putRun.run(toRow(run));
    });
    this.#appendTx = (results) => appendTx.immediate(results);

    const patchTx = db.transaction((runId: string, patch: RunPatch) => {
      const row = this.#getRun.get(runId);
      const run = row
        ? toAggregate(row)
        : emptyAggregate(runId, patch.datasetName, patch.projectName);
      applyPatch(run, patch);
      this.#putRun.run(toRow(run));
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

  /** Refolds every run's aggregates from its results, in logging order (context kept). */
  async rebuild(): Promise<{ setAside: number }> {
    const db = this.#db;
    const refold = db.transaction(() => {
      const before = new Map(this.#allRuns.all().map((row) => [row.run_id, toAggregate(row)]));
      const runs = new Map<string, RunAggregate>();
      const rows = db
        .prepare<
          [],
          Omit<ResultRow, 'data' | 'metadata' | 'seq' | 'result_id' | 'sample_id'> & {
            project_name: string | null;
          }
        >(
          'SELECT run_id, dataset_name, project_name, timestamp, evaluator_name, model_name, score_values, evaluation_result FROM results ORDER BY seq',
        )
        .iterate();
      for (const row of rows) {
        let run = runs.get(row.run_id);
        if (!run) {
          run = emptyAggregate(row.run_id, row.dataset_name, row.project_name);
          run.scoreColumn = before.get(row.run_id)?.scoreColumn ?? null;
        }
        const values = JSON.parse(row.score_values) as Record<string, FlatValue>;
        runs.set(
          row.run_id,
          foldResult(
            run,
            {
              runId: row.run_id,
              datasetName: row.dataset_name,
              projectName: row.project_name,
              evaluatorName: row.evaluator_name,
              modelName: row.model_name,
              timestamp: row.timestamp,
              columns: Object.entries(values).map(([name, value]) => ({ name, value })),
            },
            this.#key,
          ),
        );
      }
      for (const [runId, run] of runs) {
        const prev = before.get(runId);
        if (prev) {
          run.context = prev.context;
          run.summaryExtra = prev.summaryExtra;
          applyPatch(run, {
            datasetName: run.datasetName,
            projectName: prev.projectName,
            ...(prev.updatedAt ? { at: prev.updatedAt } : {}),
            ...(prev.createdAt ? { createdAt: prev.createdAt } : {}),
          });
        }
        this.#putRun.run(toRow(run));
      }
    });
    this.#guard(() => refold.immediate());
    return { setAside: 0 };
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
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
