// The HTML report in a real browser (Debian's chromium through playwright-core), opened from
// file:// with every other request refused: it must need none, run no stored text as markup, and
// its table, filters, sample detail and charts must work.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htmlReport } from '../../dist/report/html-report.js';
import type { ReportModel } from '../../dist/report/report-model.js';
import { goldenModel } from '../../scripts/regenerate-report-goldens.mjs';
import { CHROMIUM, SHOTS, launchChromium, requireChromiumInCi } from '../helpers/browser.js';
import { tempDir } from '../helpers/temp-dir.js';

requireChromiumInCi('the HTML report');
const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '</script><script>alert(1)</script>';

describe.skipIf(!CHROMIUM)(`the HTML report${CHROMIUM ? '' : ': no chromium installed'}`, () => {
  const dir = tempDir('evaltrack-report-');
  let browser: Browser;
  let model: ReportModel;
  /** The report of the goldens' store, rendered by this build (the golden test checks they agree). */
  let reportFile: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    model = await goldenModel();
    reportFile = join(dir.path, 'report.html');
    writeFileSync(reportFile, htmlReport(model));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    dir[Symbol.dispose]();
  });

  /**
   * `file` opened from file:// with scripts on or off; any request that is not for a file is
   * refused and recorded, as are console errors, page errors and dialogs (an alert).
   */
  async function open(
    file: string,
    javaScriptEnabled = true,
  ): Promise<{ page: Page; problems: string[]; requests: string[] }> {
    const context = await browser.newContext({
      javaScriptEnabled,
      viewport: { width: 1200, height: 900 },
    });
    const requests: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    if (javaScriptEnabled) {
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 }).catch((e) => {
        throw new Error(`the page's script did not finish: ${problems.join('; ')}`, { cause: e });
      });
    }
    return { page, problems, requests };
  }

  const rowIds = (page: Page): Promise<string[]> =>
    page.$$eval('#sample-table tbody tr.row td:first-child', (tds) =>
      tds.map((td) => td.textContent ?? ''),
    );

  it('opens offline, runs no payload, filters, opens a sample, draws a chart per metric', async () => {
    const { page, problems, requests } = await open(reportFile);
    // One chart per compared metric, each one uPlot canvas.
    expect(await page.locator('#charts figure.metric-chart').count()).toBe(4);
    expect(await page.locator('#charts canvas').count()).toBe(4);
    expect(await page.locator('#charts figcaption').allTextContents()).toEqual([
      'judge.quality.score',
      `judge.${IMG}.score`,
      'judge.quality.success',
      'judge.aggregate_successdecides',
    ]);
    // Every sample, in the report's order; payloads are text.
    expect(await rowIds(page)).toEqual([
      'q01',
      'q04',
      'q05',
      'q02',
      'q06',
      IMG,
      'q03',
      'q07',
      'q08',
    ]);
    expect(await page.textContent('#sample-count')).toBe('9 samples');
    expect(await page.textContent('h1')).toBe(
      `Candidate cand-</script> against baseline base-${IMG}`,
    );
    expect(await page.locator('img, iframe, object, embed').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(2);

    // The text filter: by id, then by text of an input.
    await page.fill('#sample-filter', 'q07');
    await page.waitForFunction(
      () => document.querySelectorAll('#sample-table tr.row').length === 1,
    );
    expect(await rowIds(page)).toEqual(['q07']);
    expect(await page.textContent('#sample-count')).toBe('1 of 9 samples');
    await page.fill('#sample-filter', '<IMG SRC');
    await page.waitForFunction(
      () => document.querySelectorAll('#sample-table tr.row').length === 2,
    );
    expect(await rowIds(page)).toEqual(['q01', IMG]);
    // The status filter, with the text filter cleared.
    await page.fill('#sample-filter', '');
    await page.selectOption('#status-filter', { label: 'unchanged (4)' });
    await page.waitForFunction(
      () => document.querySelectorAll('#sample-table tr.row').length === 4,
    );
    expect(await rowIds(page)).toEqual([IMG, 'q03', 'q07', 'q08']);
    await page.selectOption('#status-filter', { label: 'all (9)' });

    // A click opens the sample: input, expected, both outputs, explanations, dashboard links.
    await page.click('#sample-table tr.row >> nth=0');
    const detail = page.locator('#sample-table .detail');
    await detail.waitFor();
    expect(await detail.locator('dl.texts pre').allTextContents()).toEqual([
      `Can I return shoes? ${IMG}`,
      'Yes, within 30 days.',
    ]);
    expect(await detail.locator('.side pre.output').allTextContents()).toEqual([
      `Yes, within 30 days. ${SCRIPT}`,
      `Yes, within 60 days. ${IMG}`,
    ]);
    expect(
      await detail.locator('.side >> nth=1').locator('dl.explanations dd').allTextContents(),
    ).toEqual([`Says 60 days ${SCRIPT}`, `markup metric ${SCRIPT}`]);
    expect(
      await detail.locator('.side h4 a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
    ).toEqual([
      `http://127.0.0.1:7878/run/${encodeURIComponent(model.baseline.runId)}?sample=${encodeURIComponent(model.samples[0]?.baseline?.resultId ?? '')}`,
      `http://127.0.0.1:7878/run/${encodeURIComponent(model.candidate.runId)}?sample=${encodeURIComponent(model.samples[0]?.candidate?.resultId ?? '')}`,
    ]);
    await page.screenshot({ path: join(SHOTS, 'report.png'), fullPage: true });
    // The error of q04, and a long text cut with its count.
    await page.click('#sample-table tr.row >> nth=0');
    await page.click('#sample-table tr.row >> nth=1');
    expect(await page.locator('#sample-table .detail p.error').textContent()).toBe(
      `judge: TimeoutError: ${IMG} took longer than 30000 ms`,
    );
    await page.click('#sample-table tr.row >> nth=1');
    await page.fill('#sample-filter', 'q07');
    await page.click('#sample-table tr.row >> nth=0');
    expect(
      await page.locator('#sample-table .detail .side pre.output .cut').allTextContents(),
    ).toEqual(['… 1,130 more characters', '… 1,130 more characters']);

    expect(await page.locator('img, iframe, object, embed').count()).toBe(0);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });

  it('reads with scripts off: the verdict, the metrics and the changed samples are in the page', async () => {
    const { page, problems, requests } = await open(reportFile, false);
    expect(await page.textContent('#verdict')).toBe(
      'evaltrack gate failed on judge.aggregate_success',
    );
    expect(await page.locator('ul.failures li').count()).toBe(4);
    expect(
      await page.$$eval('#metrics tbody tr', (trs) =>
        trs.map((tr) => [...tr.children].map((c) => c.textContent)),
      ),
    ).toEqual([
      ['judge.quality.score', 'score', '6', '0.742', '0.758', '0.017 [-0.292, 0.333]', 'no', '-'],
      [`judge.${IMG}.score`, 'score', '6', '0.750', '0.750', '0.000 [-0.375, 0.375]', 'no', '-'],
      [
        'judge.quality.success',
        'pass/fail',
        '6',
        '0.667',
        '0.667',
        '0.000 [-0.500, 0.500]',
        'no',
        '1.0000',
      ],
      [
        'judge.aggregate_success decides',
        'pass/fail',
        '6',
        '0.667',
        '0.667',
        '0.000 [-0.500, 0.500]',
        'no',
        '1.0000',
      ],
    ]);
    expect(await page.locator('#regressions details pre >> nth=2').textContent()).toBe(
      `Yes, within 30 days. ${SCRIPT}`,
    );
    expect(await page.textContent('#samples-app')).toBe(
      'The table of every sample needs JavaScript.',
    );
    expect(await page.locator('img, iframe, object, embed').count()).toBe(0);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });

  it('a large report: gzipped data, the first 100 rows, 100 more on demand', async () => {
    // The fixture's samples 250 times over, under new ids.
    const samples = Array.from({ length: 250 }, (_, k) =>
      model.samples.map((s) => ({ ...s, sampleId: `${s.sampleId}#${k}` })),
    ).flat();
    const file = join(dir.path, 'large.html');
    // maxBytes 1: every fallback taken, unchanged samples keep an input preview only.
    writeFileSync(file, htmlReport({ ...model, samples }, { compressAbove: 0, maxBytes: 1 }));
    const { page, problems, requests } = await open(file);
    expect(await page.textContent('#sample-count')).toBe('2250 samples');
    expect(await page.locator('#sample-table tr.row').count()).toBe(100);
    await page.click('#show-more');
    await page.waitForFunction(
      () => document.querySelectorAll('#sample-table tr.row').length === 200,
    );
    await page.fill('#sample-filter', 'q07#24');
    await page.waitForFunction(
      () => document.querySelectorAll('#sample-table tr.row').length === 11,
    );
    expect((await rowIds(page)).slice(0, 3)).toEqual(['q07#24', 'q07#240', 'q07#241']);
    expect(await page.locator('#show-more').count()).toBe(0);
    // An unchanged sample: its preview, values and a note; a regression: its texts.
    await page.click('#sample-table tr.row >> nth=0');
    expect(await page.locator('.detail .brief-note').count()).toBe(1);
    expect(await page.locator('.detail pre.output').count()).toBe(0);
    expect(await page.locator('.detail dl.texts dt').allTextContents()).toEqual(['input']);
    await page.fill('#sample-filter', 'q01#24');
    await page.click('#sample-table tr.row >> nth=0');
    expect(await page.locator('.detail .brief-note').count()).toBe(0);
    expect(await page.locator('.detail pre.output').allTextContents()).toEqual([
      `Yes, within 30 days. ${SCRIPT}`,
      `Yes, within 60 days. ${IMG}`,
    ]);
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    await page.context().close();
  });
});
