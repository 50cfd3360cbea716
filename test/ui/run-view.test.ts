// The run view and the sample view in Chromium, over a real SQLite store: the run's numbers, the
// summary table, the grid's two-level headers, badges and threshold colours, the deciding metric
// in the URL, every evaluator of a sample, and its history across runs; markup from the store
// (inputs, outputs, explanations, metadata, a metric's name) shown as text, never run.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
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

requireChromiumInCi('the run view');

const XSS = [
  '<img src=x onerror="window.__pwned=1">',
  '</script><script>window.__pwned=2</script>',
];
/** A metric named with markup: it heads a column and a summary row. */
const ODD = '<b onmouseover=window.__pwned=3>odd</b>';

/** Faithfulness (higher is better, ≥ 0.5), the odd metric (lower is better, ≤ 0.2), lexical. */
function output(faith: number, odd: number, lex: number | null, plain: number) {
  const pass = faith >= 0.5 && odd <= 0.2;
  return {
    gen: {
      aggregate_score: (faith + 1 - odd) / 2,
      aggregate_success: pass,
      aggregate_explanation: `gen says ${faith} ${XSS[0]}`,
      faith: {
        score: faith,
        success: faith >= 0.5,
        threshold: 0.5,
        higher_is_better: true,
        explanation: `faith ${faith} ${XSS[1]}`,
      },
      [ODD]: { score: odd, success: odd <= 0.2, threshold: 0.2, higher_is_better: false },
    },
    lex:
      lex === null
        ? { error: `boom ${XSS[0]}`, attempts: 2 }
        : {
            aggregate_score: lex,
            aggregate_success: lex >= 0.4,
            aggregate_explanation: lex >= 0.4 ? 'All metrics met the expected values.' : 'Too far.',
            dist: { score: lex, success: lex >= 0.4, threshold: 0.4, explanation: null },
          },
    // A bare metric: a score and nothing to judge it by.
    plain: { score: plain },
  };
}

const samples = [1, 2, 3, 4].map((i) => ({
  id: `s${i}`,
  input: i === 1 ? `question ${XSS[0]}` : `question ${i}`,
  actual_output: i === 2 ? `answer ${XSS[1]}` : `answer ${i}`,
  expected_output: `expected ${i}`,
}));

