// The SQLite store's benchmarks, each against raw better-sqlite3 on the same rows in the same run.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { rawRow } from './raw-row.mjs';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';

/** A raw better-sqlite3 database with the store's pragmas and a results table without indexes. */
function rawDatabase(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE results (seq INTEGER PRIMARY KEY, result_id TEXT, run_id TEXT,
    sample_id TEXT, dataset_name TEXT, project_name TEXT, timestamp TEXT, evaluator_name TEXT,
    model_name TEXT, score_values TEXT, data TEXT, metadata TEXT, evaluation_result TEXT)`);
  return {
    db,
    insert: db.prepare('INSERT INTO results VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * `log()` against raw better-sqlite3 committing one row per transaction: `rounds` rounds of `n`
 * results a side, each round on fresh databases, the sides taking turns by blocks of 200 (the
 * order rotates every block), so that the load of a shared machine falls on all alike. The medians
 * over the rounds of each side's rows per second, and of their ratio. `Before` (the
 * SqliteExperimentTracker of another build) is timed too, as a third side, for a before/after.
 */
export async function measureLog({ root, pool, n, rounds, Before }) {
  const pick = (i) => pool[i % pool.length];
  const BLOCK = 200;
  const ours = [];
  const raw = [];
  const ratios = [];
  const before = [];
  const beforeRatios = [];
  for (let rep = 0; rep < rounds; rep++) {
    const t = new SqliteExperimentTracker('bench', { file: join(root, `log-${rep}.sqlite`) });
    const b = Before && new Before('bench', { file: join(root, `log-before-${rep}.sqlite`) });
    // The store's pragmas, a results table like the raw one below, one prepared INSERT per
    // transaction (committed when it returns), the row serialised as log() must serialise it.
    const { db, insert } = rawDatabase(join(root, `log-raw-${rep}.sqlite`));
    const logOne = db.transaction((r, id) => {
      insert.run(...rawRow(r, id, 'log-run'));
    });
    const runTracker = (tracker) => (from, to) => {
      const start = now();
      for (let i = from; i < to; i++) {
        const r = pick(i);
        tracker.log(r.evaluationResult, 'rag', r.data, { runId: 'log-run', metadata: r.metadata });
      }
      return now() - start;
    };
    const runRaw = (from, to) => {
      const start = now();
      for (let i = from; i < to; i++) logOne(pick(i), `id-${i}`);
      return now() - start;
    };
    const sides = [
      { run: runRaw, ms: 0 },
      { run: runTracker(t), ms: 0 },
      ...(b ? [{ run: runTracker(b), ms: 0 }] : []),
    ];
    globalThis.gc?.();
    for (let from = 0, k = 0; from < n; from += BLOCK, k++) {
      const to = Math.min(n, from + BLOCK);
      for (let j = 0; j < sides.length; j++) {
        const side = sides[(rep + k + j) % sides.length];
        side.ms += side.run(from, to);
      }
    }
    const [rawMs, oursMs, beforeMs] = sides.map((s) => s.ms);
    ours.push(n / (oursMs / 1000));
    raw.push(n / (rawMs / 1000));
    ratios.push(rawMs / oursMs);
    if (beforeMs !== undefined) {
      before.push(n / (beforeMs / 1000));
      beforeRatios.push(rawMs / beforeMs);
    }
    db.close();
    await t.close();
    await b?.close();
  }
  return {
    oursPerSec: median(ours),
    rawPerSec: median(raw),
    ratio: median(ratios),
    ours,
    raw,
    ratios,
    ...(Before ? { beforePerSec: median(before), beforeRatio: median(beforeRatios), before } : {}),
  };
}

/** Runs the SQLite measures; `note(name, figures)` records each. */
export async function sqliteSection({ root, pool, scale, note, csvLogPerSec, csvBytesPerRow }) {
  const pick = (i) => pool[i % pool.length];

  // logBatch of 1,000 against one prepared INSERT per row in one transaction, no aggregates.
  {
    const file = join(root, 'batch.sqlite');
    const t = new SqliteExperimentTracker('bench', { file });
    const { db: raw, insert } = rawDatabase(join(root, 'raw.sqlite'));
    const batch = Array.from({ length: 1000 }, (_, i) => pick(i));
    let seq = 0;
    const rawTx = raw.transaction((rs) => {
      for (const r of rs) insert.run(...rawRow(r, `id-${seq++}`, 'run'));
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

  // log(): one transaction per result, committed (durable against a crash) when it returns,
  // taking turns with a raw single-row insert per transaction in the same run.
  {
    const { oursPerSec, rawPerSec, ratio } = await measureLog({
      root,
      pool,
      n: Math.round(5000 * scale),
      rounds: 5,
    });
    note('sqlite log() against a raw single-row insert', {
      oursPerSec,
      rawPerSec,
      ratio,
      target: '>= 0.5',
    });
    note('sqlite log() next to the CSV store', {
      sqlitePerSec: oursPerSec,
      csvPerSec: csvLogPerSec,
      ratio: oursPerSec / csvLogPerSec,
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
