// npm run bench: measures the CSV tracker against the simplest logger that works, in one run, and
// writes BENCHMARKS.md. Every figure is a ratio against a baseline measured alongside it.
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  readFileSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { createReadStream } from 'node:fs';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { formatRecord, parseRecord, quoteCell } from '../dist/stores/csv/csv-codec.js';
import { RecordReader } from '../dist/stores/csv/record-reader.js';
import { realisticResult } from './realistic-result.mjs';
import {
  baselineLine,
  baselineLog as sharedBaselineLog,
  trackerLog as sharedTrackerLog,
} from './log-baseline.mjs';
import { sqliteSection } from './sqlite-section.mjs';
import { evaluateSection } from './evaluate-section.mjs';
import { cliSection } from './cli-section.mjs';
import { startupSection } from './startup-only.mjs';
import { postgresSection } from './postgres-section.mjs';
import { uiSection } from './ui-section.mjs';
import { leavesSection } from './leaves-section.mjs';
import { pythonSection } from './python-section.mjs';

const QUICK = process.argv.includes('--quick');
const scale = QUICK ? 0.1 : 1;
const root = mkdtempSync(join(tmpdir(), 'evaltrack-bench-'));
const rows = [];
const note = (name, value) => {
  rows.push({ name, ...value });
  console.log(`${name}: ${JSON.stringify(value)}`);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;
const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));
let dirs = 0;
const freshDir = () => join(root, `d${++dirs}`);
let csvLogPerSec = 0;
let csvBytesPerRow = 0;

/** Fills a folder with `runs` runs of `perRun` results, through logBatch. */
async function fill(dir, runs, perRun) {
  const t = new CSVExperimentTracker('bench', { outputDir: dir });
  for (let r = 0; r < runs; r++) {
    const batch = Array.from({ length: perRun }, (_, i) => pool[(r * perRun + i) % pool.length]);
    await t.logBatch(
      batch.map((x) => x.evaluationResult),
      'rag',
      batch.map((x) => x.data),
      { runId: `run-${r}`, metadata: batch[0].metadata },
    );
  }
  await t.close();
}

const baselineLog = (file, n) => sharedBaselineLog(pool, file, n);
const trackerLog = (dir, n, runId) => sharedTrackerLog(CSVExperimentTracker, pool, dir, n, runId);

// 1. log() against JSON.stringify + one append per row.
{
  const n = Math.round(20_000 * scale);
  const base = [];
  const ours = [];
  for (let rep = 0; rep < 15; rep++) {
    // Start each round with no dirty pages, so that neither side pays for the other's writeback.
    execFileSync('sync');
    const b = freshDir();
    execFileSync('mkdir', ['-p', b]);
    base.push(baselineLog(join(b, 'baseline.jsonl'), n));
    const d = freshDir();
    ours.push(await trackerLog(d, n));
    rmSync(b, { recursive: true });
    rmSync(d, { recursive: true });
  }
  csvLogPerSec = median(ours);
  note('log', {
    oursPerSec: median(ours),
    baselinePerSec: median(base),
    ratio: median(ours) / median(base),
    target: '>= 0.5',
  });
}

// 2. logBatch() of 1,000 against the same 1,000 rows in one write.
{
  const dir = freshDir();
  await fill(dir, 1, 1000);
  const t = new CSVExperimentTracker('bench', { outputDir: dir });
  const batch = pool.slice(0, 1000);
  const results = batch.map((x) => x.evaluationResult);
  const data = batch.map((x) => x.data);
  const base = [];
  const ours = [];
  const fd = openSync(join(root, 'batch-baseline.jsonl'), 'a');
  for (let rep = 0; rep < 20; rep++) {
    if (rep % 5 === 0) execFileSync('sync');
    let start = now();
    writeSync(fd, batch.map(baselineLine).join('\n') + '\n');
    base.push(now() - start);
    start = now();
    await t.logBatch(results, 'rag', data, { runId: `batch-${rep}` });
    ours.push(now() - start);
  }
  closeSync(fd);
  await t.close();
  rmSync(dir, { recursive: true });
  note('logBatch(1000)', {
    oursMs: median(ours),
    baselineMs: median(base),
    ratio: median(base) / median(ours),
    target: '>= 0.5',
  });
}

