// The dashboard in a real browser (Debian's chromium through playwright-core), served by the built
// package over a fresh SQLite store and over the gllm-evals fixture.
import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import type { BaseExperimentTracker, EvaluationOutput } from 'evaltrack';
import { serveUi } from '../../dist/ui/serve-ui.js';
import type { UiServer } from '../../dist/ui/serve-ui.js';
import {
  CHROMIUM,
  SHOTS,
  launchChromium,
  openPage,
  requireChromiumInCi,
} from '../helpers/browser.js';
import { FIXTURE_DIR, FIXTURE_RUN_ID, tempDir } from '../helpers/temp-dir.js';

requireChromiumInCi('the dashboard');

const XSS = [
  '<img src=x onerror="window.__pwned=1">',
  '</script><script>window.__pwned=2</script>',
];

const judged = (pass: boolean, score: number, why: string) => ({
  judge: {
    aggregate_success: pass,
    quality: { score, success: pass, explanation: why },
  },
});

describe.skipIf(!CHROMIUM)(`the dashboard${CHROMIUM ? '' : ': no chromium installed'}`, () => {
  const dir = tempDir();
  let tracker: SqliteExperimentTracker;
  let server: UiServer;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tracker = new SqliteExperimentTracker('p', { file: join(dir.path, 'ui.sqlite') });
    const samples = (ids: number[], model: string) =>
      ids.map((i) => ({
        id: `s${i}`,
        input: i === 1 ? XSS[0] : `question ${i}`,
        actual_output: i === 2 ? XSS[1] : `${model} says answer ${i} in words`,
        expected_output: `answer ${i}`,
      }));
    await tracker.logBatch(
      [true, false, false, true, true].map((p, i) => judged(p, p ? 1 : 0, `reason ${i} ${XSS[0]}`)),
      'faq',
      samples([1, 2, 3, 4, 5], 'mini'),
      { runId: 'base', metadata: { model_name: 'mini' } },
    );
    await new Promise((r) => setTimeout(r, 5));
    await tracker.logBatch(
      [false, true, true, true, true].map((p, i) => judged(p, p ? 1 : 0.5, `reason ${i}`)),
      'faq',
      samples([1, 2, 3, 4, 6], 'large'),
      { runId: 'cand', metadata: { model_name: 'large' } },
    );
    await tracker.logBatch([judged(true, 1, 'ok')], 'other', samples([9], 'mini'), {
      runId: 'other-run',
      metadata: { model_name: 'mini' },
    });
    server = await serveUi(tracker, { port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await tracker?.close();
    dir[Symbol.dispose]();
  });

  /** A page that fails the test on any console error, page error or alert. */
  async function open(
    path: string,
    base = server.url,
  ): Promise<{ page: Page; problems: string[] }> {
    return openPage(browser, `${base}${path}`);
  }

  /** Serves `tracker` on a server of its own for `use(url)`, then closes both. */
  async function serving(tracker: BaseExperimentTracker, use: (url: string) => Promise<void>) {
    const own = await serveUi(tracker, { port: 0 });
    try {
      await use(own.url);
    } finally {
      await own.close();
      await tracker.close();
    }
  }

  it('runs: the leaderboard with intervals, a chart, a dataset filter in the URL', async () => {
    const { page, problems } = await open('/');
    await page.waitForSelector('#runs tbody tr');
    const rows = () =>
      page.$$eval('#runs tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].slice(2).map((td) => td.textContent)),
      );
    expect((await rows()).map((r) => [r[0], r[3], r[5]])).toEqual([
      ['other-run', '1', '100.0% [20.7%, 100.0%]'],
      ['cand', '5', '80.0% [37.6%, 96.4%]'],
      ['base', '5', '60.0% [23.1%, 88.2%]'],
    ]);
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);
    await page.selectOption('select >> nth=0', 'faq');
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 2);
    expect(new URL(page.url()).searchParams.get('dataset')).toBe('faq');
    await page.screenshot({ path: join(SHOTS, 'runs.png'), fullPage: true });
    // The filter survives a reload: it is in the URL.
    await page.reload();
    await page.waitForSelector('#runs tbody tr');
    expect((await rows()).length).toBe(2);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('run: samples, failures, search, a sample in full, and no script from the data runs', async () => {
    const { page, problems } = await open('/run/base');
    await page.waitForSelector('.spacer .row [role=gridcell]');
    expect(await page.textContent('#run-pass')).toBe('60.0% [23.1%, 88.2%]');
    expect(await page.textContent('#sample-count')).toBe('5 samples');
    // The payloads show as text.
    expect(await page.locator('.spacer').textContent()).toContain(XSS[0]);
    expect(await page.locator('.spacer').textContent()).toContain(XSS[1]);
    await page.check('text=failures only');
    await page.waitForFunction(
      () => document.querySelector('#sample-count')?.textContent === '2 samples',
    );
    expect(new URL(page.url()).searchParams.get('failures')).toBe('1');
    await page.fill('input[type=search]', 'question 3');
    await page.waitForFunction(
      () => document.querySelector('#sample-count')?.textContent === '1 sample',
    );
    await page.click('.spacer .row');
    await page.waitForSelector('.detail h2');
    expect(await page.textContent('.detail h2')).toBe('s3');
    expect(await page.locator('.detail').textContent()).toContain('reason 2');
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });
    await page.keyboard.press('Escape');
    await page.waitForSelector('.detail', { state: 'detached' });
    // Open the sample whose explanation and input hold markup: shown, never run.
    await page.fill('input[type=search]', '');
    await page.uncheck('text=failures only');
    await page.waitForFunction(
      () => document.querySelector('#sample-count')?.textContent === '5 samples',
    );
    await page.focus('.vtable');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.detail h2');
    expect(await page.locator('.detail').textContent()).toContain(XSS[0]);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('.detail img, .spacer img').count()).toBe(0);
    // Esc gives the keyboard back to the grid: the next row opens with ArrowDown, Enter.
    await page.keyboard.press('Escape');
    await page.waitForSelector('.detail', { state: 'detached' });
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.detail h2');
    expect(await page.textContent('.detail h2')).toBe('s2');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('compare: a baseline picked on the leaderboard, a run compared with it, the numbers of evaltrack compare, outputs side by side', async () => {
    const { page, problems } = await open('/');
    await page.waitForSelector('#runs tbody tr');
    await page.check('[aria-label="base as the baseline"]');
    await page.click('#runs a:has-text("compare cand with the baseline")');
    await page.waitForSelector('#compare-summary');
    const url = new URL(page.url());
    expect([
      url.pathname,
      url.searchParams.get('baseline'),
      url.searchParams.get('candidate'),
    ]).toEqual(['/compare', 'base', 'cand']);
    expect(await page.textContent('#compare-summary')).toBe(
      'On judge.aggregate_success: 4 samples in both runs: 1 regressions, 2 improvements, 1 unchanged.',
    );
    expect(await page.textContent('#coverage')).toContain(
      '1 only in the baseline (s5), 1 only in the candidate (s6)',
    );
    const metrics = await page.$$eval('#metrics tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent)),
    );
    expect(metrics.find((m) => m[0] === 'judge.aggregate_success')?.[5]).toBe('1.0000');
    expect(await page.locator('.changes.regression .change').count()).toBe(1);
    expect(await page.locator('.changes.regression ins').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'compare.png'), fullPage: true });
    // Another metric, chosen on the page, is kept in the URL and named in the verdict.
    await page.selectOption('#metric', 'judge.quality.score');
    await page.waitForFunction(() =>
      document.querySelector('#compare-summary')?.textContent?.startsWith('On judge.quality.score'),
    );
    expect(new URL(page.url()).searchParams.get('metric')).toBe('judge.quality.score');
    expect(await page.textContent('#compare-summary')).toBe(
      'On judge.quality.score: 4 samples in both runs: 1 regressions, 2 improvements, 1 unchanged.',
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it('runs and a run on the metric named in the URL', async () => {
    const { page, problems } = await open('/?metric=judge.quality.score');
    await page.waitForSelector('#runs tbody tr');
    expect(await page.textContent('#runs-metric')).toBe(
      'Scores and pass rates on judge.quality.score.',
    );
    const rows = await page.$$eval('#runs tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent)),
    );
    // cand: scores 0.5, 1, 1, 1, 1: mean 0.9 ± t(0.975, 4) · 0.2236 / √5 = 0.2776; 4 of 5 passed
    // by the judge's own verdict (quality.success).
    expect(rows.find((r) => r[2] === 'cand')?.slice(6, 8)).toEqual([
      '0.900 [0.622, 1.178]',
      '80.0% [37.6%, 96.4%]',
    ]);
    await page.goto(`${server.url}/run/cand?metric=judge.quality.score&failures=1`);
    await page.waitForSelector('#run-metric');
    expect(await page.inputValue('#run-metric select')).toBe('judge.quality.score');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('reads the gllm-evals fixture', async () => {
    const reader = new CSVExperimentTracker('p', { outputDir: FIXTURE_DIR });
    await serving(reader, async (url) => {
      const { page, problems } = await open(`/run/${FIXTURE_RUN_ID}`, url);
      await page.waitForSelector('.spacer .row [role=gridcell]');
      expect(await page.textContent('#run-pass')).toBe('66.7% [20.8%, 93.9%]');
      expect(await page.textContent('#sample-count')).toBe('3 samples');
      expect(problems).toEqual([]);
      await page.close();
    });
  });

  it('pages a long run as it scrolls, and shows markup in names as text', async () => {
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 'long.sqlite') });
    const n = 1000;
    const runId = 'team/<b>run</b>';
    await t.logBatch(
      Array.from({ length: n }, (_, i) => ({ '<img src=x onerror=alert(1)>': { score: i / n } })),
      '<i>dataset</i>',
      Array.from({ length: n }, (_, i) => ({ id: `row-${i}`, input: `question ${i}` })),
      { runId },
    );
    await serving(t, async (url) => {
      const { page, problems } = await open(`/run/${encodeURIComponent(runId)}`, url);
      await page.waitForSelector('.spacer .row [role=gridcell]');
      expect(await page.textContent('h1')).toBe(runId);
      expect(await page.textContent('#sample-count')).toBe('1000 samples');
      // Only the rows in view (and a margin) are in the page.
      expect(await page.locator('.spacer .row').count()).toBeLessThan(100);
      await page.locator('.scroller').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForSelector('text=row-999');
      const api = (await (
        await fetch(`${url}/api/runs/${encodeURIComponent(runId)}/rows?limit=100000`)
      ).json()) as { total: number; rows: unknown[] };
      expect([api.total, api.rows.length]).toEqual([1000, 500]);
      await page.goto(`${url}/`);
      await page.waitForSelector('#runs tbody tr');
      expect(await page.locator('#runs tbody').textContent()).toContain('<i>dataset</i>');
      expect(await page.locator('img, b, i:not(.swatch)').count()).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    });
  });

  it("a sample's drawer: its history across runs, newest first, each run linked, markup as text", async () => {
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 'history.sqlite') });
    // Run ids, a model name and an evaluator's error holding markup; created a day apart.
    const runs: [string, EvaluationOutput][] = [
      ['first', judged(true, 1, 'ok')],
      [XSS[0] as string, judged(false, 0, 'no')],
      ['third', { judge: { error: XSS[1], attempts: 1 } }],
    ];
    for (const [i, [runId, output]] of runs.entries()) {
      await t.logBatch([output], '<i>faq</i>', [{ id: 's1', input: XSS[0] }], {
        runId,
        metadata: { model_name: XSS[1] },
      });
      const run = await t.getRun(runId);
      if (run) await t.importRun({ ...run, createdAt: `2026-01-0${i + 1}T00:00:00.000Z` });
    }
    const resultOf = async (runId: string) => (await t.getRunResults(runId))[0]?.resultId ?? '';
    const [first, third] = [await resultOf('first'), await resultOf('third')];
    await serving(t, async (url) => {
      const { page, problems } = await open(`/run/third?sample=${third}`, url);
      await page.waitForSelector('#sample-history tbody tr');
      const rows = await page.$$eval('#sample-history tbody tr', (trs) =>
        trs.map((tr) => [...tr.children].map((c) => c.textContent)),
      );
      expect(rows).toEqual([
        ['third', '2026-01-03 00:00:00Z', XSS[1], '–', '– (error)', '1'],
        [XSS[0], '2026-01-02 00:00:00Z', XSS[1], '0.000', 'FAIL', '1'],
        ['first', '2026-01-01 00:00:00Z', XSS[1], '1.000', 'pass', '1'],
      ]);
      expect(await page.textContent('#sample-history-summary')).toBe(
        `3 runs of <i>faq</i> hold it; on judge.aggregate_success. Last changed from pass to fail in ${XSS[0]} (2026-01-02 00:00:00Z), after passing in first.`,
      );
      expect(await page.textContent('#sample-history tr[aria-current=true] a')).toBe('third');
      // Each run is a link to that run's view, the sample open there.
      await page.click('#sample-history a >> text=first');
      await page.waitForFunction(() => location.pathname === '/run/first');
      expect(new URL(page.url()).searchParams.get('sample')).toBe(first);
      await page.waitForSelector('#sample-history tr[aria-current=true]');
      expect(await page.textContent('#sample-history tr[aria-current=true] a')).toBe('first');
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator('img, i, b').count()).toBe(0);
      // A sample no run holds: an empty history.
      const none = (await (await fetch(`${url}/api/samples/nope/history`)).json()) as {
        runCount: number;
        runs: unknown[];
      };
      expect([none.runCount, none.runs]).toEqual([0, []]);
      expect(problems).toEqual([]);
      await page.close();
    });
  });

  it('keeps a 5,000-sample table virtual: few rows in the page, the last one reached by scrolling, the active one by keys, the header in view', async () => {
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 'virtual.sqlite') });
    const n = 5000;
    await t.logBatch(
      Array.from({ length: n }, (_, i) => judged(i % 2 === 0, i / n, `why ${i}`)),
      'big',
      Array.from({ length: n }, (_, i) => ({
        id: `v${i}`,
        input: `question ${i}`,
        actual_output: `output ${i}`,
        expected_output: `expected ${i}`,
      })),
      { runId: 'virtual' },
    );
    await serving(t, async (url) => {
      const { page, problems } = await open('/run/virtual', url);
      await page.waitForSelector('#row-0 [role=gridcell]:not(.muted)');
      await page.waitForSelector('#failures');
      expect(await page.textContent('#sample-count')).toBe('5000 samples');
      const cells = (i: number) =>
        page.$$eval(`#row-${i} [role=gridcell]`, (cs) => cs.map((c) => c.textContent));
      const rendered = () => page.locator('.spacer .row').count();
      // Where the header is in the grid (the histograms above may still be coming).
      const headTop = () =>
        page
          .locator('.vtable .head')
          .evaluate(
            (h) => h.getBoundingClientRect().top - h.parentElement!.getBoundingClientRect().top,
          );
      const top = await headTop();
      expect(top).toBe(1);
      // The scroller is 60vh of 720 px: 432 px of 32 px rows, 14 in view and a margin of 10.
      expect(await rendered()).toBe(24);
      expect(await page.locator('.spacer').evaluate((s) => s.getBoundingClientRect().height)).toBe(
        n * 32,
      );
      expect(
        await page.$$eval('.vtable .head .names [role=columnheader]', (hs) =>
          hs.map((h) => h.textContent),
        ),
      ).toEqual([
        '#',
        'sample',
        'aggregate pass',
        'input',
        'output',
        'expected',
        'quality',
        'quality pass',
        'aggregate pass',
      ]);
      // The end, by scrolling: the last sample's row, with its values.
      await page.locator('.scroller').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForSelector('#row-4999 [role=gridcell]:not(.muted)');
      expect(await cells(4999)).toEqual([
        '5000',
        'v4999',
        'fail',
        'question 4999',
        'output 4999',
        'expected 4999',
        '1.000',
        'fail',
        'fail',
      ]);
      expect(await rendered()).toBeLessThanOrEqual(25);
      expect(await page.locator('#row-0').count()).toBe(0);
      // The header stayed where it was.
      expect(await headTop()).toBe(top);
      // Back at the top, 30 rows down by the keyboard: the active row is scrolled into view.
      await page.locator('.scroller').evaluate((el) => (el.scrollTop = 0));
      await page.waitForSelector('#row-0 [role=gridcell]:not(.muted)');
      await page.focus('.vtable');
      for (let k = 0; k < 30; k++) await page.keyboard.press('ArrowDown');
      await page.waitForSelector('#row-30.active [role=gridcell]:not(.muted)');
      expect(await page.getAttribute('.vtable', 'aria-activedescendant')).toBe('row-30');
      const [row, box] = await Promise.all([
        page.locator('#row-30').boundingBox(),
        page.locator('.scroller').boundingBox(),
      ]);
      expect(row!.y >= box!.y && row!.y + row!.height <= box!.y + box!.height).toBe(true);
      expect(await cells(30)).toEqual([
        '31',
        'v30',
        'pass',
        'question 30',
        'output 30',
        'expected 30',
        '0.006',
        'pass',
        'pass',
      ]);
      await page.keyboard.press('Enter');
      await page.waitForSelector('.detail h2');
      expect(await page.textContent('.detail h2')).toBe('v30');
      expect(problems).toEqual([]);
      await page.close();
    });
  });

  it('shows latency, tokens and cost where they were recorded, and no such column where not', async () => {
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 'measures.sqlite') });
    const shop = (ids: string[]) =>
      ids.map((id) => ({
        id,
        input: `question ${id}`,
        actual_output: `answer ${id}`,
        expected_output: `expected ${id}`,
      }));
    await t.logBatch(
      [judged(true, 1, 'a'), judged(false, 0, 'b'), judged(true, 1, 'c'), judged(true, 1, 'd')],
      'shop',
      shop(['t1', 't2', 't3', 't4']),
      {
        runId: 'timed',
        metadata: { model_name: 'm' },
        measures: [
          {
            task: { latencyMs: 850, usage: { inputTokens: 100, outputTokens: 20 }, cost: 0.0012 },
            evaluators: { judge: { latencyMs: 310, usage: { totalTokens: 50 }, cost: 0.0003 } },
          },
          {
            task: {
              latencyMs: 12500,
              usage: { inputTokens: 2000, outputTokens: 500, totalTokens: 2500 },
              cost: 1.25,
            },
          },
          // An evaluator's name is text from the store: shown, never run.
          { task: { latencyMs: 4.2 }, evaluators: { [XSS[0]!]: { cost: 0.0001 } } },
          null,
        ],
      },
    );
    await t.logBatch(
      [true, false, true, true].map((p) => judged(p, Number(p), 'x')),
      'shop',
      shop(['r1', 'r1', 'r2', 'r2']),
      {
        runId: 'trials',
        metadata: { model_name: 'm' },
        measures: [100, 200, 300, 400].map((latencyMs, i) => ({
          trial: i % 2,
          task: { latencyMs },
        })),
      },
    );
    await t.logBatch([judged(true, 1, 'ok')], 'shop', shop(['p1']), {
      runId: 'plain',
      metadata: { model_name: 'p' },
    });
    await serving(t, async (url) => {
      const { page, problems } = await open('/?sort=n&dir=asc', url);
      await page.waitForSelector('#runs tbody tr');
      const table = () =>
        page.$$eval('#runs tr', (trs) =>
          trs.map((tr) => [...tr.children].slice(2).map((c) => c.textContent)),
        );
      const [head, ...rows] = await table();
      expect(head).toEqual([
        'run',
        'dataset',
        'model',
        'n',
        'score [95% CI]',
        'pass rate [95% CI]',
        'latency mean p95',
        'cost / sample',
        'updated',
      ]);
      // Mean of 850, 12,500 and 4.2 ms; p95 by nearest rank: the 3rd of 3 (12,500 within the
      // sketch's 1%; 400 ms of 'trials' is 399). Cost: 0.0015 + 1.25 + 0.0001 over the 3 samples
      // that reported one.
      expect(rows.map((r) => [r[0], ...r.slice(6, 8)])).toEqual([
        ['plain', '— ', '— '],
        ['timed', '4,451 ms p95 12.5 s', '1.25 0.417'],
        ['trials', '250 ms p95 399 ms', '— '],
      ]);
      expect(await page.textContent('#runs-measures')).toBe(
        "Latency: the task's, over the samples timed (p95 by nearest rank, within 1%). Cost: the task and its evaluators together, in the unit logged; per sample over those that reported one.",
      );
      // Sorted by p95, slowest first: the run without latency last.
      await page.click('#runs button:text-is("p95")');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('sort') === 'p95');
      expect((await table()).slice(1).map((r) => r[0])).toEqual(['timed', 'trials', 'plain']);
      // Filtered to the run without measures: no such column.
      await page.goto(`${url}/?model=p`);
      await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 1);
      expect(await page.locator('#runs-measures').count()).toBe(0);
      expect((await table())[0]).toEqual([
        'run',
        'dataset',
        'model',
        'n',
        'score [95% CI]',
        'pass rate [95% CI]',
        'updated',
      ]);

      // The run: its numbers (p50: 850 ms within the sketch's 1%), and the grid.
      await page.goto(`${url}/run/timed`);
      await page.waitForSelector('#row-0 [role=gridcell]:not(.muted)');
      expect(await page.textContent('#run-latency')).toBe(
        '4,451 ms / 854 ms / 12.5 s (3 of 4 timed)',
      );
      expect(await page.textContent('#run-tokens')).toBe('2,670 (2,100 / 520; 2 of 4 reported)');
      expect(await page.textContent('#run-cost')).toBe('1.25 (0.417 per sample; 3 of 4 reported)');
      const header = () =>
        page.$$eval('.vtable .head .names [role=columnheader]', (hs) =>
          hs.map((h) => h.textContent),
        );
      const cells = (i: number) =>
        page.$$eval(`#row-${i} [role=gridcell]`, (cs) => cs.map((c) => c.textContent));
      expect(await header()).toEqual([
        '#',
        'sample',
        'aggregate pass',
        'input',
        'output',
        'expected',
        'quality',
        'quality pass',
        'aggregate pass',
        'latency',
        'cost',
      ]);
      expect(await cells(0)).toEqual([
        '1',
        't1',
        'pass',
        'question t1',
        'answer t1',
        'expected t1',
        '1',
        'pass',
        'pass',
        '850 ms',
        '0.00150',
      ]);
      expect((await cells(2)).slice(-2)).toEqual(['4.2 ms', '0.000100']);
      expect((await cells(3)).slice(-2)).toEqual(['—', '—']);
      const sampleIds = () =>
        page.$$eval('.spacer .row', (rs) =>
          rs
            .sort((a, b) => Number(a.ariaRowIndex) - Number(b.ariaRowIndex))
            .map((r) => r.children[1]?.textContent),
        );
      // Sorted by latency, fastest first, then slowest first: the sample not timed last both ways.
      await page.click('.vtable .head button:text-is("latency")');
      await page.waitForFunction(
        () => new URL(location.href).searchParams.get('sort') === '@latency',
      );
      await page.waitForSelector('#row-0 [role=gridcell]:text-is("t3")');
      expect(await sampleIds()).toEqual(['t3', 't1', 't2', 't4']);
      await page.click('.vtable .head button:text-is("latency")');
      await page.waitForSelector('#row-0 [role=gridcell]:text-is("t2")');
      expect(await sampleIds()).toEqual(['t2', 't1', 't3', 't4']);
      await page.click('.vtable .head button:text-is("cost")');
      await page.waitForSelector('#row-0 [role=gridcell]:text-is("t3")');
      expect(await sampleIds()).toEqual(['t3', 't1', 't2', 't4']);

      // A sample in full: the task's and each evaluator's latency, tokens and cost.
      const steps = () =>
        page.$$eval('#sample-measures tr', (trs) =>
          trs.map((tr) => [...tr.children].map((c) => c.textContent)),
        );
      await page.click('.spacer .row:has-text("t1")');
      await page.waitForSelector('#sample-measures');
      expect(await page.textContent('.detail h2')).toBe('t1');
      expect(await steps()).toEqual([
        ['step', 'latency', 'input tokens', 'output tokens', 'total tokens', 'cost'],
        ['task', '850 ms', '100', '20', '120', '0.00120'],
        ['evaluator judge', '310 ms', '—', '—', '50', '0.000300'],
      ]);
      expect(await page.locator('#sample-trial').count()).toBe(0);
      await page.keyboard.press('Escape');
      await page.waitForSelector('.detail', { state: 'detached' });
      await page.click('.spacer .row:has-text("t3")');
      await page.waitForSelector('#sample-measures');
      expect(await steps()).toEqual([
        ['step', 'latency', 'input tokens', 'output tokens', 'total tokens', 'cost'],
        ['task', '4.2 ms', '—', '—', '—', '—'],
        [`evaluator ${XSS[0]}`, '—', '—', '—', '—', '0.000100'],
      ]);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();

      // Several trials of a sample: the trial column, and the trial in the sample's detail.
      await page.goto(`${url}/run/trials`);
      await page.waitForSelector('#row-3 [role=gridcell]:not(.muted)');
      // p50 and p95: 200 and 400 ms, within the sketch's 1%.
      expect(await page.textContent('#run-latency')).toBe('250 ms / 198 ms / 399 ms');
      expect(await page.locator('#run-tokens, #run-cost').count()).toBe(0);
      expect(await header()).toEqual([
        '#',
        'sample',
        'trial',
        'aggregate pass',
        'input',
        'output',
        'expected',
        'quality',
        'quality pass',
        'aggregate pass',
        'latency',
      ]);
      expect((await cells(1)).slice(0, 3)).toEqual(['2', 'r1', '1']);
      expect((await cells(1)).at(-1)).toBe('200 ms');
      await page.click('#row-1');
      await page.waitForSelector('#sample-trial');
      expect(await page.textContent('#sample-trial')).toBe('trial 1');

      // A run without measures: none of these numbers or columns.
      await page.goto(`${url}/run/plain`);
      await page.waitForSelector('#row-0 [role=gridcell]:not(.muted)');
      expect(await page.locator('#run-latency, #run-tokens, #run-cost').count()).toBe(0);
      expect(await header()).toEqual([
        '#',
        'sample',
        'aggregate pass',
        'input',
        'output',
        'expected',
        'quality',
        'quality pass',
        'aggregate pass',
      ]);
      await page.click('#row-0');
      await page.waitForSelector('.detail h2');
      expect(await page.locator('#sample-measures, #sample-trial').count()).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    });
  });

  it("shows the server's message when the API answers with an error", async () => {
    const { page, problems } = await open('/run/no-such-run');
    await page.waitForSelector('[role=alert]');
    expect(await page.textContent('[role=alert]')).toBe(
      'Could not load run no-such-run: no such run',
    );
    expect(problems.map((p) => p.replace(/\(.*\)/, ''))).toEqual([
      'console: Failed to load resource: the server responded with a status of 404 ',
    ]);
    await page.close();
  });

  it('is readable in dark mode too', async () => {
    const page = await browser.newPage({ colorScheme: 'dark' });
    await page.goto(`${server.url}/run/cand`);
    await page.waitForSelector('.spacer .row [role=gridcell]');
    const [background, text] = await page.evaluate(() => {
      const style = getComputedStyle(document.body);
      return [style.backgroundColor, style.color];
    });
    expect([background, text]).toEqual(['rgb(13, 17, 23)', 'rgb(230, 237, 243)']);
    await page.screenshot({ path: join(SHOTS, 'run-dark.png') });
    await page.close();
  });

  it('answers only reads, from this machine, with no CORS header and a strict CSP', async () => {
    const page = await fetch(`${server.url}/`);
    const csp =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
      "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    expect(page.headers.get('content-security-policy')).toBe(csp);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
    const api = await fetch(`${server.url}/api/runs`, {
      headers: { Origin: 'http://evil.example' },
    });
    expect(api.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${server.url}/api/runs`, { method: 'POST' })).status).toBe(405);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const rows = (await (await fetch(`${server.url}/api/runs/base/rows?limit=100000`)).json()) as {
      rows: unknown[];
    };
    expect(rows.rows.length).toBe(5);
    // A page on another site cannot reach it through a DNS name of its own (DNS rebinding).
    const port = new URL(server.url).port;
    const status = await new Promise<number | undefined>((resolve, reject) =>
      request(
        { host: '127.0.0.1', port, path: '/api/runs', headers: { Host: `evil.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      )
        .on('error', reject)
        .end(),
    );
    expect(status).toBe(421);
  });
});
