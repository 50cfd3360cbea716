// The CSV index (issue 18) on its own: npm run build && node bench/csv-index-only.mjs
// A CSV folder of ROWS realistic results (default 1,000,000, about 4.3 GB) in runs of 1,000, filled
// by logBatch. Measures getRunResults of one 1,000-row run: warm (a tracker reading it again), in
// a fresh process, right after another process appended (by evaltrack, which indexes its rows,
// and as Python does, without the index), and the whole-file scan the read was before (the index
// moved aside). CSV_INDEX_DIR=<folder> keeps the folder there and reuses it when it exists.
// BASELINE_DIST=<dist of another build> also times that build's read of the run (a full scan).
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { realisticResult } from './realistic-result.mjs';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const PER_RUN = 1000;
const RUNS = Math.round(ROWS / PER_RUN);
const RUN = `run-${Math.floor(RUNS / 2)}`;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const note = (name, value) => console.log(`${name}: ${JSON.stringify(value)}`);

const root = process.env.CSV_INDEX_DIR ? null : mkdtempSync(join(tmpdir(), 'evaltrack-csvindex-'));
const dir = process.env.CSV_INDEX_DIR ?? join(root, 'folder');
const results = join(dir, 'experiment_results.csv');
const index = join(dir, '.evaltrack-index.jsonl');
const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));