// 3-5. A folder of 1,000 results and one of 200,000, both in 200 runs.
const small = freshDir();
const large = freshDir();
await fill(small, 200, 5);
{
  const start = now();
  await fill(large, 200, Math.round(1000 * scale));
  execFileSync('sync');
  csvBytesPerRow =
    statSync(join(large, 'experiment_results.csv')).size / (200 * Math.round(1000 * scale));
  note('fill 200,000 results by logBatch', {
    seconds: (now() - start) / 1000,
    fileMB: statSync(join(large, 'experiment_results.csv')).size / 1e6,
  });
}
{
  const n = Math.round(10_000 * scale);
  const atSmall = [];
  const atLarge = [];
  for (let rep = 0; rep < 5; rep++) {
    execFileSync('sync');
    // Alternate which goes first, so that drift on a shared machine hits both alike.
    if (rep % 2 === 0) {
      atSmall.push(await trackerLog(small, n, `extra-${rep}`));
      atLarge.push(await trackerLog(large, n, `extra-${rep}`));
    } else {
      atLarge.push(await trackerLog(large, n, `extra-${rep}`));
      atSmall.push(await trackerLog(small, n, `extra-${rep}`));
    }
  }
  note('log at 200,000 vs 1,000 stored', {
    perSecAt1k: median(atSmall),
    perSecAt200k: median(atLarge),
    ratio: median(atLarge) / median(atSmall),
    target: 'within 15% (0.85-1.15)',
  });
}
{
  const time = async (dir) => {
    const t = new CSVExperimentTracker('bench', { outputDir: dir });
    const times = [];
    for (let i = 0; i < 30; i++) {
      const start = now();
      await t.getExperimentHistory();
      times.push(now() - start);
    }
    await t.close();
    return median(times);
  };
  const at1k = await time(small);
  const at200k = await time(large);
  note('getExperimentHistory at 200,000 vs 1,000 stored', {
    msAt1k: at1k,
    msAt200k: at200k,
    ratio: at200k / at1k,
    target: '<= 2',
  });
}
{
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', new URL('./read-run.mjs', import.meta.url).pathname, large, 'run-100'],
    {
      encoding: 'utf8',
    },
  );
  const r = JSON.parse(out);
  note('getRunResults of a 1,000-row run in the 200,000-row file', {
    ms: r.ms,
    rows: r.rows,
    scanMBps: r.fileBytes / 1e6 / (r.ms / 1000),
    peakMBAboveBaseline: r.peakAbove / 1e6,
    target: '>= 50 MB/s, < 100 MB',
  });
}

// 6. Why the reader is hand-written: csv-parse against our scanner on the same bytes.
{
  const file = join(large, 'experiment_results.csv');
  const bytes = Math.min(statSync(file).size, 200e6);
  let start = now();
  let n = 0;
  await new Promise((resolve, reject) => {
    createReadStream(file, { end: bytes - 1 })
      .pipe(parse({ bom: true, relax_column_count: true, skip_records_with_error: true }))
      .on('data', () => n++)
      .on('end', resolve)
      .on('error', reject);
  });
  const libMBps = bytes / 1e6 / ((now() - start) / 1000);
  start = now();
  const fd = openSync(file, 'r');
  const reader = new RecordReader(0);
  let pos = 0;
  let m = 0;
  while (pos < bytes) {
    const space = reader.space();
    const got = readSync(fd, space.buf, space.offset, Math.min(space.length, bytes - pos), pos);
    reader.filled(got);
    pos += got;
    for (let r = reader.next(); r; r = reader.next()) {
      parseRecord(r.buf.toString('utf8', r.start, r.contentEnd));
      m++;
    }
  }
  closeSync(fd);
  const oursMBps = bytes / 1e6 / ((now() - start) / 1000);
  note('parse every record: csv-parse 6 stream vs our scanner', {
    csvParseMBps: libMBps,
    oursMBps,
    records: [n, m],
    ratio: oursMBps / libMBps,
  });

  const cells = pool
    .slice(0, 2000)
    .map((r) => [
      'run-1',
      'rag',
      '2026-11-27T00:00:00.000Z',
      'generation',
      'gpt',
      '0.5',
      '1.0',
      'True',
      JSON.stringify(r.data),
      JSON.stringify(r.metadata),
      JSON.stringify(r.evaluationResult),
    ]);
  const reps = 5;
  const libTimes = [];
  const ourTimes = [];
  for (let i = 0; i < reps; i++) {
    start = now();
    stringify(cells, { record_delimiter: '\r\n', quote_record_delimiter: true });
    libTimes.push(now() - start);
    start = now();
    cells.map((c) => formatRecord(c.map(quoteCell))).join('');
    ourTimes.push(now() - start);
  }
  note('encode 2,000 rows: csv-stringify 6 vs our quoting', {
    csvStringifyUsPerRow: (median(libTimes) * 1000) / cells.length,
    oursUsPerRow: (median(ourTimes) * 1000) / cells.length,
    ratio: median(libTimes) / median(ourTimes),
  });
}
csvBytesPerRow =
  statSync(join(large, 'experiment_results.csv')).size / (200 * Math.round(1000 * scale));
