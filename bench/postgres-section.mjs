// The PostgreSQL store's benchmarks, each against raw `pg` statements on the same rows in the same
// run, on a throwaway server of this machine (loopback).
import pg from 'pg';
import { rawRow } from './raw-row.mjs';
import { PostgresExperimentTracker } from 'evaltrack/postgres';
import { RESULT_COLUMNS } from '../dist/stores/sql/sql-rows.js';
import { postgresBinDir, startPostgres } from '../scripts/postgres-server.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Runs the PostgreSQL measures; `note(name, figures)` records each. */
export async function postgresSection({ pool, scale, note }) {
  if (postgresBinDir() === null) {
    note('postgres', { skipped: 'no PostgreSQL server installed (apt-get install postgresql)' });
    return;
  }
  const server = await startPostgres();
  try {
    await measure({ url: server.url, pool, scale, note });
  } finally {
    server.destroy();
  }
}

async function measure({ url, pool, scale, note }) {
  const pick = (i) => pool[i % pool.length];
  const raw = new pg.Client(url);
  await raw.connect();

  // logBatch of 1,000 against one raw multi-row INSERT of the same rows into a table of the same
  // columns: no checks, no locks, no aggregates, no secondary index.
  {
    await raw.query(`CREATE TABLE raw_results (seq BIGSERIAL PRIMARY KEY, result_id TEXT,
      run_id TEXT, sample_id TEXT, dataset_name TEXT, project_name TEXT, timestamp TEXT,
      evaluator_name TEXT, model_name TEXT, score_values JSON, data JSON, metadata JSON,
      evaluation_result JSON, measures JSON)`);
    const batch = Array.from({ length: 1000 }, (_, i) => pick(i));
    const placeholders = batch
      .map(
        (_, r) =>
          `(${RESULT_COLUMNS.map((_, c) => `$${r * RESULT_COLUMNS.length + c + 1}`).join(', ')})`,
      )
      .join(', ');
    const insert = `INSERT INTO raw_results (${RESULT_COLUMNS.join(', ')}) VALUES ${placeholders}`;
    let seq = 0;
    const rawBatch = () =>
      raw.query(
        insert,
        batch.flatMap((r) => [...rawRow(r, `id-${seq++}`, 'run'), null]),
      );
    const t = new PostgresExperimentTracker('bench', { connectionString: url, schema: 'batch' });
    await t.getExperimentHistory(); // migrated before timing
    const ours = [];
    const base = [];
    for (let rep = 0; rep < 15; rep++) {
      let start = now();
      await rawBatch();
      base.push(now() - start);
      start = now();
      await t.logBatch(
        batch.map((r) => r.evaluationResult),
        'rag',
        batch.map((r) => r.data),
        { runId: `batch-${rep}` },
      );
      ours.push(now() - start);
    }
    await t.close();
    note('postgres logBatch(1000)', {
      oursMs: median(ours),
      rawInsertMs: median(base),
      ratio: median(base) / median(ours),
      target: '>= 0.5',
    });
  }

  // 1,000,000 results in 1,000 runs.
  const perRun = Math.round(1000 * scale);
  const t = new PostgresExperimentTracker('bench', { connectionString: url, schema: 'big' });
  let start = now();
  let k = 0;
  for (let run = 0; run < 1000; run++) {
    for (let from = 0; from < perRun; from += 1000) {
      const batch = Array.from({ length: Math.min(1000, perRun - from) }, () => pick(k++));
      await t.logBatch(
        batch.map((r) => r.evaluationResult),
        'rag',
        batch.map((r) => r.data),
        { runId: `run-${run}`, metadata: batch[0].metadata },
      );
    }
  }
  note('postgres fill 1,000,000 results by logBatch', { seconds: (now() - start) / 1000 });
  await raw.query('VACUUM ANALYZE big.results');
  await raw.query('VACUUM ANALYZE big.runs');

  // getRunResults against the raw SELECT of the same rows (pg parsing the JSON columns).
  {
    const ours = [];
    const base = [];
    for (let i = 0; i < 15; i++) {
      const runId = `run-${(i * 37) % 1000}`;
      start = now();
      const rows = (
        await raw.query('SELECT * FROM big.results WHERE run_id = $1 ORDER BY seq', [runId])
      ).rows;
      base.push(now() - start);
      start = now();
      const records = await t.getRunResults(runId);
      ours.push(now() - start);
      if (records.length !== rows.length || rows.length !== perRun) {
        throw new Error(`expected ${perRun} rows, got ${records.length} and ${rows.length}`);
      }
    }
    note('postgres getRunResults (1,000 rows) at 1,000,000 stored', {
      oursMs: median(ours),
      rawSelectMs: median(base),
      ratio: median(base) / median(ours),
      target: '>= 0.67 (within 1.5x)',
    });
  }

  // History from the maintained aggregates, next to the GROUP BY it does not run.
  {
    const ours = [];
    for (let i = 0; i < 15; i++) {
      start = now();
      const runs = await t.getExperimentHistory();
      ours.push(now() - start);
      if (runs.length !== 1000) throw new Error(`expected 1000 runs, got ${runs.length}`);
    }
    const groupBy = [];
    for (let i = 0; i < 3; i++) {
      start = now();
      await raw.query(`SELECT run_id, count(*), max(timestamp) FROM big.results GROUP BY run_id`);
      groupBy.push(now() - start);
    }
    note('postgres getExperimentHistory (1,000 runs) at 1,000,000 stored', {
      ms: median(ours),
      groupByMs: median(groupBy),
      ratio: median(groupBy) / median(ours),
      target: '< 20 ms',
    });
  }
  await t.close();
  await raw.end();
}