try {
  if (!existsSync(results)) {
    mkdirSync(dir, { recursive: true });
    const start = now();
    const t = new CSVExperimentTracker('bench', { outputDir: dir });
    for (let r = 0; r < RUNS; r++) {
      const batch = Array.from(
        { length: PER_RUN },
        (_, i) => pool[(r * PER_RUN + i) % pool.length],
      );
      await t.logBatch(
        batch.map((x) => x.evaluationResult),
        'rag',
        batch.map((x) => x.data),
        { runId: `run-${r}`, metadata: batch[0].metadata },
      );
    }
    await t.close();
    note(`fill ${ROWS} results by logBatch`, { seconds: (now() - start) / 1000 });
  }
  const fileMB = statSync(results).size / 1e6;
  note('folder', { rows: ROWS, runs: RUNS, fileMB, indexKB: statSync(index).size / 1e3 });

  /** One read of the run by a tracker of its own: ms and rows. */
  const readOnce = async () => {
    const t = new CSVExperimentTracker('bench', { outputDir: dir });
    const start = now();
    const rows = (await t.getRunResults(RUN)).length;
    const ms = now() - start;
    await t.close();
    if (rows !== PER_RUN) throw new Error(`${rows} rows`);
    return ms;
  };
  /** A read in a fresh node process (bench/read-run.mjs), as `evaltrack show` makes it. */
  const readInChild = () =>
    JSON.parse(
      execFileSync(
        process.execPath,
        ['--expose-gc', new URL('./read-run.mjs', import.meta.url).pathname, dir, RUN],
        { encoding: 'utf8' },
      ),
    );

  execFileSync('cat', [results], { stdio: 'ignore' }); // the file in the page cache, as when warm
  await readOnce();
  const warm = [];
  for (let i = 0; i < 15; i++) warm.push(await readOnce());
  note('getRunResults of a 1,000-row run, warm', {
    medianMs: median(warm),
    maxMs: Math.max(...warm),
    target: '< 50',
  });
  // What reading those 1,000 records costs by itself: the same run alone in a folder.
  {
    const alone = join(root ?? tmpdir(), `alone-${process.pid}`);
    const t = new CSVExperimentTracker('bench', { outputDir: alone });
    const r = Number(RUN.slice(4));
    const batch = Array.from({ length: PER_RUN }, (_, i) => pool[(r * PER_RUN + i) % pool.length]);
    await t.logBatch(
      batch.map((x) => x.evaluationResult),
      'rag',
      batch.map((x) => x.data),
      { runId: RUN, metadata: batch[0].metadata },
    );
    await t.close();
    const times = [];
    for (let i = 0; i < 16; i++) {
      const reader = new CSVExperimentTracker('bench', { outputDir: alone });
      const start = now();
      await reader.getRunResults(RUN);
      times.push(now() - start);
      await reader.close();
    }
    rmSync(alone, { recursive: true, force: true });
    note('the same 1,000-row run alone in a folder, warm (decoding its records)', {
      medianMs: median(times.slice(1)),
    });
  }
  const child = [];
  for (let i = 0; i < 5; i++) child.push(readInChild().ms);
  note('the same read in a fresh process (getRunResults only)', { medianMs: median(child) });

  // Another process appends 1,000 results to another run, then the read.
  const afterWriter = [];
  for (let i = 0; i < 3; i++) {
    execFileSync(process.execPath, [
      '--input-type=module',
      '-e',
      `import { CSVExperimentTracker } from 'evaltrack/csv';
       import { realisticResult } from ${JSON.stringify(new URL('./realistic-result.mjs', import.meta.url).href)};
       const t = new CSVExperimentTracker('bench', { outputDir: ${JSON.stringify(dir)} });
       const batch = Array.from({ length: 1000 }, (_, i) => realisticResult(i + ${i * 1000}));
       await t.logBatch(batch.map((x) => x.evaluationResult), 'rag', batch.map((x) => x.data),
         { runId: 'appended-${process.pid}-${i}' });
       await t.close();`,
    ]);
    afterWriter.push(await readOnce());
  }
  note('right after another process logBatch-ed 1,000 results', {
    ms: afterWriter,
    target: '< 500',
  });

  // Python appends rows without the index: 1,000 rows of run-0 as another run, as raw bytes.
  const head = Buffer.alloc(16 * 1024 * 1024);
  const fd = openSync(results, 'r');
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const lines = head
    .toString('latin1')
    .split('\r\n')
    .slice(1, 1 + PER_RUN);
  const afterPython = [];
  for (let i = 0; i < 3; i++) {
    const rows = lines.map((l) => `py-${process.pid}-${i}` + l.slice(l.indexOf(',')) + '\r\n');
    appendFileSync(results, Buffer.from(rows.join(''), 'latin1'));
    afterPython.push(await readOnce());
  }
  note('right after 1,000 rows appended as Python does (not indexed: scanned, then indexed)', {
    ms: afterPython,
    target: '< 500',
  });

  // A stale index (here: garbage) is rebuilt by one scan of the whole file.
  const saved = readFileSync(index);
  writeFileSync(index, 'garbage\n');
  const rebuild = await readOnce();
  const afterRebuild = await readOnce();
  writeFileSync(index, saved);
  note('read that rebuilds a stale index (one scan), and the read after it', {
    rebuildMs: rebuild,
    nextMs: afterRebuild,
  });

  // The whole-file scan the read was before: the index moved aside (no index: no bookkeeping).
  renameSync(index, `${index}.aside`);
  const scan = [];
  for (let i = 0; i < 2; i++) scan.push(await readOnce());
  renameSync(`${index}.aside`, index);
  note('the same read by a whole-file scan (no index)', {
    ms: scan,
    scanMBps: fileMB / (median(scan) / 1000),
  });
  if (process.env.BASELINE_DIST) {
    const dist = resolve(process.env.BASELINE_DIST);
    const { CSVExperimentTracker: Baseline } = await import(
      pathToFileURL(join(dist, 'csv.js')).href
    );
    const base = [];
    for (let i = 0; i < 2; i++) {
      const t = new Baseline('bench', { outputDir: dir });
      const start = now();
      await t.getRunResults(RUN);
      base.push(now() - start);
      await t.close();
    }
    note('the same read by the baseline build (a whole-file scan)', {
      ms: base,
      scanMBps: fileMB / (median(base) / 1000),
    });
  }
} finally {
  if (root) rmSync(root, { recursive: true, force: true });
}
