// The dashboard in Debian's chromium (playwright-core): how soon a view is usable, each next to
// the library call that reads the same data, in the same run.
// Runs on its own too, over a store of 1,000 runs it fills first:
// `npm run build && node --expose-gc bench/ui-section.mjs [--quick] [--runs-view]` (`--runs-view`:
// that view alone).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { serveUi } from '../dist/ui/serve-ui.js';
import { realisticResult } from './realistic-result.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;
const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));

/** Runs the dashboard measures on `bigFile` (1,000 runs) and a store with one 100,000-row run. */
export async function uiSection({ root, pool, bigFile, scale, note, runsViewOnly = false }) {
  if (!CHROMIUM) {
    note('dashboard', { skipped: 'no chromium installed (apt-get install chromium)' });
    return;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    // The runs view of the 1,000-run store, each run with a context of three keys (prompt
    // version, git sha, branch): the page until the table holds the 1,000 runs (the rows in view
    // are in the page, the rest are reached by scrolling) and the chart is drawn; then scrolled to
    // the end, until the last run's row is shown.
    {
      const tracker = new SqliteExperimentTracker('bench', { file: bigFile });
      const runs = await tracker.getExperimentHistory();
      for (const [i, run] of runs.entries()) {
        if (Object.keys(run.context).length > 0) continue;
        await tracker.logContext(
          {
            prompt_version: `v${i % 4}`,
            git_sha: (0x1000000 + i * 7919).toString(16),
            branch: i % 9 ? 'main' : 'exp',
          },
          { runId: run.runId },
        );
      }
      const server = await serveUi(tracker, { port: 0 });
      const ours = [];
      const toEnd = [];
      const base = [];
      for (let i = 0; i < 7; i++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        let start = now();
        await page.goto(`${server.url}/`);
        await page.waitForFunction(
          () =>
            document.querySelector('#runs')?.getAttribute('aria-rowcount') === '1001' &&
            document.querySelector('#runs tbody tr[aria-rowindex]') !== null &&
            document.querySelector('.runs-chart canvas') !== null,
        );
        ours.push(now() - start);
        start = now();
        await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
        await page.waitForSelector('#runs tr[aria-rowindex="1001"]');
        toEnd.push(now() - start);
        await page.close();
        start = now();
        await tracker.getExperimentHistory();
        base.push(now() - start);
      }
      await server.close();
      await tracker.close();
      note(
        'dashboard runs view of 1,000 runs, until the table (rows in view) and the chart are shown',
        {
          ms: median(ours),
          scrollToLastMs: median(toEnd),
          historyMs: median(base),
          target: '< 1000 ms',
        },
      );
    }
    if (runsViewOnly) return;

    // A run of 100,000 results: the run view until its first rows are visible, on a fresh server
    // each time (nothing cached), next to reading the whole run with getRunResults.
    {
      const n = Math.round(100_000 * scale);
      const file = join(root, 'ui-big-run.sqlite');
      const tracker = new SqliteExperimentTracker('bench', { file });
      for (let from = 0; from < n; from += 1000) {
        const batch = Array.from(
          { length: Math.min(1000, n - from) },
          (_, k) => pool[(from + k) % pool.length],
        );
        await tracker.logBatch(
          batch.map((r) => r.evaluationResult),
          'rag',
          batch.map((r, k) => ({ ...r.data, id: `s${from + k}` })),
          { runId: 'big' },
        );
      }
      const ours = [];
      const base = [];
      let pageBytes = 0;
      let pageRows = 0;
      for (let i = 0; i < 5; i++) {
        const server = await serveUi(tracker, { port: 0 });
        const page = await browser.newPage();
        let start = now();
        await page.goto(`${server.url}/run/big`);
        await page.waitForSelector('.spacer .row [role=gridcell]:not(.muted)');
        ours.push(now() - start);
        if (i === 0) {
          const body = await (
            await fetch(`${server.url}/api/runs/big/rows?offset=0&limit=100`)
          ).text();
          pageBytes = Buffer.byteLength(body);
          pageRows = JSON.parse(body).rows.length;
        }
        await page.close();
        await server.close();
        start = now();
        await tracker.getRunResults('big');
        base.push(now() - start);
      }
      await tracker.close();
      note(`dashboard run view of a ${n}-row run, until the first rows are visible`, {
        ms: median(ours),
        getRunResultsMs: median(base),
        ratio: median(base) / median(ours),
        apiPageRows: pageRows,
        apiPageKB: pageBytes / 1000,
        target: '< 1000 ms, rows paged',
      });
    }
  } finally {
    await browser.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // The store bench/run.mjs builds in its SQLite section: 1,000 runs (of 100 results each with
  // --quick, 1,000 otherwise).
  const scale = process.argv.includes('--quick') ? 0.1 : 1;
  const root = mkdtempSync(join(tmpdir(), 'evaltrack-bench-ui-'));
  const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));
  const bigFile = join(root, 'big.sqlite');
  const tracker = new SqliteExperimentTracker('bench', { file: bigFile });
  const perRun = Math.round(1000 * scale);
  for (let run = 0, k = 0; run < 1000; run++) {
    const batch = Array.from({ length: perRun }, () => pool[k++ % pool.length]);
    await tracker.logBatch(
      batch.map((r) => r.evaluationResult),
      'rag',
      batch.map((r) => r.data),
      { runId: `run-${run}`, metadata: batch[0].metadata },
    );
  }
  await tracker.close();
  try {
    await uiSection({
      root,
      pool,
      bigFile,
      scale,
      runsViewOnly: process.argv.includes('--runs-view'),
      note: (name, value) => console.log(`${name}: ${JSON.stringify(value)}`),
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
