/**
 * The schema of the SQLite store, as numbered migrations. Each runs once, in its own immediate
 * transaction, and is recorded in `schema_migrations`; a migration that fails rolls back whole and
 * throws. Add new ones at the end, never edit an applied one.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { StoreIoError } from '../../errors.js';
import { asScore } from '../../tracker/run-aggregate.js';
import type { FlatValue } from '../../types.js';

interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Data changes SQL alone cannot make, run after `sql` in the same transaction. */
  up?: (db: BetterSqlite3.Database) => void;
}

/** Fills the score spread of runs stored before migration 2, from their results. */
function fillScoreSpread(db: BetterSqlite3.Database): void {
  const runs = db
    .prepare<[], { run_id: string; score_column: string }>(
      'SELECT run_id, score_column FROM runs WHERE score_column IS NOT NULL',
    )
    .all();
  const values = db
    .prepare<[string], string>('SELECT score_values FROM results WHERE run_id = ?')
    .pluck();
  const update = db.prepare(
    'UPDATE runs SET score_sum_sq = ?, score_pass_fail_count = ? WHERE run_id = ?',
  );
  for (const run of runs) {
    let sumSq = 0;
    let passFail = 0;
    for (const json of values.iterate(run.run_id)) {
      const score = asScore((JSON.parse(json) as Record<string, FlatValue>)[run.score_column]);
      if (score === undefined) continue;
      sumSq += score * score;
      if (score === 0 || score === 1) passFail++;
    }
    update.run(sumSq, passFail, run.run_id);
  }
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, results and their score values',
    sql: `
      -- One row per run: the leaderboard, with the exact sums it is computed from, kept up to
      -- date in the same transaction as the results, so history never reads results.
      CREATE TABLE runs (
        run_id          TEXT PRIMARY KEY NOT NULL,
        dataset_name    TEXT NOT NULL,
        project_name    TEXT,
        evaluator_name  TEXT NOT NULL,
        model_name      TEXT NOT NULL,
        score_column    TEXT,
        total_data      INTEGER NOT NULL,
        scored_count    INTEGER NOT NULL,
        score_sum       REAL NOT NULL,
        accuracy_total  INTEGER NOT NULL,
        accuracy_passed INTEGER NOT NULL,
        created_at      TEXT,
        updated_at      TEXT,
        context         TEXT NOT NULL,  -- JSON object, from logContext()
        summary_extra   TEXT NOT NULL   -- JSON object, from summary evaluators
      );
      CREATE INDEX runs_by_update ON runs (updated_at DESC, run_id);

      -- One row per result, in logging order (seq).
      CREATE TABLE results (
        seq               INTEGER PRIMARY KEY,
        result_id         TEXT NOT NULL UNIQUE,
        run_id            TEXT NOT NULL,
        sample_id         TEXT NOT NULL,
        dataset_name      TEXT NOT NULL,
        project_name      TEXT,
        timestamp         TEXT NOT NULL,
        evaluator_name    TEXT NOT NULL,
        model_name        TEXT NOT NULL,
        score_values      TEXT NOT NULL,  -- JSON object: column name to value, in column order
        data              TEXT NOT NULL,  -- JSON
        metadata          TEXT NOT NULL,  -- JSON
        evaluation_result TEXT            -- JSON, or NULL when not kept
      );
      CREATE INDEX results_by_run ON results (run_id, seq);
      CREATE INDEX results_by_sample ON results (sample_id, run_id);
    `,
  },
  {
    version: 2,
    name: "the spread of each run's scores, for intervals without reading results",
    sql: `
      ALTER TABLE runs ADD COLUMN score_sum_sq REAL NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN score_pass_fail_count INTEGER NOT NULL DEFAULT 0;
    `,
    up: fillScoreSpread,
  },
  {
    version: 3,
    name: 'latency, tokens and cost of each result, and their aggregates per run',
    sql: `
      ALTER TABLE results ADD COLUMN measures TEXT;  -- JSON, or NULL when not measured
      ALTER TABLE runs ADD COLUMN measures TEXT;     -- JSON aggregate, or NULL
    `,
  },
  {
    version: 4,
    name: 'no index of runs by update time: no read uses it, and every log() wrote a page of it',
    sql: `
      DROP INDEX IF EXISTS runs_by_update;
    `,
  },
];

/** Brings the database to the latest schema; safe when several processes open it at once. */
export function migrate(db: BetterSqlite3.Database, file: string): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const appliedVersions = db.prepare('SELECT version FROM schema_migrations').pluck();
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  const newest = Math.max(0, ...(appliedVersions.all() as number[]));
  if (newest > latest) {
    throw new StoreIoError(
      `${file} has schema version ${newest}, newer than this evaltrack knows (${latest}); upgrade evaltrack`,
    );
  }
  for (const m of MIGRATIONS) {
    // Checked again inside the write transaction: another process may have applied it meanwhile.
    db.transaction(() => {
      if ((appliedVersions.all() as number[]).includes(m.version)) return;
      db.exec(m.sql);
      m.up?.(db);
      record.run(m.version, m.name, new Date().toISOString());
    }).immediate();
  }
}
