// The SQLite store's benchmarks, each against raw better-sqlite3 on the same rows in the same run.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Runs the SQLite measures; `note(name, figures)` records each. */
export async function sqliteSection({ root, pool, scale, note, csvLogPerSec, csvBytesPerRow }) {
  const pick = (i) => pool[i % pool.length];

  // logBatch of 1,000 against one prepared INSERT per row in one transaction, no aggregates.
  {
    const file = join(root, 'batch.sqlite');
    const t = new SqliteExperimentTracker('bench', { file });
    const raw = new Database(join(root, 'raw.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec(`CREATE TABLE results (seq INTEGER PRIMARY KEY, result_id TEXT, run_id TEXT,
      sample_id TEXT, dataset_name TEXT, project_name TEXT, timestamp TEXT, evaluator_name TEXT,
      model_name TEXT, score_values TEXT, data TEXT, metadata TEXT, evaluation_result TEXT)`);
    const insert = raw.prepare(
      'INSERT INTO results VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const batch = Array.from({ length: 1000 }, (_, i) => pick(i));
    // The raw side serialises the objects as any code inserting these results must, and stores
    // them with no checks, ids of its own making and no aggregates.
    let seq = 0;
    const rawTx = raw.transaction((rs) => {
      for (const r of rs) {
        insert.run(
          `id-${seq++}`,
          'run',
          r.data.id,
          'rag',
          'bench',
          new Date().toISOString(),
          'generation',
          r.metadata.model_name,
          '{}',
          JSON.stringify(r.data),
          JSON.stringify(r.metadata),
          JSON.stringify(r.evaluationResult),
        );
      }
    });
    const ours = [];
    const base = [];
    for (let rep = 0; rep < 15; rep++) {
      let start = now();
      rawTx(batch);
      base.push(now() - start);
      start = now();
      await t.logBatch(
        batch.map((r) => r.evaluationResult),
        'rag',
        batch.map((r) => r.data),
        {
          runId: `batch-${rep}`,
        },
      );
      ours.push(now() - start);
    }
    raw.close();
    await t.close();
    note('sqlite logBatch(1000)', {
      oursMs: median(ours),
      rawInsertMs: median(base),
      ratio: median(base) / median(ours),
      target: '>= 0.5',
    });
  }

  // log(): one transaction per result, committed (durable against a crash) when it returns.
  {
    const n = Math.round(5000 * scale);
    const rates = [];
    for (let rep = 0; rep < 3; rep++) {
      const t = new SqliteExperimentTracker('bench', { file: join(root, `log-${rep}.sqlite`) });
      const start = now();
      for (let i = 0; i < n; i++) {
        const r = pick(i);
        t.log(r.evaluationResult, 'rag', r.data, { runId: 'log-run', metadata: r.metadata });
      }
      rates.push(n / ((now() - start) / 1000));
      await t.close();
    }
    note('sqlite log() next to the CSV store', {
      sqlitePerSec: median(rates),
      csvPerSec: csvLogPerSec,
      ratio: median(rates) / csvLogPerSec,
      target: 'reported',
    });
  }

  // A store of 1,000,000 results in 1,000 runs, and one of 10,000 results in as many runs.
  const perRun = Math.round(1000 * scale);
  const fill = async (file, sizes) => {
    const t = new SqliteExperimentTracker('bench', { file });
    let k = 0;
    for (const [run, size] of sizes.entries()) {
      for (let from = 0; from < size; from += 1000) {
        const batch = Array.from({ length: Math.min(1000, size - from) }, () => pick(k++));
        await t.logBatch(
          batch.map((r) => r.evaluationResult),
          'rag',
          batch.map((r) => r.data),
          {
            runId: `run-${run}`,
            metadata: batch[0].metadata,
          },
        );
      }
    }
    await t.close();
  };
  const bigFile = join(root, 'big.sqlite');
  const smallFile = join(root, 'small.sqlite');
  let start = now();
  await fill(
    bigFile,
    Array.from({ length: 1000 }, () => perRun),
  );
  note('sqlite fill 1,000,000 results by logBatch', { seconds: (now() - start) / 1000 });
  // 9 full runs and 991 runs of one result: the same 1,000 runs, 10,000 results.
  await fill(
    smallFile,
    Array.from({ length: 1000 }, (_, i) => (i < 9 ? perRun : 1)),
  );

  const timeReads = async (file) => {
    const t = new SqliteExperimentTracker('bench', { file });
    const results = [];
    const history = [];
    for (let i = 0; i < 15; i++) {
      let s = now();
      const rows = await t.getRunResults(`run-${i % 5}`);
      results.push(now() - s);
      if (rows.length !== perRun) throw new Error(`expected ${perRun} rows, got ${rows.length}`);
      s = now();
      await t.getExperimentHistory();
      history.push(now() - s);
    }
    await t.close();
    return { results: median(results), history: median(history) };
  };
  const small = await timeReads(smallFile);
  const big = await timeReads(bigFile);
  note('sqlite getRunResults (1,000 rows) at 1,000,000 vs 10,000 stored', {
    msAt1M: big.results,
    msAt10k: small.results,
    ratio: big.results / small.results,
    target: '< 50 ms, ratio <= 2',
  });
  note('sqlite getExperimentHistory (1,000 runs) at 1,000,000 vs 10,000 stored', {
    msAt1M: big.history,
    msAt10k: small.history,
    ratio: big.history / small.history,
    target: '< 20 ms, ratio <= 2',
  });
  const db = new Database(bigFile);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const bytesPerResult = statSync(bigFile).size / (1000 * perRun);
  note('sqlite database size per result, next to CSV bytes per row', {
    sqliteBytes: bytesPerResult,
    csvBytes: csvBytesPerRow,
    ratio: bytesPerResult / csvBytesPerRow,
    target: 'reported',
  });
  return { bigFile };
}
