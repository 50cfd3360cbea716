// Peak memory of the reads issue 18 bounds (under 200 MB above the process's start), each in a
// child process of its own (bench/memory-child.mjs) so that the figure is that read's alone: peak
// RSS (the kernel's maxRSS) minus the RSS after the store is open and before the read.
//
//   npm run build && node bench/memory-only.mjs
//
// One run of ROWS realistic results (default 100,000; bench/realistic-result.mjs, about 4.3 KB
// each in a CSV row) in a SQLite file and in a CSV folder. For each: getRunResults (the whole run
// as an array), iterateRunResults (the same records, one at a time), and how much of the heap the
// array getRunResults returns holds once garbage is collected (its retained size): the floor of
// any read that returns the run whole.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { realisticResult } from './realistic-result.mjs';

const ROWS = Number(process.env.ROWS ?? 100_000);
const CHILD = fileURLToPath(new URL('./memory-child.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'evaltrack-memory-bench-'));
const pool = Array.from({ length: 2000 }, (_, i) => realisticResult(i));

async function fill(tracker) {
  for (let from = 0; from < ROWS; from += 1000) {
    const batch = Array.from(
      { length: Math.min(1000, ROWS - from) },
      (_, k) => pool[(from + k) % pool.length],
    );
    await tracker.logBatch(
      batch.map((r) => r.evaluationResult),
      'rag',
      batch.map((r, k) => ({ ...r.data, id: `s${from + k}` })),
      { runId: 'big', metadata: batch[0].metadata },
    );
  }
  await tracker.close();
}

const child = (store, how) =>
  JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', CHILD, store, how], {
      encoding: 'utf8',
      maxBuffer: 1e6,
    }),
  );

try {
  const stores = [
    [
      'SQLite',
      `sqlite:${join(root, 'big.sqlite')}`,
      () => new SqliteExperimentTracker('bench', { file: join(root, 'big.sqlite') }),
    ],
    [
      'CSV',
      join(root, 'csv'),
      () => new CSVExperimentTracker('bench', { outputDir: join(root, 'csv') }),
    ],
  ];
  for (const [name, store, open] of stores) {
    await fill(open());
    for (const how of ['getRunResults', 'iterateRunResults']) {
      const runs = [0, 1, 2].map(() => child(store, how));
      const median = (f) => runs.map(f).sort((a, b) => a - b)[1];
      console.log(
        `${name}, ${how} of a ${ROWS}-row run: peak RSS ${median((r) => r.peakAboveMB).toFixed(0)} MB above the start (median of 3: ${runs.map((r) => r.peakAboveMB.toFixed(0)).join(', ')}), ${median((r) => r.ms).toFixed(0)} ms, ${runs[0].rows} rows` +
          (how === 'getRunResults'
            ? `; the array holds ${median((r) => r.retainedMB).toFixed(0)} MB of heap once garbage is collected (${((median((r) => r.retainedMB) * 1e6) / ROWS / 1e3).toFixed(1)} KB a result)`
            : ''),
      );
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
