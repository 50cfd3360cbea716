// Live updates in a real browser: the dashboard is open on the runs view, a run's view and a
// comparison while a separate node process (test/helpers/live-writer.mjs) logs into the store;
// the new run and its rows show without a reload, the run is marked running, and the mark goes
// once the run stops changing. On every store that can run here.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaseExperimentTracker } from 'evaltrack';
import { serveUi } from '../../dist/ui/serve-ui.js';
import type { UiServer } from '../../dist/ui/serve-ui.js';
import { CHROMIUM, launchChromium, openPage, requireChromiumInCi } from '../helpers/browser.js';
import { testStores } from '../helpers/test-stores.js';

requireChromiumInCi('the dashboard');

const LIVE_WRITER = fileURLToPath(new URL('../helpers/live-writer.mjs', import.meta.url));
/** Generous: the update is expected within 2 s (see the benchmark), never timed here. */
const WAIT = { timeout: 15_000 };
/** How long after its last change a run counts as running, short for the test. */
const RUNNING_MS = 1500;

/** A separate process that logs `n` more results into `runId` on each `log(n)`. */
class Writer {
  readonly #child: ChildProcessWithoutNullStreams;
  #out = '';
  #err = '';
  readonly exited: Promise<number | null>;

  constructor(address: string, runId: string) {
    this.#child = spawn(process.execPath, [LIVE_WRITER, address, runId]);
    this.#child.stdout.on('data', (d: Buffer) => (this.#out += d.toString()));
    this.#child.stderr.on('data', (d: Buffer) => (this.#err += d.toString()));
    this.exited = new Promise((resolve) => this.#child.on('exit', resolve));
  }

  /** Logs `n` results and resolves once the writer says they are stored, with its total. */
  async log(n: number): Promise<number> {
    const before = this.#out.length;
    this.#child.stdin.write(`${n}\n`);
    for (;;) {
      const line = /stored (\d+)\n/.exec(this.#out.slice(before));
      if (line) return Number(line[1]);
      if (this.#child.exitCode !== null) throw new Error(`the writer ended: ${this.#err}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Ends the writer (its tracker closes) and resolves with its exit code. */
  end(): Promise<number | null> {
    this.#child.stdin.end();
    return this.exited;
  }
}

const runsRows = (page: Page) =>
  page.$$eval('#runs tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].slice(2, 6).map((td) => td.textContent)),
  );
const sampleIds = (page: Page) =>
  page.$$eval('.spacer .row', (rows) =>
    rows.map((r) => r.querySelectorAll('[role=gridcell]')[1]?.textContent ?? ''),
  );

for (const store of testStores()) {
  const skip = !CHROMIUM ? 'no chromium installed' : store.skip;
  describe.skipIf(skip !== null)(`live dashboard, ${store.kind}${skip ? `: ${skip}` : ''}`, () => {
    let location: string;
    let viewer: BaseExperimentTracker;
    let server: UiServer;
    let browser: Browser;

    beforeAll(async () => {
      location = store.newLocation();
      // A run logged before the page opens: the baseline of the comparison.
      const seed = store.open(location, 'live');
      for (let i = 0; i < 5; i++) {
        seed.log(
          { judge: { aggregate_success: true, quality: { score: 1, success: true } } },
          'live',
          { id: `live-${i}`, input: `question ${i}`, expected_response: `answer ${i}` },
          { runId: 'before' },
        );
      }
      await seed.close();
      viewer = store.open(location, 'viewer');
      server = await serveUi(viewer, { port: 0, live: { runningMs: RUNNING_MS } });
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.close();
      await viewer?.close();
    });

    it('shows a run being logged by another process as it is logged, then as done', async () => {
      const runs = await openPage(browser, `${server.url}/?pick=before`);
      await runs.page.waitForSelector('#runs tbody tr');
      expect(await runsRows(runs.page)).toEqual([['before', 'live', 'unknown', '5']]);
      // A reload would forget this.
      await runs.page.evaluate(() => ((window as { stayed?: boolean }).stayed = true));

      const writer = new Writer(store.address(location), 'now');
      try {
        expect(await writer.log(3)).toBe(3);
        await runs.page.waitForFunction(
          () => document.querySelectorAll('#runs tbody tr').length === 2,
          undefined,
          WAIT,
        );
        expect(await runsRows(runs.page)).toEqual([
          ['nowrunning', 'live', 'unknown', '3'],
          ['before', 'live', 'unknown', '5'],
        ]);
        expect(await runs.page.textContent('#runs .badge.running')).toBe('running');
        // The pick stays, in the page and in the URL.
        expect(await runs.page.isChecked('[aria-label="select before to compare"]')).toBe(true);
        expect(new URL(runs.page.url()).search).toBe('?pick=before');

        const run = await openPage(browser, `${server.url}/run/now`);
        await run.page.waitForFunction(
          () => document.querySelector('#sample-count')?.textContent === '3 samples',
          undefined,
          WAIT,
        );
        await run.page.evaluate(() => ((window as { stayed?: boolean }).stayed = true));
        expect(await run.page.textContent('h1 .badge.running')).toBe('running');
        const compare = await openPage(
          browser,
          `${server.url}/compare?baseline=before&candidate=now`,
        );
        await compare.page.waitForSelector('#compare-summary', WAIT);
        await compare.page.evaluate(() => ((window as { stayed?: boolean }).stayed = true));
        expect(await compare.page.textContent('#compare-summary')).toBe(
          'On judge.aggregate_success: 3 samples in both runs: 1 regressions, 0 improvements, 2 unchanged.',
        );

        expect(await writer.log(2)).toBe(5);
        await run.page.waitForFunction(
          () => document.querySelector('#sample-count')?.textContent === '5 samples',
          undefined,
          WAIT,
        );
        await run.page.waitForFunction(
          () => document.querySelectorAll('.spacer .row').length === 5,
          undefined,
          WAIT,
        );
        expect(await sampleIds(run.page)).toEqual(['live-0', 'live-1', 'live-2', 'live-3', 'live-4']);
        expect(await run.page.textContent('#run-n')).toBe('5');
        await runs.page.waitForFunction(
          () => document.querySelector('#runs tbody tr td:nth-child(6)')?.textContent === '5',
          undefined,
          WAIT,
        );
        // The comparison was made again: 5 samples in common now, not 3.
        await compare.page.waitForFunction(
          () =>
            document.querySelector('#compare-summary')?.textContent ===
            'On judge.aggregate_success: 5 samples in both runs: 2 regressions, 0 improvements, 3 unchanged.',
          undefined,
          WAIT,
        );

        expect(await writer.end()).toBe(0);
        // No change for RUNNING_MS: the run is done.
        await runs.page.waitForSelector('#runs .badge.running', { ...WAIT, state: 'detached' });
        await run.page.waitForSelector('h1 .badge.running', { ...WAIT, state: 'detached' });
        expect(await runsRows(runs.page)).toEqual([
          ['now', 'live', 'unknown', '5'],
          ['before', 'live', 'unknown', '5'],
        ]);
        for (const p of [runs.page, run.page, compare.page]) {
          expect(await p.evaluate(() => (window as { stayed?: boolean }).stayed)).toBe(true);
        }
        expect([...runs.problems, ...run.problems, ...compare.problems]).toEqual([]);
      } finally {
        await writer.end();
      }
    });
  });
}
