// `evaltrack report --format html` of two 10,000-sample runs of realistic results (each with
// three explained metrics, a task latency and a cost), in a CSV folder and a SQLite file: the
// library path (load the comparison, build the model, render the HTML; median of 5), the file's
// size, and the whole CLI process once when this build has the `report` command.
//
//   npm run build && node --expose-gc bench/report-only.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { loadComparison } from '../dist/cli/compare-named-runs.js';
import { buildReportModel } from '../dist/report/report-model.js';
import { htmlReport } from '../dist/report/html-report.js';
import { reportData } from '../dist/report/report-data.js';
import { realisticResult } from './realistic-result.mjs';

const N = 10_000;
const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const root = mkdtempSync(join(tmpdir(), 'evaltrack-report-bench-'));

/**
 * The baseline judges sample i as realisticResult(i); the candidate answers and is judged as
 * realisticResult(i + 1) on the same question, so about a tenth of the samples regress and a
 * tenth improve.
 */
async function fill(tracker) {
  for (const [runId, shift, latency] of [
    ['baseline', 0, 800],
    ['candidate', 1, 760],
  ]) {
    for (let from = 0; from < N; from += 1000) {
      const batch = Array.from({ length: 1000 }, (_, k) => {
        const i = from + k;
        const judged = realisticResult(i + shift);
        return {
          output: judged.evaluationResult,
          data: { ...realisticResult(i).data, actual_output: judged.data.actual_output },
          measures: {
            task: { latencyMs: latency + ((i * 37) % 400), cost: 0.0012 + (i % 7) * 1e-4 },
          },
        };
      });
      await tracker.logBatch(
        batch.map((b) => b.output),
        'rag',
        batch.map((b) => b.data),
        { runId, measures: batch.map((b) => b.measures), metadata: { model_name: runId } },
      );
    }
  }
}

async function measure(name, open, store) {
  const tracker = open();
  await fill(tracker);
  const load = [];
  const model = [];
  const html = [];
  let bytes = 0;
  let samples = 0;
  let json = 0;
  for (let round = 0; round < 5; round++) {
    globalThis.gc?.();
    let t = now();
    const loaded = await loadComparison(tracker, ['baseline', 'candidate'], {});
    load.push(now() - t);
    t = now();
    const m = buildReportModel(loaded, null, null);
    model.push(now() - t);
    t = now();
    const page = htmlReport(m);
    html.push(now() - t);
    bytes = Buffer.byteLength(page);
    samples = m.samples.length;
    if (round === 0) json = JSON.stringify(reportData(m)).length;
  }
  await tracker.close();
  const total = median(load.map((x, i) => x + model[i] + html[i]));
  console.log(
    `${name}: ${samples} samples; load ${median(load).toFixed(0)} ms, model ${median(model).toFixed(0)} ms, HTML ${median(html).toFixed(0)} ms, together ${total.toFixed(0)} ms (median of 5); file ${(bytes / 1e6).toFixed(2)} MB (its data ${(json / 1e6).toFixed(1)} MB of JSON before gzip)`,
  );
  const help = spawnSync(process.execPath, [BIN, 'report', '--help'], { encoding: 'utf8' });
  if (help.status !== 0) {
    console.log(`${name}: CLI not measured: this build has no \`evaltrack report\` command`);
    return;
  }
  const out = join(root, `${name}.html`);
  const t = now();
  execFileSync(process.execPath, [
    BIN,
    'report',
    'baseline',
    'candidate',
    '--format',
    'html',
    '--out',
    out,
    '--store',
    store,
  ]);
  console.log(
    `${name}: \`evaltrack report --format html\` process ${(now() - t).toFixed(0)} ms, file ${(statSync(out).size / 1e6).toFixed(2)} MB`,
  );
}

try {
  const csvDir = join(root, 'csv');
  await measure('CSV', () => new CSVExperimentTracker('bench', { outputDir: csvDir }), csvDir);
  const file = join(root, 'report.sqlite');
  await measure('SQLite', () => new SqliteExperimentTracker('bench', { file }), `sqlite:${file}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
