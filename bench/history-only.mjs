// `history` and `flaky` (issue 16) on their own: npm run build && node bench/history-only.mjs
// A SQLite store of 1,000,000 realistic results: 1,000 runs of the same 1,000 samples, each
// sample's outcome varying from run to run (one in five never changes). HISTORY_DB=<file> keeps
// the store there and reuses it when it exists (filling takes a minute or two).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { runCli } from '../dist/cli/run-cli.js';
import { realisticResult } from './realistic-result.mjs';

const RUNS = 1000;
const SAMPLES = 1000;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const note = (name, value) => console.log(`${name}: ${JSON.stringify(value)}`);

const root = process.env.HISTORY_DB ? null : mkdtempSync(join(tmpdir(), 'evaltrack-history-'));
const file = process.env.HISTORY_DB ?? join(root, 'history.sqlite');
const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));

if (!existsSync(file)) {
  const start = now();
  const t = new SqliteExperimentTracker('bench', { file });
  for (let run = 0; run < RUNS; run++) {
    // Sample i's result in run r: one of the pool's, chosen so that outcomes change across runs
    // for four samples in five; the sample keeps its id (`q<i>`) in every run.
    const batch = Array.from({ length: SAMPLES }, (_, i) => {
      const r = pool[(i * 12 + (i % 5 === 0 ? 0 : run * (i % 5))) % pool.length];
      return { ...r, data: { ...r.data, id: `q${i}` } };
    });
    await t.logBatch(
      batch.map((r) => r.evaluationResult),
      'rag',
      batch.map((r) => r.data),
      { runId: `run-${run}`, metadata: { model_name: `model-${run % 3}` } },
    );
  }
  await t.close();
  note('fill 1,000,000 results (1,000 runs of 1,000 samples) by logBatch', {
    seconds: (now() - start) / 1000,
  });
}

// What SQLite does with the reads, from its own query planner.
{
  const db = new Database(file, { readonly: true });
  const plan = (sql, ...params) =>
    db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...params)
      .map((r) => r.detail)
      .join('; ');
  // The statements of src/stores/sqlite/sqlite-store.ts.
  const bySample = `FROM results WHERE sample_id = @sample AND (@dataset IS NULL OR dataset_name = @dataset)`;
  const p = { sample: 'q1', dataset: null, runs: '["run-1","run-2"]' };
  note('query plan of a sample’s narrow rows (readSampleOutcomes)', {
    plan: plan(
      `SELECT run_id, dataset_name, sample_id, json_extract(measures, '$.trial') AS trial, score_values ${bySample} ORDER BY run_id, seq`,
      { sample: p.sample, dataset: p.dataset },
    ),
  });
  note('query plan of a sample’s results in the runs shown (readSample)', {
    plan: plan(
      `SELECT * ${bySample} AND (@runs IS NULL OR run_id IN (SELECT value FROM json_each(@runs))) ORDER BY run_id, seq`,
      p,
    ),
  });
  note('query plan of a run’s narrow rows (readOutcomes, once per run)', {
    plan: plan(
      `SELECT run_id, dataset_name, sample_id, json_extract(measures, '$.trial') AS trial, json_extract(score_values, ?) AS v0 FROM results WHERE run_id = ? ORDER BY seq`,
      '$."generation.aggregate_success"',
      'run-1',
    ),
  });
  // The raw read the library's history rests on: the sample's rows through the index, no JSON.
  const raw = db.prepare('SELECT * FROM results WHERE sample_id = ? ORDER BY run_id, seq');
  const times = [];
  for (let k = 0; k < 15; k++) {
    const s = now();
    raw.all(`q${(k * 37) % SAMPLES}`);
    times.push(now() - s);
  }
  note('raw SELECT of one sample’s 1,000 rows by the index (better-sqlite3, no JSON parsed)', {
    ms: median(times),
  });
  db.close();
}

// The library calls, on one open tracker (warm), each sample a different one.
{
  const t = new SqliteExperimentTracker('bench', { file });
  const history = [];
  let runCount = 0;
  for (let k = 0; k < 15; k++) {
    const s = now();
    const h = await t.getSampleHistory(`q${(k * 37 + 1) % SAMPLES}`);
    history.push(now() - s);
    runCount = h.runCount;
    if (h.runs.length !== 20) throw new Error(`expected 20 runs, got ${h.runs.length}`);
  }
  note('getSampleHistory of one sample (1,000 runs hold it; the newest 20 shown)', {
    ms: median(history),
    runCount,
    target: '< 50 ms',
  });
  const flaky = [];
  let report;
  for (let k = 0; k < 7; k++) {
    const s = now();
    report = await t.getFlakySamples({ last: 50 });
    flaky.push(now() - s);
  }
  note('getFlakySamples({ last: 50 }) (50,000 results)', {
    ms: median(flaky),
    results: report.results,
    flaky: report.flaky.length,
    compared: report.compared,
    target: '< 2000 ms',
  });
  await t.close();
}

// The commands: in process through runCli (opening the store included), and as a whole process.
{
  const sink = { write: () => true };
  const io = { stdout: sink, stderr: sink, env: {}, isTTY: false };
  const store = `sqlite:${file}`;
  const inProcess = async (argv, rounds) => {
    const times = [];
    for (let k = 0; k < rounds; k++) {
      const s = now();
      const code = await runCli(argv(k), io);
      if (code !== 0) throw new Error(`evaltrack ${argv(k).join(' ')} exited ${code}`);
      times.push(now() - s);
    }
    return median(times);
  };
  const bin = new URL('../dist/cli/bin.js', import.meta.url).pathname;
  const processMs = (argv, rounds) => {
    const times = [];
    for (let k = 0; k < rounds; k++) {
      const s = now();
      const r = spawnSync(process.execPath, [bin, ...argv(k)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`evaltrack exited ${r.status}: ${r.stderr}`);
      times.push(now() - s);
    }
    return median(times);
  };
  const nodeStart = [];
  for (let k = 0; k < 7; k++) {
    const s = now();
    execFileSync(process.execPath, ['-e', '0']);
    nodeStart.push(now() - s);
  }
  const history = (k) => ['history', `q${(k * 37 + 3) % SAMPLES}`, '--store', store];
  note('evaltrack history <sample> (1,000 runs hold it)', {
    inProcessMs: await inProcess(history, 15),
    processMs: processMs(history, 7),
    nodeStartMs: median(nodeStart),
  });
  const flaky = () => ['flaky', '--last', '50', '--store', store];
  note('evaltrack flaky --last 50', {
    inProcessMs: await inProcess(flaky, 7),
    processMs: processMs(flaky, 5),
  });
}

if (root) rmSync(root, { recursive: true, force: true });
