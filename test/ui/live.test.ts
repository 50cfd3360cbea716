// Live updates in a real browser: the dashboard is open on the runs view, a run's view and a
// comparison while a separate node process (test/helpers/live-writer.mjs) logs into the store;
// the new run and its rows show without a reload, the run is marked running, and the mark goes
// once the run stops changing. On every store that can run here.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaseExperimentTracker } from 'evaltrack';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { serveUi } from '../../dist/ui/serve-ui.js';
import type { UiServer } from '../../dist/ui/serve-ui.js';
import { CHROMIUM, launchChromium, openPage, requireChromiumInCi } from '../helpers/browser.js';
import { BIN } from '../helpers/evaltrack-binary.js';
import { tempDir } from '../helpers/temp-dir.js';
import { testStores } from '../helpers/test-stores.js';

requireChromiumInCi('the dashboard');

const LIVE_WRITER = fileURLToPath(new URL('../helpers/live-writer.mjs', import.meta.url));
/** Generous: the update is expected within 2 s (see the benchmark), never timed here. */
const WAIT = { timeout: 15_000 };
/**
 * How long after its last change a run counts as running: shorter than the default for the test,
 * long enough for a page that listens to see the mark on a loaded machine.
 */
const RUNNING_MS = 5000;

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
  page.$$eval('#runs tbody tr:not(.gap)', (trs) =>
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
      const runs = await openPage(browser, `${server.url}/?baseline=before`);
      await runs.page.waitForSelector('#runs tbody tr');
      expect(await runsRows(runs.page)).toEqual([['before', 'live', 'unknown', '5']]);
      // A reload would forget this.
      await runs.page.evaluate(() => ((window as { stayed?: boolean }).stayed = true));

      const writer = new Writer(store.address(location), 'now');
      try {
        expect(await writer.log(3)).toBe(3);
        await runs.page.waitForFunction(
          () => document.querySelectorAll('#runs tbody tr:not(.gap)').length === 2,
          undefined,
          WAIT,
        );
        await runs.page.waitForSelector('#runs .badge.running', WAIT);
        expect(await runsRows(runs.page)).toEqual([
          ['nowrunning', 'live', 'unknown', '3'],
          ['before', 'live', 'unknown', '5'],
        ]);
        // The baseline picked stays, in the page and in the URL.
        expect(await runs.page.isChecked('[aria-label="before as the baseline"]')).toBe(true);
        expect(new URL(runs.page.url()).search).toBe('?baseline=before');

        const run = await openPage(browser, `${server.url}/run/now`);
        await run.page.waitForFunction(
          () => document.querySelector('#sample-count')?.textContent === '3 samples',
          undefined,
          WAIT,
        );
        await run.page.evaluate(() => ((window as { stayed?: boolean }).stayed = true));
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
        // The run page, open now, sees the run running.
        expect(await run.page.textContent('h1 .badge.running', WAIT)).toBe('running');
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
        expect(await sampleIds(run.page)).toEqual([
          'live-0',
          'live-1',
          'live-2',
          'live-3',
          'live-4',
        ]);
        // The run's numbers are a read of their own, told again once the change settled.
        await run.page.waitForFunction(
          () => document.querySelector('#run-n')?.textContent === '5',
          undefined,
          WAIT,
        );
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

        // A longer run, scrolled down: rows arriving leave the grid where it was.
        expect(await writer.log(200)).toBe(205);
        await run.page.waitForFunction(
          () => document.querySelector('#sample-count')?.textContent === '205 samples',
          undefined,
          WAIT,
        );
        await run.page.$eval('.scroller', (el) => (el.scrollTop = 3000));
        await run.page.waitForFunction(
          // Row 95 (of 32 px) is in view at 3,000 px, with its sample.
          () => document.querySelector('#row-95')?.textContent?.includes('live-95'),
          undefined,
          WAIT,
        );
        const top = await run.page.$eval('.scroller', (el) => el.scrollTop);
        expect(top).toBeGreaterThan(2000);
        expect(await writer.log(1)).toBe(206);
        await run.page.waitForFunction(
          () => document.querySelector('#sample-count')?.textContent === '206 samples',
          undefined,
          WAIT,
        );
        expect(await run.page.$eval('.scroller', (el) => el.scrollTop)).toBe(top);

        expect(await writer.end()).toBe(0);
        // No change for RUNNING_MS: the run is done.
        await runs.page.waitForSelector('#runs .badge.running', { ...WAIT, state: 'detached' });
        await run.page.waitForSelector('h1 .badge.running', { ...WAIT, state: 'detached' });
        expect(await runsRows(runs.page)).toEqual([
          ['now', 'live', 'unknown', '206'],
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

/** Opens `/api/events` of `url` (with `headers`), resolving with the status, headers and the text
 * received once it holds `until`; `stream.close` ends the connection from the client's side. */
function events(
  url: string,
  until: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  text: string;
  ended: Promise<void>;
}> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/events`, { method, headers }, (res) => {
      let text = '';
      const ended = new Promise<void>((done) => res.on('close', done));
      const give = () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, ended });
      res.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes(until)) give();
      });
      res.on('end', give);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the event stream (/api/events)', () => {
  it('is a read-only same-origin stream, and closing the server ends it', async () => {
    using dir = tempDir();
    const tracker = new SqliteExperimentTracker('p', { file: join(dir.path, 'e.sqlite') });
    tracker.log({ judge: { aggregate_success: true } }, 'ds', { id: 'a' }, { runId: 'r1' });
    const server = await serveUi(tracker, { port: 0 });
    try {
      const first = await events(server.url, '"changed"');
      expect(first.status).toBe(200);
      expect(first.headers['content-type']).toBe('text/event-stream');
      expect(first.headers['access-control-allow-origin']).toBeUndefined();
      expect(first.headers['content-security-policy']).toContain("connect-src 'self'");
      expect(first.text).toBe(
        'event: hello\ndata: {}\nretry: 1000\n\n' +
          'event: change\ndata: {"version":0,"changed":["r1"],"running":[]}\n\n',
      );
      // Another site's name for this machine (DNS rebinding), or a write: refused.
      const foreign = await events(server.url, '', { host: 'evil.example' });
      expect([foreign.status, foreign.text]).toEqual([421, 'unknown host']);
      const post = await events(server.url, '', {}, 'POST');
      expect([post.status, post.text]).toEqual([405, 'read-only']);
      // An open stream does not keep close() waiting: it ends it.
      await server.close();
      await first.ended;
    } finally {
      await server.close().catch(() => {});
      await tracker.close();
    }
  });

  it('polls the change marker only while a page listens, and reads runs only when it changed', async () => {
    using dir = tempDir();
    // The SQLite tracker, counting what the dashboard asks of it.
    class Counting extends SqliteExperimentTracker {
      markers = 0;
      histories = 0;
      override changeMarker(): Promise<string | null> {
        this.markers++;
        return super.changeMarker();
      }
      override getExperimentHistory(
        ...args: Parameters<SqliteExperimentTracker['getExperimentHistory']>
      ): ReturnType<SqliteExperimentTracker['getExperimentHistory']> {
        this.histories++;
        return super.getExperimentHistory(...args);
      }
    }
    const file = join(dir.path, 'e.sqlite');
    const tracker = new Counting('p', { file });
    tracker.log({ judge: { aggregate_success: true } }, 'ds', { id: 'a' }, { runId: 'r1' });
    const server = await serveUi(tracker, { port: 0, live: { pollMs: 20 } });
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      await pause(300);
      expect([tracker.markers, tracker.histories]).toEqual([0, 0]);

      const listening = new AbortController();
      const stream = await fetch(`${server.url}/api/events`, { signal: listening.signal });
      const reader = stream.body!.getReader();
      let text = '';
      while (!text.includes('"changed"'))
        text += new TextDecoder().decode((await reader.read()).value);
      // Polled, but the runs are read once: nothing changed.
      while (tracker.markers < 10) await pause(20);
      expect(tracker.histories).toBe(1);

      // Another process writes: the runs are read again, the page told.
      const other = new SqliteExperimentTracker('q', { file });
      other.log({ judge: { aggregate_success: false } }, 'ds', { id: 'b' }, { runId: 'r2' });
      await other.close();
      while (!text.includes('"changed":["r2"]'))
        text += new TextDecoder().decode((await reader.read()).value);
      expect(tracker.histories).toBe(2);

      // The page leaves: polling stops.
      listening.abort();
      let before = -1;
      for (let i = 0; i < 50 && before !== tracker.markers; i++) {
        before = tracker.markers;
        await pause(200);
      }
      await pause(300);
      expect(tracker.markers).toBe(before);
    } finally {
      await server.close();
      await tracker.close();
    }
  });

  it('`evaltrack ui` tells a page of another process’s write, and stops on Ctrl+C with a page listening', async () => {
    using dir = tempDir();
    const store = `sqlite:${join(dir.path, 'e.sqlite')}`;
    const seed = new SqliteExperimentTracker('p', { file: join(dir.path, 'e.sqlite') });
    seed.log({ judge: { aggregate_success: true } }, 'ds', { id: 'a' }, { runId: 'r1' });
    await seed.close();
    const child = spawn(process.execPath, [BIN, 'ui', '--port', '0', '--json', '--store', store]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve((JSON.parse(out) as { url: string }).url);
      });
    });
    const stream = await events(url, '"changed"');
    expect(stream.text).toContain('"changed":["r1"]');
    // The poll's timer is unref'd (a closing process never waits on it): the server alone keeps
    // the process alive, and the poll still runs there. Another process's write reaches a page.
    const watch = await fetch(`${url}/api/events`);
    const reader = watch.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (part: string) => {
      while (!text.includes(part)) text += decoder.decode((await reader.read()).value);
    };
    await until('"changed":["r1"]');
    const writer = new SqliteExperimentTracker('q', { file: join(dir.path, 'e.sqlite') });
    writer.log({ judge: { aggregate_success: false } }, 'ds', { id: 'b' }, { runId: 'r2' });
    await writer.close();
    await until('"changed":["r2"]');
    expect(child.exitCode).toBeNull();
    await reader.cancel();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await stream.ended;
  });
});
