// Import speed and peak memory of a large promptfoo results.jsonl (issue 19: a 100,000-row file
// imports with peak memory under 200 MB), each import in a child process of its own so that its
// peak RSS (the kernel's maxRSS) is that import's alone.
//
//   npm run build && node bench/import-peers-only.mjs
//
// ROWS rows (default 100,000) made from the 24 rows of the promptfoo fixture
// (test/fixtures/peers/promptfoo/results.jsonl): each row's id and sample id made unique, the
// two providers kept, so the file is one eval of ROWS / 2 samples x 2 models. Imported into a CSV
// folder and a SQLite file; results per second counts both passes (the check, then the store).
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

if (process.argv[2] === 'child') {
  const [, , , kind, file, where] = process.argv;
  const { importPromptfoo } = await import('evaltrack');
  const tracker =
    kind === 'sqlite'
      ? new (await import('evaltrack/sqlite')).SqliteExperimentTracker('bench', { file: where })
      : new (await import('evaltrack/csv')).CSVExperimentTracker('bench', { outputDir: where });
  const start = performance.now();
  const report = await importPromptfoo(tracker, file, { datasetName: 'big' });
  await tracker.close();
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(
    JSON.stringify({
      kind,
      results: report.results,
      imported: report.imported,
      seconds: Number(seconds.toFixed(2)),
      resultsPerSecond: Math.round(report.results / seconds),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
  process.exit(0);
}

const ROWS = Number(process.env.ROWS ?? 100_000);
const FIXTURE = fileURLToPath(
  new URL('../test/fixtures/peers/promptfoo/results.jsonl', import.meta.url),
);
const rows = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l));
const root = mkdtempSync(join(tmpdir(), 'evaltrack-import-peers-bench-'));
try {
  const file = join(root, 'results.jsonl');
  const out = createWriteStream(file);
  for (let i = 0; i < ROWS; i++) {
    const row = structuredClone(rows[i % rows.length]);
    const sample = `s${Math.floor(i / rows.length) * 12 + row.testIdx}`;
    row.id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    row.testIdx = Math.floor(i / 2);
    row.vars.id = sample;
    row.testCase.vars.id = sample;
    row.testCase.description = sample;
    if (!out.write(`${JSON.stringify(row)}\n`)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  const mb = (statSync(file).size / 1024 / 1024).toFixed(1);
  console.log(`promptfoo results.jsonl: ${ROWS} rows, ${mb} MB`);
  for (const kind of ['csv', 'sqlite']) {
    const where = kind === 'sqlite' ? join(root, 'evals.sqlite') : join(root, 'csv');
    const line = execFileSync(process.execPath, [SELF, 'child', kind, file, where], {
      encoding: 'utf8',
    });
    console.log(line);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
