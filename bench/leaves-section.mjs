// log() of one result with thousands of score leaves: the time must grow linearly with the number
// of leaves (flattening, column placement, the header), so 5,000 leaves cost about 5x 1,000.
// Runs on its own too: `npm run build && node bench/leaves-section.mjs`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** One evaluator with `n` metrics, each a score and its success: 2n + 2 columns. */
export function manyLeaves(n) {
  const judge = { aggregate_score: 0.5, aggregate_success: false };
  for (let i = 0; i < n; i++) judge[`m${i}`] = { score: i % 2, success: i % 2 === 1 };
  return { judge };
}

/** Median ms of log() of an `n`-leaf result, after a first log that writes the header. */
function timeLog(open, n) {
  const result = manyLeaves(n);
  const t = open();
  t.log(result, 'd', { id: 'first' });
  const times = [];
  for (let i = 0; i < 7; i++) {
    const start = now();
    t.log(result, 'd', { id: `s${i}` });
    times.push(now() - start);
  }
  return { ms: median(times), close: () => t.close() };
}

export async function leavesSection({ root, note }) {
  for (const [store, open] of [
    ['csv', (dir) => new CSVExperimentTracker('bench', { outputDir: dir })],
    ['sqlite', (dir) => new SqliteExperimentTracker('bench', { file: join(dir, 'x.sqlite') })],
  ]) {
    const ms = {};
    for (const n of [1000, 5000]) {
      const dir = mkdtempSync(join(root, `leaves-${store}-`));
      const run = timeLog(() => open(dir), n);
      await run.close();
      rmSync(dir, { recursive: true, force: true });
      ms[n] = run.ms;
    }
    note(`${store} log() of one 5,000-leaf result, next to a 1,000-leaf one`, {
      msAt5000: ms[5000],
      msAt1000: ms[1000],
      ratio: ms[5000] / ms[1000],
      target: 'linear: about 5 (quadratic: 25)',
    });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = mkdtempSync(join(tmpdir(), 'evaltrack-bench-leaves-'));
  await leavesSection({
    root,
    note: (name, value) => console.log(`${name}: ${JSON.stringify(value)}`),
  });
  rmSync(root, { recursive: true, force: true });
}
