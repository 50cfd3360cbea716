// The runs view in a real browser (Debian's chromium through playwright-core), served by the built
// package over a SQLite store built with the library: two datasets, runs with context (markup in
// keys, values and a run id), with and without latency and cost.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import type { ResultMeasures } from 'evaltrack';
import { serveUi } from '../../dist/ui/serve-ui.js';
import type { UiServer } from '../../dist/ui/serve-ui.js';
import {
  CHROMIUM,
  SHOTS,
  launchChromium,
  openPage,
  requireChromiumInCi,
} from '../helpers/browser.js';
import { tempDir } from '../helpers/temp-dir.js';

requireChromiumInCi('the runs view');

const XSS = [
  '<img src=x onerror="window.__pwned=1">',
  '</script><script>window.__pwned=2</script>',
  '<b onmouseover="window.__pwned=3">bold</b>',
];

const judged = (pass: boolean, score: number) => ({
  judge: { aggregate_success: pass, quality: { score, success: score >= 0.5, explanation: 'x' } },
});

/** A run of `passes.length` samples, made at `day` (January 2026, 09:30 UTC), with `context`. */
interface Spec {
  runId: string;
  dataset: string;
  day: number;
  passes: boolean[];
  scores: number[];
  context: Record<string, unknown>;
  measures?: ResultMeasures[];
}

const RUNS: Spec[] = [
  {
    runId: 'faq-1',
    dataset: 'faq',
    day: 1,
    passes: [true, false, true, false],
    scores: [0.9, 0.2, 0.8, 0.1],
    context: { prompt_version: 'v1', git_sha: 'aaa111', branch: 'main' },
  },
  {
    runId: 'faq-2',
    dataset: 'faq',
    day: 2,
    passes: [true, true, false, true],
    scores: [0.9, 0.8, 0.3, 0.7],
    context: { prompt_version: 'v2', git_sha: 'bbb222', branch: 'main' },
    measures: [850, 1200, 400, 610].map((latencyMs) => ({ task: { latencyMs, cost: 0.0125 } })),
  },
  {
    runId: 'faq-3',
    dataset: 'faq',
    day: 3,
    passes: [true, true, true, true],
    scores: [1, 0.9, 0.8, 0.9],
    context: { prompt_version: 'v2', git_sha: 'ccc333', branch: 'feature/x' },
    measures: [12500, 9000, 11000, 10000].map((latencyMs) => ({ task: { latencyMs, cost: 0.5 } })),
  },
  {
    runId: XSS[2] as string,
    dataset: 'faq',
    day: 4,
    passes: [true, false, false, false],
    scores: [0.6, 0.1, 0.2, 0.3],
    context: { prompt_version: XSS[1], git_sha: 'ddd444', branch: 'main' },
  },
  {
    runId: 'qa-1',
    dataset: 'qa',
    day: 5,
    passes: [true, false],
    scores: [1, 0],
    context: { [XSS[0] as string]: 'yes' },
  },
  {
    runId: 'qa-2',
    dataset: 'qa',
    day: 6,
    passes: [true, true],
    scores: [1, 1],
    context: {},
  },
];