await pythonSection({ large, scale, note });
rmSync(small, { recursive: true, force: true });
rmSync(large, { recursive: true, force: true });
const { bigFile } = await sqliteSection({ root, pool, scale, note, csvLogPerSec, csvBytesPerRow });
await cliSection({ root, pool, bigFile, scale, note });
await startupSection({ root, note });
await uiSection({ root, pool, bigFile, scale, note });
await postgresSection({ pool, scale, note });
await evaluateSection({ root, pool, scale, note });
await leavesSection({ root, note });
rmSync(root, { recursive: true, force: true });

const NOTES = `How each figure is taken:

- log: rows per second of \`CSVExperimentTracker.log()\` (one \`write()\` per row, durable against a
  process crash when it returns) against the baseline, 20,000 rows a round, median of 15 alternating
  rounds, each in a fresh folder after \`sync\`. Most of the gap is inherent to the CSV format:
  doubling the quotes of the 4 KB of JSON cells, and writing the gllm-evals columns.
- logBatch(1000): the time of one \`logBatch()\` of 1,000 results (all or nothing, one \`write()\`,
  then the leaderboard refreshed) against the baseline writing the same rows in one write; median
  of 20.
- log at 200,000 vs 1,000 stored: the same \`log()\` loop in a folder of 200,000 results and in one
  of 1,000 (both 200 runs), alternating which goes first: a log never reads what is stored.
- getExperimentHistory: median of 30 calls; it reads the saved aggregates and the results past
  their offset, never the whole results file.
- getRunResults: a child process reads one 1,000-row run out of the 200,000-row file; peak memory is
  its maximum resident size minus its size before the call.
- The last two rows are why the CSV reader and writer are hand-written: the libraries, measured on
  the same bytes in the same run, are the bottleneck.

Python (\`bench/python-section.mjs\`, when \`scripts/python-env.sh\` has made \`.python-env/\`):
the real gllm-evals' \`get_run_results\` of run-100 (1,000 rows) in the 200,000-row folder above,
which evaltrack wrote, beside evaltrack's \`getRunResults\` of the same run; each in a process of
its own timing only the call, median of 3 alternating rounds. Python's import of \`gllm_evals\`
is reported apart (it is paid once per process, before any call).

SQLite (\`bench/sqlite-section.mjs\`):

- sqlite logBatch(1000): one \`logBatch()\` (one immediate transaction: the results, their checks
  and the run's aggregates) against raw better-sqlite3 on the same 1,000 results: one prepared
  INSERT per row in one transaction, the objects serialised with \`JSON.stringify\`, no checks, no
  aggregates, no secondary index; median of 15.
- sqlite log(): rows per second of \`log()\`, each a committed transaction (WAL,
  \`synchronous=NORMAL\`: durable against a crash of the process when it returns), next to the CSV
  store's \`log()\` measured above.
- 1,000,000 vs 10,000: a database of 1,000 runs of 1,000 results, and one of the same 1,000 runs
  holding 10,000 results (9 full runs, 991 of one result); median of 15 warm reads of a 1,000-row
  run, and of the history.
- Size: the database file after a WAL checkpoint, per result, next to the CSV file's bytes per row.

The dashboard (\`bench/ui-section.mjs\`), in Debian's chromium through playwright-core, median
of 7 (runs) and 5 (one run): the runs view of the 1,000-run SQLite store above, from navigation
until its 1,000 rows are in the table, next to \`getExperimentHistory()\`; the run view of a
100,000-result run, on a new server each time (nothing cached), from navigation until the first
rows are visible, next to reading the whole run with \`getRunResults()\` (the view never waits
for that: its first page is served while the rest is read). The API sends 100 rows a page.

PostgreSQL (\`bench/postgres-section.mjs\`), on a throwaway server of this machine (PostgreSQL 15,
loopback, \`fsync=off\`, so the disk of this shared machine does not decide), median of 15:

- postgres logBatch(1000): one \`logBatch()\` (one transaction: run locks, the results in one
  \`INSERT … VALUES\` of many rows, the aggregates updated) against one raw multi-row \`INSERT … VALUES\` of the same
  1,000 rows (12,000 parameters, the objects serialised with \`JSON.stringify\`) into a table of the
  same columns with no secondary index.
- getRunResults: a 1,000-row run of 1,000,000 results, against the raw \`SELECT *\` of the same rows
  by \`run_id\` in \`seq\` order (node-postgres parsing the JSON columns).
- getExperimentHistory: the 1,000 runs' summaries from the maintained aggregates, next to a
  \`GROUP BY run_id\` over the results table, which history never runs.

evaluate() (\`bench/evaluate-section.mjs\`): 20,000 samples through \`evaluate()\` with an evaluator
that returns at once (concurrency 10, batches of 50), against logging the same results with
\`logBatch()\` in batches of 50 into the same kind of store; the difference per sample is what
evaluate() adds (scheduling, checks, retries' bookkeeping, batching, the evaluator's latency);
median of 5. With a task: the same samples with a task that returns the sample's answer at once
and \`trials: 2\` (40,000 results), against \`logBatch()\` of the same 40,000 results with their
data and measures (trial, task and evaluator latency); \`overheadUs\` is per sample trial (one
result, as one sample above), \`overheadUsPerSample\` per sample (two results).

The command line (\`bench/cli-section.mjs\`), in process through \`runCli\` with its output thrown
away, each against the library call it rests on, in the same process (ratio = library time /
command time; median of 7 alternating rounds): \`runs\` against \`getExperimentHistory()\` and
\`show\` against \`getRunResults()\`, both on the 1,000,000-result SQLite database above (the
command opens the database, and \`runs\` puts intervals on every run from its summary);
\`compare\` of two runs of 10,000 shared samples (2,000 bootstrap resamples per metric) against
reading the two runs; \`export --all\` to JSONL in a process of its own, its peak memory above its
size at start.

Many score leaves (\`bench/leaves-section.mjs\`, also \`node bench/leaves-section.mjs\` on its own):
\`log()\` of one result of one evaluator with 5,000 metrics (a score and a \`success\` each, 10,002
columns), median of 7 after a first log that writes the header, next to the same with 1,000
metrics: linear time gives a ratio of about 5, quadratic 25.

On this shared 2-core machine the CSV log ratio moved between 0.47 and 0.61 across runs of the
same code; the table is one run.
`;

