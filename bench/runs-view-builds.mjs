// The dashboard's runs view of two builds side by side, in one process, alternating round by round
// so that a busy machine slows both alike, with the same view over a store of one run as the floor
// (a new page, the script, one API call):
//
//   node bench/runs-view-builds.mjs <dist before> <dist after> [rounds]
//
// e.g. a build of an older commit (`git worktree add /tmp/old <rev>`, node_modules linked, `npm
// run build`) against this one's `dist`. Each build's page is waited for as it shows the view: a
// build that puts every row in the page until its 1,000 rows are there, a build that puts only the
// rows in view until the table holds the 1,000 runs and the chart is drawn.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { realisticResult } from './realistic-result.mjs';

const [before, after] = process.argv.slice(2, 4).map((d) => resolve(d));
if (!before || !after) throw new Error('usage: runs-view-builds.mjs <distBefore> <distAfter>');
const rounds = Number(process.argv[4] ?? 9);
const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));
if (!CHROMIUM) throw new Error('no chromium installed (apt-get install chromium)');
const load = (dist, f) => import(pathToFileURL(join(dist, f)).href);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

// 1,000 runs of 100 results with a context of three keys, and a store of one such run.
const root = mkdtempSync(join(tmpdir(), 'evaltrack-runs-view-'));
const many = join(root, 'many.sqlite');
const one = join(root, 'one.sqlite');
{
  const { SqliteExperimentTracker } = await load(after, 'sqlite.js');
  const pool = Array.from({ length: 2000 }, (_, i) => realisticResult(i));
  for (const [file, runs] of [
    [many, 1000],
    [one, 1],
  ]) {
    const t = new SqliteExperimentTracker('bench', { file });
    for (let run = 0, k = 0; run < runs; run++) {
      const batch = Array.from({ length: 100 }, () => pool[k++ % pool.length]);
      const runId = `run-${run}`;
      await t.logBatch(
        batch.map((r) => r.evaluationResult),
        'rag',
        batch.map((r) => r.data),
        { runId, metadata: batch[0].metadata },
      );
      await t.logContext(
        {
          prompt_version: `v${run % 4}`,
          git_sha: (0x1000000 + run * 7919).toString(16),
          branch: run % 9 ? 'main' : 'exp',
        },
        { runId },
      );
    }
    await t.close();
  }
}

// Each is given the number of runs; a function passed to the page cannot close over it.
const allRows = (n) => document.querySelectorAll('#runs tbody tr').length === n;
const shown = (n) =>
  document.querySelector('#runs')?.getAttribute('aria-rowcount') === String(n + 1) &&
  document.querySelector('#runs tbody tr[aria-rowindex]') !== null &&
  document.querySelector('.runs-chart canvas') !== null;
const views = [
  { name: 'before', dist: before, file: many, runs: 1000 },
  { name: 'after', dist: after, file: many, runs: 1000 },
  { name: 'after, 1 run', dist: after, file: one, runs: 1, wait: shown },
];
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
try {
  for (const v of views) {
    const { SqliteExperimentTracker } = await load(v.dist, 'sqlite.js');
    const { serveUi } = await load(v.dist, 'ui/serve-ui.js');
    v.tracker = new SqliteExperimentTracker('bench', { file: v.file });
    v.server = await serveUi(v.tracker, { port: 0 });
    // Which kind of build: one that numbers its rows puts only those in view in the page.
    const page = await browser.newPage();
    await page.goto(`${v.server.url}/`);
    await page.waitForSelector('#runs tbody tr');
    v.wait ??= (await page.$('#runs[aria-rowcount]')) ? shown : allRows;
    await page.close();
    v.ms = [];
  }
  const loads = [];
  for (let i = 0; i < rounds; i++) {
    for (const v of i % 2 ? [...views].reverse() : views) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const start = now();
      await page.goto(`${v.server.url}/`);
      await page.waitForFunction(v.wait, v.runs, { timeout: 120_000 });
      v.ms.push(now() - start);
      await page.close();
    }
    loads.push(loadavg()[0]);
  }
  for (const v of views) console.log(`${v.name}: median ${Math.round(median(v.ms))} ms`);
  console.log(`load average (1 min) over the rounds: ${loads.map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await browser.close();
  for (const v of views) {
    await v.server?.close();
    await v.tracker?.close();
  }
  rmSync(root, { recursive: true, force: true });
}
