// Stores written by the version before latency, tokens and cost, opened by this one: nothing
// stored is lost, and results logged now carry their measures into the run's aggregates.
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { PostgresExperimentTracker } from 'evaltrack/postgres';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import type { BaseExperimentTracker } from 'evaltrack';
import { NO_POSTGRES, newSchema, postgresUrl, sql } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/evaltrack-0.1-schema-2/', import.meta.url));

/** What the fixture holds, as the version that wrote it reported it. */
const LEGACY_RUNS = [
  {
    runId: 'legacy-b',
    totalData: 3,
    scoreColumn: 'judge.aggregate_success',
    successCount: 2,
    successTotal: 3,
    context: {},
    measures: null,
  },
  {
    runId: 'legacy-a',
    modelName: 'm1',
    totalData: 6,
    scoreColumn: 'judge.aggregate_success',
    successCount: 4,
    successTotal: 6,
    context: { prompt: 'v1', git: 'abc123' },
    measures: null,
  },
];

async function expectUpgraded(open: () => BaseExperimentTracker): Promise<void> {
  const t = open();
  expect(await t.getExperimentHistory()).toMatchObject(LEGACY_RUNS);
  const legacy = await t.getRunResults('legacy-a');
  expect(legacy.map((r) => [r.sampleId, r.values['judge.relevance.score'], r.measures])).toEqual(
    [0, 1, 2, 3, 4, 5].map((i) => [`q${i}`, i / 5, null]),
  );
  expect(legacy[4]?.values['judge.relevance.success']).toBe(true);
  expect(legacy[3]?.values['judge.relevance.success']).toBe(false);
  // A result logged now, into the old run, with measures.
  await t.alog(
    { judge: { aggregate_success: true } },
    'rag',
    { id: 'q6' },
    {
      runId: 'legacy-a',
      measures: { task: { latencyMs: 120, cost: 0.25 } },
    },
  );
  await t.close();

  const again = open();
  const run = await again.getRun('legacy-a');
  expect(run).toMatchObject({
    totalData: 7,
    successCount: 5,
    context: { prompt: 'v1', git: 'abc123' },
    measures: {
      latency: { n: 1, meanMs: 120, maxMs: 120 },
      tokens: null,
      cost: { n: 1, total: 0.25 },
    },
  });
  const results = await again.getRunResults('legacy-a');
  expect(results.map((r) => r.measures)).toEqual([
    ...Array<null>(6).fill(null),
    { task: { latencyMs: 120, cost: 0.25 } },
  ]);
  await again.close();
}

describe('stores written before latency, tokens and cost', () => {
  it('sqlite: migrations 3 and 4 keep every run and result, and new results carry measures', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'evals.sqlite');
    cpSync(join(FIXTURE, 'evals.sqlite'), file);
    await expectUpgraded(() => new SqliteExperimentTracker('legacy', { file }));
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(4);
    expect(db.prepare('SELECT count(*) FROM results').pluck().get()).toBe(10);
    // Migration 4 dropped the index of runs by update time the fixture has.
    expect(
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
        )
        .pluck()
        .all(),
    ).toEqual(['results_by_run', 'results_by_sample']);
    db.close();
  });

  it('csv: a state file of version 2 is refolded; the header gains measures when first needed', async () => {
    using dir = tempDir();
    cpSync(join(FIXTURE, 'csv'), dir.path, { recursive: true });
    const lastColumn = () =>
      readFileSync(join(dir.path, 'experiment_results.csv'), 'utf8')
        .slice(0, 2000)
        .split('\r\n')[0]
        ?.split(',')
        .at(-1);
    expect(lastColumn()).toBe('evaluation_result');
    await expectUpgraded(() => new CSVExperimentTracker('legacy', { outputDir: dir.path }));
    expect(lastColumn()).toBe('measures');
  });

  const pgUrl = postgresUrl();
  it.skipIf(pgUrl === null)(
    `postgres: migration 3 keeps every run and result, and new results carry measures${pgUrl === null ? ` (skipped: ${NO_POSTGRES})` : ''}`,
    async () => {
      const url = pgUrl ?? '';
      const schema = newSchema('legacy');
      // The dump as pg_dump wrote it, under a schema name of this test; psql's own commands
      // (`\restrict`) are not SQL.
      const dump = readFileSync(join(FIXTURE, 'postgres', 'legacy_v2.sql'), 'utf8')
        .split('\n')
        .filter((line) => !line.startsWith('\\'))
        .join('\n')
        .replaceAll('legacy_v2', schema);
      await sql(url, dump);
      const open = () => new PostgresExperimentTracker('legacy', { connectionString: url, schema });
      await expectUpgraded(open);
      const [version] = await sql<{ v: number }>(
        url,
        `SELECT max(version) AS v FROM ${schema}.schema_migrations`,
      );
      expect(version?.v).toBe(3);
      const [count] = await sql<{ n: string }>(url, `SELECT count(*) AS n FROM ${schema}.results`);
      expect(count?.n).toBe('10');
    },
  );
});
