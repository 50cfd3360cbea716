// The report's golden files: each format of `evaltrack report` over the fixed store in
// test/fixtures/report-store/store, written to test/fixtures/report-store/golden/. The test
// (test/report/report-goldens.test.ts) renders the same and compares byte for byte.
//
//   npm run build && node scripts/regenerate-report-goldens.mjs
//
// One entry per format in GOLDENS: its file and how it renders the report model.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSVExperimentTracker } from '../dist/csv.js';
import { loadComparison } from '../dist/cli/compare-named-runs.js';
import { gateVerdict, readGateLimits } from '../dist/cli/gate-verdict.js';
import { buildReportModel } from '../dist/report/report-model.js';
import { htmlReport } from '../dist/report/html-report.js';
import { markdownReport } from '../dist/report/markdown-report.js';

const fixture = fileURLToPath(new URL('../test/fixtures/report-store/', import.meta.url));
export const GOLDEN_DIR = join(fixture, 'golden');

/** The two runs, the gate's flags and the dashboard's address the goldens are made with. */
export const GOLDEN_ARGS = {
  positionals: ['base-<img src=x onerror=alert(1)>', 'cand-</script>'],
  gate: { 'max-regressions': '0', 'max-cost': '0.02', 'max-p95-latency': '700' },
  uiUrl: 'http://127.0.0.1:7878/',
};

/** Each golden file and how it renders the report model. */
export const GOLDENS = [
  { file: 'report.html', render: (model) => htmlReport(model) },
  { file: 'report.md', render: (model) => markdownReport(model) },
];

/** The report model of the fixture's two runs, read from a copy (a store may write beside it). */
export async function goldenModel() {
  const dir = mkdtempSync(join(tmpdir(), 'evaltrack-report-golden-'));
  try {
    cpSync(join(fixture, 'store'), dir, { recursive: true });
    const tracker = new CSVExperimentTracker('report-fixture', { outputDir: dir });
    try {
      const loaded = await loadComparison(tracker, GOLDEN_ARGS.positionals, GOLDEN_ARGS.gate);
      const gate = gateVerdict(loaded, readGateLimits(GOLDEN_ARGS.gate));
      return buildReportModel(loaded, gate, GOLDEN_ARGS.uiUrl);
    } finally {
      await tracker.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every golden's file name and content. */
export async function renderGoldens() {
  const model = await goldenModel();
  return GOLDENS.map((g) => ({ file: g.file, content: g.render(model) }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(GOLDEN_DIR, { recursive: true });
  for (const { file, content } of await renderGoldens()) {
    writeFileSync(join(GOLDEN_DIR, file), content);
    console.log(
      `wrote ${join('test/fixtures/report-store/golden', file)} (${content.length} characters)`,
    );
  }
}