describe.skipIf(!CHROMIUM)(`the runs view${CHROMIUM ? '' : ': no chromium installed'}`, () => {
  const dir = tempDir();
  let tracker: SqliteExperimentTracker;
  let server: UiServer;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tracker = new SqliteExperimentTracker('p', { file: join(dir.path, 'runs.sqlite') });
    for (const spec of RUNS) {
      await tracker.logBatch(
        spec.passes.map((p, i) => judged(p, spec.scores[i] as number)),
        spec.dataset,
        spec.passes.map((_, i) => ({ id: `s${i}`, input: `question ${i}` })),
        {
          runId: spec.runId,
          metadata: { model_name: 'm' },
          ...(spec.measures ? { measures: spec.measures } : {}),
        },
      );
      if (Object.keys(spec.context).length > 0)
        await tracker.logContext(spec.context, { runId: spec.runId });
      const run = await tracker.getRun(spec.runId);
      const at = new Date(Date.UTC(2026, 0, spec.day, 9, 30)).toISOString();
      if (run) await tracker.importRun({ ...run, createdAt: at, updatedAt: at });
    }
    server = await serveUi(tracker, { port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await tracker?.close();
    dir[Symbol.dispose]();
  });

  const open = (path: string): Promise<{ page: Page; problems: string[] }> =>
    openPage(browser, `${server.url}${path}`);

  /** The table's header texts and each row's cells, from the run's id on. */
  const table = (page: Page) =>
    page.$$eval('#runs tr:not(.gap)', (trs) =>
      trs.map((tr) => [...tr.children].slice(2).map((c) => c.textContent)),
    );
  const ticks = async (page: Page): Promise<string[]> =>
    JSON.parse((await page.getAttribute('.runs-chart .chart', 'data-ticks')) ?? 'null') as string[];
  const param = (page: Page, name: string) => new URL(page.url()).searchParams.get(name);

  it('charts one dataset by run order, dates as labels, on the metric it names', async () => {
    const { page, problems } = await open('/');
    await page.waitForSelector('.runs-chart .chart[data-ticks]');
    // All datasets shown: the chart is of the one with the most runs (faq: 4, qa: 2).
    expect(await page.textContent('#runs-chart-caption')).toBe(
      'faq: judge.aggregate_success of each run in the order it was made (4 of 4 runs of the dataset), bars: 95% interval; choose a dataset to chart another.',
    );
    expect(await page.textContent('#runs-chart-y')).toBe('judge.aggregate_success');
    // x: the run's place in its dataset, oldest first, each labelled with the day it started.
    expect(await ticks(page)).toEqual([
      'Jan 1\n09:30',
      'Jan 2\n09:30',
      'Jan 3\n09:30',
      'Jan 4\n09:30',
    ]);
    expect(await page.getAttribute('.runs-chart .chart', 'aria-label')).toBe(
      'judge.aggregate_success of 4 runs of faq, oldest first: from run 1 (2026-01-01 09:30:00Z) to run 4 (2026-01-04 09:30:00Z)',
    );
    // The other dataset, chosen: its two runs.
    await page.selectOption('#runs-dataset', 'qa');
    await page.waitForFunction(() =>
      document.querySelector('#runs-chart-caption')?.textContent?.startsWith('qa:'),
    );
    expect(await ticks(page)).toEqual(['Jan 5\n09:30', 'Jan 6\n09:30']);
    expect(param(page, 'dataset')).toBe('qa');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the metric chosen changes the numbers, the chart and the URL; links keep it', async () => {
    const { page, problems } = await open('/?dataset=faq');
    await page.waitForSelector('#runs tbody tr');
    const options = await page.$$eval('#metric option', (os) => os.map((o) => o.textContent));
    expect(options).toEqual([
      'judge.aggregate_success (leaderboard column)',
      'judge.quality.score',
      'judge.quality.success',
    ]);
    const scores = async () => (await table(page)).slice(1).map((r) => [r[0], r[7], r[8]]);
    expect(await scores()).toEqual([
      [XSS[2], '0.250 [0.046, 0.699]', '25.0% [4.6%, 69.9%]'],
      ['faq-3', '1.000 [0.510, 1.000]', '100.0% [51.0%, 100.0%]'],
      ['faq-2', '0.750 [0.301, 0.954]', '75.0% [30.1%, 95.4%]'],
      ['faq-1', '0.500 [0.150, 0.850]', '50.0% [15.0%, 85.0%]'],
    ]);
    await page.selectOption('#metric', 'judge.quality.score');
    await page.waitForFunction(
      () => document.querySelector('#runs-chart-y')?.textContent === 'judge.quality.score',
    );
    expect(param(page, 'metric')).toBe('judge.quality.score');
    expect(await page.textContent('#runs-metric')).toBe(
      'Scores and pass rates on judge.quality.score.',
    );
    // Means of the quality scores (Student-t intervals); pass rates by the judge's own verdicts.
    expect(
      (await scores()).map(([run, ...cells]) => [run, ...cells.map((c) => c?.split(' ')[0])]),
    ).toEqual([
      [XSS[2], '0.300', '25.0%'],
      ['faq-3', '0.900', '100.0%'],
      ['faq-2', '0.675', '75.0%'],
      ['faq-1', '0.500', '50.0%'],
    ]);
    expect(await page.textContent('#runs-chart-caption')).toBe(
      'faq: judge.quality.score of each run in the order it was made (4 of 4 runs of the dataset), bars: 95% interval.',
    );
    // A run's link opens it on the same metric.
    await page.click('#runs a >> text=faq-2');
    await page.waitForSelector('#metric');
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(
      '/run/faq-2?metric=judge.quality.score',
    );
    expect(await page.inputValue('#metric')).toBe('judge.quality.score');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows each run’s context, as columns or one cell, and filters by it in the URL', async () => {
    const { page, problems } = await open('/?dataset=faq');
    await page.waitForSelector('#runs tbody tr');
    const [head, ...rows] = await table(page);
    expect(head).toEqual([
      'run',
      'dataset',
      'model',
      'prompt_version',
      'git_sha',
      'branch',
      'n',
      'score [95% CI]',
      'pass rate [95% CI]',
      'latency mean p95',
      'cost / sample',
      'updated',
    ]);
    expect(rows.map((r) => r.slice(3, 6))).toEqual([
      [XSS[1], 'ddd444', 'main'],
      ['v2', 'ccc333', 'feature/x'],
      ['v2', 'bbb222', 'main'],
      ['v1', 'aaa111', 'main'],
    ]);
    // The # column: each run's place in its dataset, oldest first.
    expect(
      await page.$$eval('#runs tbody tr:not(.gap)', (trs) =>
        trs.map((tr) => tr.children[1]?.textContent),
      ),
    ).toEqual(['4', '3', '2', '1']);
    // A filter chosen from the values the runs have: in the URL, narrowing table and chart.
    await page.selectOption('#runs-context', JSON.stringify(['prompt_version', 'v2']));
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 2);
    expect(param(page, 'ctx.prompt_version')).toBe('v2');
    expect((await table(page)).slice(1).map((r) => r[0])).toEqual(['faq-3', 'faq-2']);
    expect(await page.textContent('#runs-count')).toBe('2 of 6 runs');
    expect(await page.textContent('#runs-chart-caption')).toBe(
      'faq: judge.aggregate_success of each run in the order it was made (2 of 4 runs of the dataset), bars: 95% interval.',
    );
    // Still labelled by date at their places in the dataset's history (runs 2 and 3).
    expect(await ticks(page)).toEqual(['Jan 2\n09:30', 'Jan 3\n09:30']);
    // A second filter narrows further; a chip removes one.
    await page.selectOption('#runs-context', JSON.stringify(['branch', 'main']));
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 1);
    expect((await table(page)).slice(1).map((r) => r[0])).toEqual(['faq-2']);
    await page.click('button.chip >> text=prompt_version = v2');
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 3);
    expect(param(page, 'ctx.prompt_version')).toBeNull();
    expect(await page.$$eval('button.chip', (bs) => bs.map((b) => b.textContent))).toEqual([
      'branch = main × (remove)',
    ]);

    // Every dataset: more keys than columns (a key holding markup from qa): one context cell.
    await page.goto(`${server.url}/`);
    await page.waitForSelector('#runs tbody tr');
    const [allHead, ...all] = await table(page);
    expect(allHead?.slice(0, 5)).toEqual(['run', 'dataset', 'model', 'context', 'n']);
    expect(all.map((r) => [r[0], r[3]])).toEqual([
      ['qa-2', ''],
      ['qa-1', `${XSS[0]}=yes`],
      [XSS[2], `prompt_version=${XSS[1]} · git_sha=ddd444 · branch=main`],
      ['faq-3', 'prompt_version=v2 · git_sha=ccc333 · branch=feature/x'],
      ['faq-2', 'prompt_version=v2 · git_sha=bbb222 · branch=main'],
      ['faq-1', 'prompt_version=v1 · git_sha=aaa111 · branch=main'],
    ]);
    // A filter on a key and a value holding markup, from a link: matched as text.
    await page.goto(
      `${server.url}/?${new URLSearchParams({ [`ctx.${XSS[0]}`]: 'yes' }).toString()}`,
    );
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 1);
    expect((await table(page))[1]?.[0]).toBe('qa-1');
    await page.goto(
      `${server.url}/?${new URLSearchParams({ 'ctx.prompt_version': XSS[1] as string }).toString()}`,
    );
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 1);
    expect((await table(page))[1]?.[0]).toBe(XSS[2]);
    expect(await page.locator('#runs img, #runs b, .chip img').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows latency and cost where runs recorded them, sortable', async () => {
    const { page, problems } = await open('/?dataset=faq&sort=latency');
    await page.waitForSelector('#runs tbody tr');
    // Mean and p95 (nearest rank, within 1%) of each run; cost in total and per sample.
    expect((await table(page)).slice(1).map((r) => [r[0], r[9], r[10]])).toEqual([
      ['faq-3', '10.6 s p95 12.5 s', '2.00 0.500'],
      ['faq-2', '765 ms p95 1,200 ms', '0.0500 0.0125'],
      ['faq-1', '— ', '— '],
      [XSS[2], '— ', '— '],
    ]);
    await page.click('#runs button:text-is("p95")');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'p95');
    await page.click('#runs button:text-is("p95")');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('dir') === 'asc');
    // Fastest first; the runs not timed last either way.
    expect((await table(page)).slice(1).map((r) => r[0])).toEqual([
      'faq-2',
      'faq-3',
      XSS[2],
      'faq-1',
    ]);
    // None recorded in qa: no such columns (and its one context key, holding markup, a column).
    await page.selectOption('#runs-dataset', 'qa');
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 2);
    expect((await table(page))[0]).toEqual([
      'run',
      'dataset',
      'model',
      XSS[0],
      'n',
      'score [95% CI]',
      'pass rate [95% CI]',
      'updated',
    ]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a baseline picked in the URL, and any run of its dataset compared with it in one click', async () => {
    const { page, problems } = await open('/');
    await page.waitForSelector('#runs tbody tr');
    expect(await page.textContent('#runs-baseline')).toBe(
      'Pick a baseline (the first column) to compare any run of its dataset against it in one click.',
    );
    expect(await page.locator('#runs a:has-text("compare")').count()).toBe(0);
    // By the keyboard: the baseline's radio, then Space.
    await page.focus('[aria-label="faq-1 as the baseline"]');
    await page.keyboard.press('Space');
    await page.waitForFunction(
      () => new URL(location.href).searchParams.get('baseline') === 'faq-1',
    );
    expect(await page.textContent('#runs-baseline')).toBe(
      'Baseline: faq-1 (faq); “compare” opens a run of faq against it. clear baseline',
    );
    // A compare link on each other run of faq, none on qa's.
    const links = await page.$$eval('#runs tbody tr:not(.gap)', (trs) =>
      trs.map((tr) => tr.querySelector('td.pick')?.textContent?.trim()),
    );
    expect(links).toEqual([
      '',
      '',
      `compare ${XSS[2]} with the baseline`,
      'compare faq-3 with the baseline',
      'compare faq-2 with the baseline',
      'baseline',
    ]);
    // Kept in the URL: the page reloaded still has it.
    await page.reload();
    await page.waitForSelector('#runs tr.baseline');
    expect(await page.isChecked('[aria-label="faq-1 as the baseline"]')).toBe(true);
    await page.click('#runs a:has-text("compare faq-3 with the baseline")');
    await page.waitForSelector('#compare-summary');
    const url = new URL(page.url());
    expect([
      url.pathname,
      url.searchParams.get('baseline'),
      url.searchParams.get('candidate'),
    ]).toEqual(['/compare', 'faq-1', 'faq-3']);
    expect(await page.textContent('#compare-summary')).toBe(
      'On judge.aggregate_success: 4 samples in both runs: 0 regressions, 2 improvements, 2 unchanged.',
    );
    // Back to the runs: the baseline still picked.
    await page.click('.crumbs a:text-is("Runs")');
    await page.waitForSelector('#runs tr.baseline');
    expect(new URL(page.url()).search).toBe('?baseline=faq-1');
    // With a metric chosen, the comparison is on it; back, Enter on a link compares another run.
    await page.goto(`${server.url}/?baseline=faq-1&metric=judge.quality.score`);
    await page.waitForSelector('#runs tr.baseline');
    await page.focus('#runs a:has-text("compare faq-2 with the baseline")');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#compare-summary');
    expect(new URL(page.url()).search).toBe(
      '?baseline=faq-1&candidate=faq-2&metric=judge.quality.score',
    );
    expect(await page.textContent('#compare-summary')).toMatch(/^On judge\.quality\.score: 4 /);
    // Cleared: no baseline in the URL.
    await page.goto(`${server.url}/?baseline=faq-1`);
    await page.click('text=clear baseline');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('baseline'));
    expect(await page.locator('#runs tr.baseline').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('puts only the rows in view in the page, and every run is reached by scrolling', async () => {
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 'many.sqlite') });
    const n = 400;
    for (let i = 0; i < n; i++) {
      await t.logBatch([judged(i % 2 === 0, 0.5)], 'd', [{ id: 's', input: 'q' }], {
        runId: `run-${String(i).padStart(3, '0')}`,
      });
    }
    const own = await serveUi(t, { port: 0 });
    try {
      const { page, problems } = await openPage(browser, `${own.url}/?sort=updated&dir=asc`);
      await page.waitForSelector('#runs tbody tr[aria-rowindex]');
      expect(await page.getAttribute('#runs', 'aria-rowcount')).toBe(String(n + 1));
      expect(await page.textContent('#runs-count')).toBe(`${n} of ${n} runs`);
      const shown = () => page.locator('#runs tbody tr[aria-rowindex]').count();
      expect(await shown()).toBeLessThan(50);
      // The chart has every run of the dataset, ticks on whole runs only.
      expect(await page.textContent('#runs-chart-caption')).toBe(
        `d: judge.aggregate_success of each run in the order it was made (${n} of ${n} runs of the dataset), bars: 95% interval.`,
      );
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await page.waitForSelector(`#runs tr[aria-rowindex="${n + 1}"]`);
      expect(await page.textContent(`#runs tr[aria-rowindex="${n + 1}"] td:nth-child(3)`)).toBe(
        'run-399',
      );
      expect(await shown()).toBeLessThan(50);
      // The page's height is the whole table's: the rows not in view are spacers.
      const height = await page.evaluate(() => document.body.scrollHeight);
      expect(height).toBeGreaterThan(n * 30);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await own.close();
      await t.close();
    }
  });

  it('looks right at 1200 x 760, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 760 }, colorScheme });
      await page.goto(`${server.url}/?baseline=faq-1`);
      await page.waitForSelector('.runs-chart .chart[data-ticks]');
      // Nothing wider than the page: every column in view.
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      ).toBe(true);
      const color = await page.evaluate(() => getComputedStyle(document.body).color);
      expect(color).toBe(colorScheme === 'dark' ? 'rgb(230, 237, 243)' : 'rgb(31, 35, 40)');
      await page.screenshot({ path: join(SHOTS, `runs-view-${colorScheme}.png`) });
      await page.close();
    }
  });
});
