import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { tempDir } from '../helpers/temp-dir.js';

describe('sqlite: schema and migrations', () => {
  it('records each migration once, in WAL mode, with the indexes reads rely on', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'nested', 'db.sqlite');
    await new SqliteExperimentTracker('p', { file }).close();
    await new SqliteExperimentTracker('p', { file }).close();
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT version, name FROM schema_migrations').all()).toEqual([
      { version: 1, name: 'runs, results and their score values' },
      {
        version: 2,
        name: "the spread of each run's scores, for intervals without reading results",
      },
      {
        version: 3,
        name: 'latency, tokens and cost of each result, and their aggregates per run',
      },
      {
        version: 4,
        name: 'no index of runs by update time: no read uses it, and every log() wrote a page of it',
      },
    ]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const indexes = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
      )
      .all();
    expect(indexes).toEqual([
      { name: 'results_by_run', sql: 'CREATE INDEX results_by_run ON results (run_id, seq)' },
      {
        name: 'results_by_sample',
        sql: 'CREATE INDEX results_by_sample ON results (sample_id, run_id)',
      },
    ]);
    db.close();
  });

  it('refuses a database written by a newer evaltrack instead of guessing', () => {
    using dir = tempDir();
    const file = join(dir.path, 'db.sqlite');
    const db = new Database(file);
    db.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
      INSERT INTO schema_migrations VALUES (99, 'from the future', '2030-01-01T00:00:00.000Z');`);
    db.close();
    expect(() => new SqliteExperimentTracker('p', { file })).toThrow(
      expect.objectContaining({
        code: 'E_STORE_IO',
        message: expect.stringMatching(/schema version 99/),
      }),
    );
  });

  it('keeps the leaderboard in the runs table, so history reads no result', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'db.sqlite');
    const t = new SqliteExperimentTracker('p', { file });
    const runId = await t.logBatch(
      [{ g: { aggregate_success: true } }, { g: { aggregate_success: false } }],
      'd',
      [{ id: 1 }, { id: 2 }],
    );
    await t.close();
    const db = new Database(file);
    db.exec('DELETE FROM results');
    db.close();
    const again = new SqliteExperimentTracker('p', { file });
    expect((await again.getExperimentHistory())[0]).toMatchObject({
      runId,
      totalData: 2,
      averageScore: 0.5,
    });
    await again.close();
  });

  it('migration 2 fills the spread of runs stored by version 1 from their results', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'db.sqlite');
    const t = new SqliteExperimentTracker('p', { file, leaderboardScoreKey: 'score' });
    const graded = await t.logBatch(
      [{ g: { score: 0.25 } }, { g: { score: 0.75 } }, { g: { score: 1 } }, { g: {} }],
      'graded',
      [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
    );
    const passFail = await t.logBatch(
      [
        { g: { score: true, aggregate_success: true } },
        { g: { score: false, aggregate_success: false } },
      ],
      'binary',
      [{ id: 1 }, { id: 2 }],
    );
    const expected = await t.getExperimentHistory();
    await t.close();

    // Turn the file back into a version-1 database, as an older evaltrack left it.
    const db = new Database(file);
    db.exec(`ALTER TABLE runs DROP COLUMN score_sum_sq;
      ALTER TABLE runs DROP COLUMN score_pass_fail_count;
      DELETE FROM schema_migrations WHERE version = 2;`);
    db.close();

    const again = new SqliteExperimentTracker('p', { file, leaderboardScoreKey: 'score' });
    const history = await again.getExperimentHistory();
    expect(history).toEqual(expected);
    const byRun = new Map(history.map((r) => [r.runId, r]));
    expect(byRun.get(graded)).toMatchObject({
      scoredCount: 3,
      scorePassFail: false,
      scoreStdDev: expect.closeTo(Math.sqrt(0.1458333333333333), 12),
    });
    expect(byRun.get(passFail)).toMatchObject({
      scoredCount: 2,
      scorePassFail: true,
      successCount: 1,
      successTotal: 2,
    });
    await again.close();
  });
});