const fmt = (v) =>
  typeof v === 'number'
    ? Math.abs(v) >= 100
      ? v.toFixed(0)
      : v.toPrecision(3)
    : JSON.stringify(v);
const md = [
  '# Benchmarks',
  '',
  `Produced by \`npm run bench\`${QUICK ? ' (--quick: a tenth of the sizes)' : ''} on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ` +
    `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB. Machines here are shared and noisy: compare the ratios, ` +
    'each measured against its baseline in the same run, not the absolute figures.',
  '',
  'Results are realistic gllm-evals results (`bench/realistic-result.mjs`): a RAG sample with a 2 KB retrieved context and three ' +
    'metrics with explanations, about 4 KB as JSON. The baseline is the simplest logger that works: `JSON.stringify` of the result with its run id, dataset and time, plus one ' +
    '`writeSync` per row to a file held open in append mode (for batches: the 1,000 rows joined into one write).',
  '',
  '| measure | figures | ratio | target |',
  '|---|---|---|---|',
  ...rows.map(({ name, ratio, target, ...rest }) => {
    const figures = Object.entries(rest)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ');
    return `| ${name} | ${figures} | ${ratio === undefined ? '' : ratio.toFixed(2)} | ${target ?? ''} |`;
  }),
  '',
  NOTES,
];
// Sections measured apart (`## …`, e.g. two builds side by side) are kept as they are.
const file = new URL('../BENCHMARKS.md', import.meta.url);
const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
const apart = before.indexOf('\n## ');
writeFileSync(file, md.join('\n') + (apart === -1 ? '' : before.slice(apart)));
console.log('wrote BENCHMARKS.md');
