// Takes the README's screenshots of the dashboard over the quickstart's store (run `npm start`
// first): docs/ui-runs.png, docs/ui-run.png, docs/ui-sample.png, docs/ui-compare.png, and of the
// HTML report of its two runs, opened from file://: docs/report.png.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { serveUi } from '../dist/ui/serve-ui.js';
import { loadComparison } from '../dist/cli/compare-named-runs.js';
import { buildReportModel } from '../dist/report/report-model.js';
import { htmlReport } from '../dist/report/html-report.js';

const out = new URL('../docs/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const tracker = new CSVExperimentTracker('quickstart', { outputDir: './gllm_evals/experiments' });
const runs = await tracker.getExperimentHistory();
const [candidate, baseline] = runs;
if (!candidate || !baseline) throw new Error('run `npm start` first: it makes the two runs shown');
const server = await serveUi(tracker, { port: 0 });
const browser = await chromium.launch({
  executablePath: '/usr/lib/chromium/chromium',
  args: ['--no-sandbox'],
});
const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
const shot = async (path, ready, name) => {
  await page.goto(`${server.url}${path}`);
  await page.waitForSelector(ready);
  await page.waitForTimeout(300); // charts settle their size
  await page.screenshot({ path: `${out}${name}` });
};
await shot('/', '#runs tbody tr', 'ui-runs.png');
const records = await tracker.getRunResults(baseline.runId);
const failed =
  records.find((r) => r.values['generation.aggregate_success'] === false) ?? records[0];
await shot(`/run/${encodeURIComponent(baseline.runId)}`, '#metric-summary', 'ui-run.png');
await shot(
  `/run/${encodeURIComponent(baseline.runId)}?sample=${encodeURIComponent(failed.resultId)}`,
  '.detail h2',
  'ui-sample.png',
);
await shot(
  `/compare?baseline=${encodeURIComponent(baseline.runId)}&candidate=${encodeURIComponent(candidate.runId)}`,
  '#metrics',
  'ui-compare.png',
);
const loaded = await loadComparison(tracker, [baseline.runId, candidate.runId], {});
const reportDir = mkdtempSync(join(tmpdir(), 'evaltrack-report-'));
const reportFile = join(reportDir, 'report.html');
writeFileSync(reportFile, htmlReport(buildReportModel(loaded, null, server.url)));
await page.goto(pathToFileURL(reportFile).href);
await page.waitForSelector('body[data-ready="true"]');
await page.waitForTimeout(300);
await page.screenshot({ path: `${out}report.png` });
rmSync(reportDir, { recursive: true, force: true });
await browser.close();
await server.close();
await tracker.close();
console.log(
  'wrote docs/ui-runs.png, docs/ui-run.png, docs/ui-sample.png, docs/ui-compare.png, docs/report.png',
);
