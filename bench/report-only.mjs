// `evaltrack report --format html` of two 10,000-sample runs of realistic results (each with
// three explained metrics, a task latency and a cost), in a CSV folder and a SQLite file: the
// library path as the command takes it (load the comparison keeping what the report reads, build
// the model, write the HTML; median of 5), the file's size, and the whole `evaltrack report`
// process 5 times in each format (`--format html`, then the default Markdown), with its peak
// memory. Then the same results with texts of random words, which compress as prose does, not as
// the generated texts (one paragraph repeated).
//
//   npm run build && node --expose-gc bench/report-only.mjs
//
// EVALTRACK_BIN=<another build's dist/cli/bin.js> times that build's process on the same stores
// (the library path is this build's).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { loadReportComparison } from '../dist/cli/commands/report.js';
import { buildReportModel } from '../dist/report/report-model.js';
import { writeHtmlReport } from '../dist/report/html-report.js';
import { reportDataJson } from '../dist/report/report-data.js';
import { realisticResult } from './realistic-result.mjs';

const N = 10_000;
const BIN =
  process.env.EVALTRACK_BIN ?? fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const root = mkdtempSync(join(tmpdir(), 'evaltrack-report-bench-'));
/** Prints, as the process exits, its peak RSS above its RSS when the hook loaded (in KB). */
const MEMORY_HOOK = `data:text/javascript,${encodeURIComponent(
  "const start = process.memoryUsage().rss / 1024; process.on('exit', () => process.stderr.write('peak-above-start-kb ' + Math.round(process.resourceUsage().maxRSS - start) + '\\n'));",
)}`;

/** Words drawn at random (seeded): text that compresses about as well as prose, 3 to 1. */
const VOCABULARY = Array.from({ length: 2000 }, (_, i) =>
  ((i * 2654435761) >>> 0).toString(36).slice(0, 3 + (i % 7)),
);
function prose(seed, length) {
  let x = seed * 7919 + 1;
  let out = '';
  while (out.length < length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += `${VOCABULARY[x % VOCABULARY.length]} `;
  }
  return out.slice(0, length);
}
/** A result with each of its texts replaced by as many characters of {@link prose}. */
function scrambled(result, seed) {
  let n = 0;
  const visit = (v) =>
    typeof v === 'string' && v.length > 20
      ? prose(seed * 31 + n++, v.length)
      : Array.isArray(v)
        ? v.map(visit)
        : typeof v === 'object' && v !== null
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]))
          : v;
  return visit(result);
}

/**
 * The baseline judges sample i as realisticResult(i); the candidate answers and is judged as
 * realisticResult(i + 1) on the same question, so about a tenth of the samples regress and a
 * tenth improve.
 */
async function fill(tracker, texts) {
  for (const [runId, shift, latency] of [
    ['baseline', 0, 800],
    ['candidate', 1, 760],
  ]) {
    for (let from = 0; from < N; from += 1000) {
      const batch = Array.from({ length: 1000 }, (_, k) => {
        const i = from + k;
        const judged = texts(realisticResult(i + shift), i + shift);
        return {
          output: judged.evaluationResult,
          data: { ...texts(realisticResult(i), i).data, actual_output: judged.data.actual_output },
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

async function measure(name, open, store, texts = (r) => r) {
  const tracker = open();
  await fill(tracker, texts);
  const load = [];
  const model = [];
  const html = [];
  let bytes = 0;
  let samples = 0;
  let json = 0;
  let brief = '';
  for (let round = 0; round < 5; round++) {
    globalThis.gc?.();
    let t = now();
    const loaded = await loadReportComparison(tracker, ['baseline', 'candidate'], {});
    load.push(now() - t);
    t = now();
    const m = buildReportModel(loaded, null, null);
    model.push(now() - t);
    t = now();
    bytes = 0;
    let footer = '';
    await writeHtmlReport(m, async (s) => {
      bytes += Buffer.byteLength(s);
      if (s.includes('<footer')) footer = s;
    });
    html.push(now() - t);
    samples = m.samples.length;
    if (round === 0) {
      json = 0;
      for (const piece of reportDataJson(m).json) json += piece.length;
      brief = /To keep this file small, the ([\d,]+) unchanged samples/.exec(footer)?.[1] ?? '0';
    }
  }
  await tracker.close();
  const total = median(load.map((x, i) => x + model[i] + html[i]));
  console.log(
    `${name}: ${samples} samples; load ${median(load).toFixed(0)} ms, model ${median(model).toFixed(0)} ms, HTML ${median(html).toFixed(0)} ms, together ${total.toFixed(0)} ms (median of 5); file ${(bytes / 1e6).toFixed(2)} MB (its data ${(json / 1e6).toFixed(1)} MB of JSON before gzip; unchanged samples with an input preview only: ${brief})`,
  );
  // The whole CLI process, 5 times in each format. Its peak RSS above its RSS at start comes from
  // a hook loaded before the command (`--import`).
  for (const format of ['html', 'md']) {
    const out = join(root, `${name}.${format}`);
    const walls = [];
    const peaks = [];
    let failed = '';
    for (let round = 0; round < 5 && !failed; round++) {
      const t = now();
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          MEMORY_HOOK,
          BIN,
          'report',
          'baseline',
          'candidate',
          '--format',
          format,
          '--out',
          out,
          '--force',
          '--store',
          store,
        ],
        { encoding: 'utf8' },
      );
      walls.push(now() - t);
      if (run.status !== 0) failed = run.stderr.split('\n')[0];
      const peak = /peak-above-start-kb (\d+)/.exec(run.stderr)?.[1];
      if (peak) peaks.push(Number(peak) / 1024);
    }
    if (failed) {
      console.log(`${name}: \`evaltrack report --format ${format}\` not measured: ${failed}`);
      continue;
    }
    console.log(
      `${name}: \`evaltrack report --format ${format}\`, the whole process: ${median(walls).toFixed(0)} ms (median of 5; ${walls.map((w) => w.toFixed(0)).join(', ')}), peak RSS ${median(peaks).toFixed(0)} MB above its start (${peaks.map((p) => p.toFixed(0)).join(', ')}), file ${(statSync(out).size / 1e6).toFixed(2)} MB`,
    );
  }
}

try {
  const csvDir = join(root, 'csv');
  await measure('CSV', () => new CSVExperimentTracker('bench', { outputDir: csvDir }), csvDir);
  const file = join(root, 'report.sqlite');
  await measure('SQLite', () => new SqliteExperimentTracker('bench', { file }), `sqlite:${file}`);
  // The same results with texts that repeat no paragraph: the data no longer fits whole.
  const other = join(root, 'prose.sqlite');
  await measure(
    'SQLite, texts of random words',
    () => new SqliteExperimentTracker('bench', { file: other }),
    `sqlite:${other}`,
    scrambled,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
