// The log() measure of `npm run bench`, shared with `bench/csv-log-only.mjs`: the simplest logger
// that works, and the CSV tracker's log() loop it is compared with.
import { closeSync, openSync, writeSync } from 'node:fs';

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** The simplest logger that works: what it needs to group and order rows, and the result. */
export const baselineLine = (r) =>
  JSON.stringify({
    runId: 'baseline-run',
    datasetName: 'rag',
    timestamp: new Date().toISOString(),
    ...r,
  });

/** Rows per second of `baselineLine` + one `writeSync` per row to a file held open in append mode. */
export function baselineLog(pool, file, n) {
  const fd = openSync(file, 'a');
  const start = now();
  for (let i = 0; i < n; i++) {
    const r = pool[i % pool.length];
    writeSync(fd, baselineLine(r) + '\n');
  }
  const ms = now() - start;
  closeSync(fd);
  return n / (ms / 1000);
}

/** Rows per second of `log()` of `n` results into the folder `dir`, after a first log that opens the file. */
export async function trackerLog(CSVExperimentTracker, pool, dir, n, runId = 'log-run') {
  const t = new CSVExperimentTracker('bench', { outputDir: dir });
  t.log(pool[0].evaluationResult, 'rag', pool[0].data, { runId }); // opens the file
  const start = now();
  for (let i = 1; i <= n; i++) {
    const r = pool[i % pool.length];
    t.log(r.evaluationResult, 'rag', r.data, { runId, metadata: r.metadata });
  }
  const ms = now() - start;
  await t.close();
  return n / (ms / 1000);
}