describe.skipIf(!CHROMIUM)(`the run view${CHROMIUM ? '' : ': no chromium installed'}`, () => {
  const dir = tempDir();
  let tracker: SqliteExperimentTracker;
  let server: UiServer;
  let browser: Browser;
  const ids: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tracker = new SqliteExperimentTracker('p', { file: join(dir.path, 'run-view.sqlite') });
    await tracker.logBatch(
      [output(0.4, 0.1, 0.6, 0.1), output(0.8, 0.1, 0.6, 0.2)],
      'qa',
      samples.slice(0, 2),
      { runId: 'base', metadata: { model_name: 'mini', note: XSS[1] } },
    );
    await new Promise((r) => setTimeout(r, 5));
    await tracker.logBatch(
      [
        output(0.9, 0.1, 0.8, 0.1),
        output(0.3, 0.5, 0.2, 0.2),
        output(0.7, 0.05, null, 0.3),
        output(0.6, 0.3, 0.5, 0.4),
      ],
      'qa',
      samples,
      {
        runId: 'cand',
        metadata: { model_name: `large ${XSS[0]}`, note: XSS[1] },
        measures: [
          { task: { latencyMs: 120, cost: 0.002 }, evaluators: { gen: { cost: 0.001 } } },
          { task: { latencyMs: 80, cost: 0.001 } },
          { task: { latencyMs: 2500, cost: 0.004 } },
          null,
        ],
      },
    );
    for (const runId of ['base', 'cand']) {
      ids[runId] = Object.fromEntries(
        (await tracker.getRunResults(runId)).map((r) => [r.sampleId, r.resultId]),
      );
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

  const open = (path: string, options?: Parameters<Browser['newPage']>[0]) =>
    options
      ? (async () => {
          const page = await browser.newPage(options);
          const problems: string[] = [];
          page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
          page.on('console', (m) => {
            if (m.type() === 'error') problems.push(`console: ${m.text()}`);
          });
          page.on('dialog', (d) => {
            problems.push(`dialog: ${d.message()}`);
            void d.dismiss();
          });
          await page.goto(`${server.url}${path}`);
          return { page, problems };
        })()
      : openPage(browser, `${server.url}${path}`);

  const texts = (page: Page, selector: string) =>
    page.$$eval(selector, (es) => es.map((e) => e.textContent));
  const tableRows = (page: Page, selector: string) =>
    page.$$eval(selector, (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  const cell = (page: Page, row: number, column: number) =>
    page
      .locator(`#row-${row} [role=gridcell]`)
      .nth(column)
      .evaluate((c) => ({
        text: c.textContent,
        class: c.getAttribute('class') ?? '',
        badge: c.querySelector('.verdict')?.getAttribute('class') ?? null,
        title: c.getAttribute('title'),
      }));
  const inert = async (page: Page) => {
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main img, main b, main script').count()).toBe(0);
  };

  it("shows the run's numbers, a summary row per metric, and the grid by evaluator with badges and scores against their threshold", async () => {
    const { page, problems } = await open('/run/cand', { viewport: { width: 1200, height: 760 } });
    await page.waitForSelector('#metric-summary tbody tr');
    await page.waitForSelector('#row-3 [role=gridcell]:not(.muted)');
    // gen.aggregate_success: 2 of 4, Wilson [15.0%, 85.0%]; a pass/fail metric has no other mean.
    expect(await page.textContent('#run-pass')).toBe('50.0% [15.0%, 85.0%]');
    expect(await page.locator('#run-score').count()).toBe(0);
    expect(await page.inputValue('#metric')).toBe('');
    expect(await page.textContent('#metric option:checked')).toBe(
      'gen.aggregate_success (leaderboard column)',
    );
    expect(await page.textContent('#run-n')).toBe('4');
    // s2 and s4 failed; lex could not judge s3.
    expect(await page.textContent('#failures')).toBe('3');
    expect(await page.textContent('#run-dataset')).toBe('qa');
    expect(await page.textContent('#run-model')).toBe(`large ${XSS[0]}`);
    // 120, 80, 2500 ms; costs 0.003, 0.001, 0.004 of 3 results.
    expect(await page.textContent('#run-latency')).toBe(
      '900 ms / 120 ms / 2,500 ms (3 of 4 timed)',
    );
    expect(await page.textContent('#run-cost')).toBe(
      '0.00800 (0.00267 per sample; 3 of 4 reported)',
    );

    // The summary: mean [95% CI] (Student t, or – for pass/fail), pass rate [Wilson], threshold,
    // missing, errors. lex failed on s3: an error in each of its rows, not a missing value.
    expect(await tableRows(page, '#metric-summary tr')).toEqual([
      [
        'evaluator',
        'metric',
        'mean [95% CI]',
        'pass rate [95% CI]',
        'threshold',
        'missing',
        'errors',
      ],
      ['gen', 'faith', '0.625 [0.227, 1.023]', '75.0% [30.1%, 95.4%]', '≥ 0.5', '0', '0'],
      ['gen', ODD, '0.237 [-0.090, 0.565]', '50.0% [15.0%, 85.0%]', '≤ 0.2', '0', '0'],
      ['gen', 'faith pass', 'pass/fail', '75.0% [30.1%, 95.4%]', '–', '0', '0'],
      ['gen', `${ODD} pass`, 'pass/fail', '50.0% [15.0%, 85.0%]', '–', '0', '0'],
      ['gen', 'aggregate', '0.694 [0.340, 1.047]', '50.0% [15.0%, 85.0%]', '–', '0', '0'],
      ['gen', 'aggregate pass (deciding)', 'pass/fail', '50.0% [15.0%, 85.0%]', '–', '0', '0'],
      ['lex', 'dist', '0.500 [-0.245, 1.245]', '66.7% [20.8%, 93.9%]', '≥ 0.4', '0', '1'],
      ['lex', 'dist pass', 'pass/fail', '66.7% [20.8%, 93.9%]', '–', '0', '1'],
      ['lex', 'aggregate', '0.500 [-0.245, 1.245]', '66.7% [20.8%, 93.9%]', '–', '0', '1'],
      ['lex', 'aggregate pass', 'pass/fail', '66.7% [20.8%, 93.9%]', '–', '0', '1'],
      ['plain', 'score', '0.250 [0.045, 0.455]', '–', '–', '0', '0'],
    ]);
    expect(await page.getAttribute('#metric-summary tbody tr:nth-child(2) th', 'title')).toBe(
      `gen.${ODD}.score`,
    );
    // Distributions on demand, only of the continuous metrics.
    expect(await page.textContent('#distributions summary')).toBe(
      'Distributions of the 6 continuous metrics',
    );
    expect(await page.locator('.histogram').count()).toBe(0);
    await page.click('#distributions summary');
    await page.waitForSelector('.histogram');
    expect(await texts(page, '.histogram figcaption')).toEqual([
      'gen.faith.score',
      `gen.${ODD}.score`,
      'gen.aggregate_score',
      'lex.dist.score',
      'lex.aggregate_score',
      'plain.score',
    ]);

    // Two-level headers: the evaluator over its metrics, the full name on hover.
    expect(await texts(page, '.vtable .groups [role=columnheader]')).toEqual([
      '',
      '',
      'verdict',
      '',
      '',
      '',
      'gen',
      'lex',
      'plain',
      '',
      '',
    ]);
    expect(
      await page.$$eval('.vtable .groups [role=columnheader]', (hs) =>
        hs.map((h) => h.getAttribute('aria-colspan')),
      ),
    ).toEqual([null, null, null, null, null, null, '6', '4', null, null, null]);
    expect(await texts(page, '.vtable .names [role=columnheader]')).toEqual([
      '#',
      'sample',
      'aggregate pass',
      'input',
      'output',
      'expected',
      'faith',
      ODD,
      'faith pass',
      `${ODD} pass`,
      'aggregate',
      'aggregate pass',
      'dist',
      'dist pass',
      'aggregate',
      'aggregate pass',
      'score',
      'latency',
      'cost',
    ]);
    expect(
      await page.$$eval('.vtable .names [role=columnheader] button', (bs) =>
        bs.map((b) => b.getAttribute('title')),
      ),
    ).toEqual([
      null,
      null,
      'pass or fail on gen.aggregate_success, the deciding metric',
      'gen.faith.score (threshold ≥ 0.5)',
      `gen.${ODD}.score (threshold ≤ 0.2)`,
      'gen.faith.success',
      `gen.${ODD}.success`,
      'gen.aggregate_score',
      'gen.aggregate_success',
      'lex.dist.score (threshold ≥ 0.4)',
      'lex.dist.success',
      'lex.aggregate_score',
      'lex.aggregate_success',
      'plain.score',
      "the task's latency",
      'the task and its evaluators together',
    ]);
    // s2 (row 1): failed. Its badges; its scores coloured by threshold (faith 0.3 < 0.5; odd 0.5
    // > 0.2, lower is better; dist 0.2 < 0.4), the aggregate by the verdict beside it, plain not.
    expect(await cell(page, 1, 2)).toEqual({
      text: 'fail',
      class: 'decides',
      badge: 'verdict fail',
      title: null,
    });
    expect(await cell(page, 1, 6)).toEqual({
      text: '0.300',
      class: 'num misses',
      badge: null,
      title: 'fails: threshold ≥ 0.5',
    });
    expect(await cell(page, 1, 7)).toEqual({
      text: '0.500',
      class: 'num misses',
      badge: null,
      title: 'fails: threshold ≤ 0.2',
    });
    expect(await cell(page, 1, 8)).toMatchObject({ text: 'fail', badge: 'verdict fail' });
    expect(await cell(page, 1, 10)).toEqual({
      text: '0.400',
      class: 'num misses',
      badge: null,
      title: 'fails: gen.aggregate_success beside it',
    });
    expect(await cell(page, 1, 12)).toMatchObject({ text: '0.200', class: 'num misses' });
    expect(await cell(page, 1, 16)).toEqual({
      text: '0.200',
      class: 'num',
      badge: null,
      title: null,
    });
    // s1 (row 0): passed, its scores meet their thresholds.
    expect(await cell(page, 0, 2)).toMatchObject({ text: 'pass', badge: 'verdict pass' });
    expect(await cell(page, 0, 6)).toEqual({
      text: '0.900',
      class: 'num meets',
      badge: null,
      title: 'passes: threshold ≥ 0.5',
    });
    expect(await cell(page, 0, 7)).toMatchObject({ text: '0.100', class: 'num meets' });
    // s3 (row 2): lex failed to judge it: no lex values.
    expect((await texts(page, '#row-2 [role=gridcell]')).slice(12, 17)).toEqual([
      '–',
      '–',
      '–',
      '–',
      '0.300',
    ]);
    expect(await page.locator('.spacer').textContent()).toContain(XSS[0]);
    expect(await page.locator('.spacer').textContent()).toContain(XSS[1]);
    // The deciding verdict is in view without scrolling the grid, at 1200 px already.
    const box = await page.locator('.names [role=columnheader]').nth(2).boundingBox();
    expect(box!.x + box!.width).toBeLessThan(1200);
    // Above the fold: the grid's first rows.
    const first = await page.locator('#row-0').boundingBox();
    expect(first!.y + first!.height).toBeLessThan(760);
    await page.screenshot({ path: join(SHOTS, 'run-view-1200.png') });
    await inert(page);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('changes the deciding metric in the URL, and the numbers with it', async () => {
    const { page, problems } = await open('/run/cand');
    await page.waitForSelector('#metric-summary tbody tr');
    await page.selectOption('#metric', 'gen.faith.score');
    await page.waitForFunction(
      () => new URL(location.href).searchParams.get('metric') === 'gen.faith.score',
    );
    await page.waitForSelector('#metric-summary tr.deciding');
    // By the verdict beside faith: s1, s3, s4 passed; its mean is a number of its own.
    expect(await page.textContent('#run-pass')).toBe('75.0% [30.1%, 95.4%]');
    expect(await page.textContent('#run-score')).toBe('0.625 [0.227, 1.023]');
    expect(await page.textContent('#run-scored')).toBe('4');
    expect(await page.textContent('#metric-summary tr.deciding th')).toBe('faith (deciding)');
    await page.waitForSelector('#row-3 [role=gridcell]:not(.muted)');
    expect(await texts(page, '.vtable .names [role=columnheader]').then((h) => h[2])).toBe('faith');
    expect(
      await page.$$eval('.spacer .row', (rs) =>
        rs
          .sort((a, b) => Number(a.ariaRowIndex) - Number(b.ariaRowIndex))
          .map((r) => r.children[2]?.textContent),
      ),
    ).toEqual(['pass', 'fail', 'pass', 'pass']);
    // Failures only, on faith: s2, and s3 (lex's error).
    await page.check('text=failures only');
    await page.waitForFunction(
      () => document.querySelector('#sample-count')?.textContent === '2 samples',
    );
    expect(await page.textContent('#failures')).toBe('2');
    // A metric's row in the summary is a link that makes it the deciding one.
    await page.click('#metric-summary a:text-is("dist")');
    await page.waitForFunction(
      () => new URL(location.href).searchParams.get('metric') === 'lex.dist.score',
    );
    await page.waitForSelector('#run-pass');
    expect(await page.textContent('#run-pass')).toBe('66.7% [20.8%, 93.9%]');
    expect(new URL(page.url()).searchParams.get('failures')).toBe('1');
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows a sample's every evaluator with scores, verdicts, thresholds, explanations and errors, its latency and cost, and links its history", async () => {
    const { page, problems } = await open(`/run/cand?sample=${ids['cand']!['s3']}`, {
      viewport: { width: 1400, height: 760 },
      colorScheme: 'dark',
    });
    await page.waitForSelector('#sample-history tbody tr');
    expect(await page.textContent('.detail h2')).toBe('s3');
    expect(await page.textContent('#sample-latency')).toBe('2,500 ms');
    expect(await page.textContent('#sample-cost')).toBe('0.00400');
    expect(
      await page.$$eval('.detail .evaluator', (ss) => ss.map((s) => s.getAttribute('aria-label'))),
    ).toEqual(['evaluator gen', 'evaluator lex', 'evaluator plain']);
    const gen = page.locator('.detail .evaluator').nth(0);
    expect(await gen.locator('h4').textContent()).toBe('gen pass aggregate 0.825');
    expect(await gen.locator('h4 .verdict').getAttribute('class')).toBe('verdict pass');
    expect(
      await gen
        .locator('tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent))),
    ).toEqual([
      ['metric', 'score', 'verdict', 'threshold', 'explanation'],
      ['faith', '0.700', 'pass', '≥ 0.5', `faith 0.7 ${XSS[1]}`],
      [ODD, '0.050', 'pass', '≤ 0.2', '–'],
    ]);
    expect(
      await gen
        .locator('tbody td:nth-child(2)')
        .evaluateAll((tds) => tds.map((td) => td.getAttribute('class'))),
    ).toEqual(['num meets', 'num meets']);
    // The evaluator's own explanation (aggregate_explanation), which the drawer used to omit.
    expect(await gen.locator('.explanation').textContent()).toBe(
      `aggregate_explanationgen says 0.7 ${XSS[0]}`,
    );
    const lex = page.locator('.detail .evaluator').nth(1);
    expect(await lex.locator('p.error').textContent()).toBe(`error: boom ${XSS[0]} (attempts: 2)`);
    expect(await lex.locator('table').count()).toBe(0);
    const plain = page.locator('.detail .evaluator').nth(2);
    expect(
      await plain
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent))),
    ).toEqual([['plain', '0.300', '–', '–', '–']]);
    expect(await page.locator('.detail pre.text').last().textContent()).toContain(XSS[1]);
    await page.screenshot({ path: join(SHOTS, 'sample-view-1400-dark.png') });

    // Another sample: lex's explanation-less metric, coloured by its threshold; its evaluator's
    // explanation shown.
    await page.goto(`${server.url}/run/cand?sample=${ids['cand']!['s2']}`);
    await page.waitForSelector('.detail .evaluator');
    const lex2 = page.locator('.detail .evaluator').nth(1);
    expect(await lex2.locator('h4').textContent()).toBe('lex fail aggregate 0.200');
    expect(await lex2.locator('tbody td:nth-child(2)').getAttribute('class')).toBe('num misses');
    expect(await lex2.locator('.explanation').textContent()).toBe('aggregate_explanationToo far.');

    // The history: each run linked to its own result of the sample.
    await page.goto(`${server.url}/run/cand?sample=${ids['cand']!['s1']}`);
    await page.waitForSelector('#sample-history tbody tr');
    expect(await tableRows(page, '#sample-history tbody tr')).toMatchObject([
      ['cand', expect.any(String), `large ${XSS[0]}`, '1.000', 'pass', '1'],
      ['base', expect.any(String), 'mini', '0.000', 'FAIL', '1'],
    ]);
    expect(
      await page.$$eval('#sample-history tbody a', (as) => as.map((a) => a.getAttribute('href'))),
    ).toEqual([`/run/cand?sample=${ids['cand']!['s1']}`, `/run/base?sample=${ids['base']!['s1']}`]);
    await page.click('#sample-history a:text-is("base")');
    await page.waitForFunction(() => location.pathname === '/run/base');
    await page.waitForSelector('#sample-history tr[aria-current=true]');
    expect(await page.textContent('#sample-history tr[aria-current=true] a')).toBe('base');
    expect(await page.textContent('.detail h2')).toBe('s1');
    expect(await page.textContent('#sample-facts dd')).toBe('base');
    await inert(page);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows a sample's evaluators from its columns when the store kept no evaluator output", async () => {
    const flat = new SqliteExperimentTracker('p', {
      file: join(dir.path, 'flat.sqlite'),
      includeEvalResult: false,
      companionFields: ['success', 'explanation'],
    });
    await flat.logBatch([output(0.3, 0.5, 0.2, 0.2)], 'qa', [samples[1]!], { runId: 'flat' });
    const [record] = await flat.getRunResults('flat');
    expect(record!.evaluationResult).toBeNull();
    const own = await serveUi(flat, { port: 0 });
    try {
      const { page, problems } = await openPage(
        browser,
        `${own.url}/run/flat?sample=${record!.resultId}`,
      );
      await page.waitForSelector('#sample-history tbody tr');
      const sections = page.locator('.detail .evaluator');
      expect(
        await sections.evaluateAll((ss) => ss.map((s) => s.getAttribute('aria-label'))),
      ).toEqual(['evaluator gen', 'evaluator lex', 'evaluator plain']);
      const rows = (i: number) =>
        sections
          .nth(i)
          .locator('tbody tr')
          .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
      expect(await sections.nth(0).locator('h4').textContent()).toBe('gen fail aggregate 0.400');
      expect(await rows(0)).toEqual([
        ['faith', '0.300', 'fail', '–', `faith 0.3 ${XSS[1]}`],
        [ODD, '0.500', 'fail', '–', '–'],
      ]);
      // No threshold kept: coloured by the verdict beside the score.
      expect(
        await sections
          .nth(0)
          .locator('tbody td:nth-child(2)')
          .evaluateAll((tds) =>
            tds.map((td) => [td.getAttribute('class'), td.getAttribute('title')]),
          ),
      ).toEqual([
        ['num misses', 'fails: its verdict'],
        ['num misses', 'fails: its verdict'],
      ]);
      expect(await sections.nth(1).locator('h4').textContent()).toBe('lex fail aggregate 0.200');
      expect(await rows(1)).toEqual([['dist', '0.200', 'fail', '–', '–']]);
      expect(await rows(2)).toEqual([['plain', '0.200', '–', '–', '–']]);
      await inert(page);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await own.close();
      await flat.close();
    }
  });

  it('looks right at 1200x760 and 1400 wide, light and dark', async () => {
    for (const [width, scheme] of [
      [1200, 'light'],
      [1400, 'light'],
      [1200, 'dark'],
      [1400, 'dark'],
    ] as const) {
      const { page, problems } = await open('/run/cand', {
        viewport: { width, height: 760 },
        colorScheme: scheme,
      });
      await page.waitForSelector('#metric-summary tbody tr');
      await page.waitForSelector('#row-3 [role=gridcell]:not(.muted)');
      const box = await page.locator('.names [role=columnheader]').nth(2).boundingBox();
      expect(box!.x + box!.width).toBeLessThan(width);
      await page.screenshot({ path: join(SHOTS, `run-view-${width}-${scheme}.png`) });
      await page.click('#row-1');
      await page.waitForSelector('#sample-history tbody tr');
      await page.screenshot({ path: join(SHOTS, `sample-view-${width}-${scheme}.png`) });
      await inert(page);
      expect(problems).toEqual([]);
      await page.close();
    }
  });
});
