/**
 * The schema of the PostgreSQL store, as numbered migrations: the same tables as the SQLite store
 * (runs with their maintained aggregates, results in logging order). Each runs once, in its own
 * transaction, recorded in `schema_migrations`. Processes that start at once take turns on an
 * advisory lock, so a migration never runs twice. Add new ones at the end, never edit one.
 */
import type Pg from 'pg';
import { StoreIoError } from '../../errors.js';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs with their aggregates, results in logging order',
    sql: `
      -- One row per run: the leaderboard, with the exact sums it is computed from, kept up to date
      -- in the same transaction as the results, so history never reads results.
      CREATE TABLE runs (
        run_id                TEXT PRIMARY KEY,
        dataset_name          TEXT NOT NULL,
        project_name          TEXT,
        evaluator_name        TEXT NOT NULL,
        model_name            TEXT NOT NULL,
        score_column          TEXT,
        total_data            BIGINT NOT NULL,
        scored_count          BIGINT NOT NULL,
        score_sum             DOUBLE PRECISION NOT NULL,
        score_sum_sq          DOUBLE PRECISION NOT NULL,
        score_pass_fail_count BIGINT NOT NULL,
        accuracy_total        BIGINT NOT NULL,
        accuracy_passed       BIGINT NOT NULL,
        created_at            TEXT,
        updated_at            TEXT,
        context               JSON NOT NULL,
        summary_extra         JSON NOT NULL
      );
      CREATE INDEX runs_by_update ON runs (updated_at DESC, run_id);

      -- One row per result, in logging order (seq). JSON, not JSONB: kept exactly as written,
      -- key order included, and still queryable with ->>.
      CREATE TABLE results (
        seq               BIGSERIAL PRIMARY KEY,
        result_id         TEXT NOT NULL UNIQUE,
        run_id            TEXT NOT NULL,
        sample_id         TEXT NOT NULL,
        dataset_name      TEXT NOT NULL,
        project_name      TEXT,
        timestamp         TEXT NOT NULL,
        evaluator_name    TEXT NOT NULL,
        model_name        TEXT NOT NULL,
        score_values      JSON NOT NULL,
        data              JSON NOT NULL,
        metadata          JSON NOT NULL,
        evaluation_result JSON
      );
      CREATE INDEX results_by_run ON results (run_id, seq);
      CREATE INDEX results_by_sample ON results (sample_id, run_id);
    `,
  },
  {
    version: 2,
    name: 'run changes applied once by id',
    sql: `
      -- The id of every run change (logContext, summaries) applied, in the transaction that
      -- applies it: a change replayed from a local journal after its commit is not applied again.
      CREATE TABLE run_changes (
        change_id  TEXT PRIMARY KEY,
        run_id     TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 3,
    name: 'latency, tokens and cost of each result, and their aggregates per run',
    sql: `
      ALTER TABLE results ADD COLUMN measures JSON;  -- NULL when not measured
      ALTER TABLE runs ADD COLUMN measures JSON;     -- the aggregate, NULL until measured
    `,
  },
];

/**
 * Creates `schema` when missing and brings it to the latest version. Holds a session advisory
 * lock named after the schema meanwhile, so two processes starting at once take turns.
 */
export async function migrate(client: Pg.PoolClient, schema: string): Promise<void> {
  const lockKey = `evaltrack-migrate:${schema}`;
  await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
  try {
    // The name is checked against [a-z_][a-z0-9_]* by the caller: safe to quote as an identifier.
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const applied = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    const newest = Math.max(0, ...applied);
    if (newest > latest) {
      throw new StoreIoError(
        `schema ${schema} has version ${newest}, newer than this evaltrack knows (${latest}); upgrade evaltrack`,
      );
    }
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]);
  }
}
