/**
 * The dashboard's HTTP app (Hono): a read-only JSON API over one tracker, the built browser
 * assets, and the page shell for every other path (the views route in the browser). Every
 * response forbids inline scripts (Content-Security-Policy) and sends no CORS header.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Context } from 'hono';
import { assertComparable, compareRuns } from '../stats/compare-runs.js';
import type { SampleChange } from '../stats/compare-runs.js';
import { runStats, runStatsOn } from '../stats/run-stats.js';
import { EvaltrackError, InvalidInputError } from '../errors.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { RunSummary } from '../types.js';
import { RunTable } from './run-table.js';

export interface UiAppOptions {
  /** The folder of the built browser assets (app.js, app.css, index.html). */
  assetsDir: string;
  /**
   * Host names the app answers to; requests naming another host get 421, so that a web page
   * cannot reach a loopback dashboard through a DNS name it controls (DNS rebinding). `null`
   * (listening on every address, as asked) accepts any.
   */
  allowedHosts: readonly string[] | null;
  /** Stops reading runs in the background, when the server closes. */
  signal?: AbortSignal;
}

/**
 * The page runs only its own script and style (no inline code, nothing from elsewhere), so text
 * from a store can never run; HSTS is off, as the dashboard is served over plain HTTP on loopback.
 */
const SECURITY_HEADERS = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY',
  strictTransportSecurity: false,
});

/** Runs kept as tables in memory: the one being looked at, and the one before. */
const TABLES_KEPT = 2;
/** A run being logged is read again at most this often. */
const REFRESH_MS = 5000;
/** Changed samples a comparison sends, and the characters of each text. */
const CHANGES_SENT = 200;
const TEXT_SENT = 4000;

const cutText = (v: unknown): unknown =>
  typeof v === 'string' && v.length > TEXT_SENT ? `${v.slice(0, TEXT_SENT)}…` : v;

const int = (v: string | undefined, fallback: number, max: number): number => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
};

/** The app; `tracker` is the store it reads (never writes). */
export function createUiApp(tracker: BaseExperimentTracker, options: UiAppOptions): Hono {
  const app = new Hono();
  const shell = readFileSync(join(options.assetsDir, 'index.html'), 'utf8');
  const tables = new Map<
    string,
    { key: string; at: number; stop: AbortController; table: RunTable }
  >();

  const findRun = async (runId: string): Promise<RunSummary | undefined> =>
    runId.trim() === '' ? undefined : ((await tracker.getRun(runId)) ?? undefined);

  /**
   * The run's table, read again when the run changed since it was read, at most every 5 s (a run
   * being logged is not re-read for every page). A table dropped from the cache stops reading.
   */
  const tableOf = (run: RunSummary): RunTable => {
    const key = `${run.totalData}|${run.updatedAt ?? ''}`;
    const kept = tables.get(run.runId);
    if (kept && (kept.key === key || Date.now() - kept.at < REFRESH_MS)) {
      tables.delete(run.runId);
      tables.set(run.runId, kept);
      return kept.table;
    }
    kept?.stop.abort();
    const stop = new AbortController();
    // Stops with the server too, without a listener per table on the server's signal.
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const entry = { key, at: Date.now(), stop, table: new RunTable(tracker, run, signal) };
    tables.set(run.runId, entry);
    for (const [runId, old] of [...tables].slice(0, -TABLES_KEPT)) {
      old.stop.abort();
      tables.delete(runId);
    }
    entry.table.loaded.catch(() => {
      if (tables.get(run.runId) === entry) tables.delete(run.runId);
    });
    return entry.table;
  };

  const notFound = (c: Context, what: string) => c.json({ error: `no ${what}` }, 404);

  app.use('*', SECURITY_HEADERS);
  app.use('*', async (c, next) => {
    const host = (c.req.header('host') ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    if (options.allowedHosts !== null && !options.allowedHosts.includes(host)) {
      return c.text('unknown host', 421);
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      return c.text('read-only', 405, { Allow: 'GET, HEAD' });
    }
    await next();
  });

  /**
   * A run's numbers on the metric the page names (`?metric=`), else on its leaderboard column;
   * only another column than the leaderboard's needs the run's results read.
   */
  const statsOf = async (run: RunSummary, metric: string | undefined) =>
    !metric || metric === run.scoreColumn
      ? runStats(run)
      : runStatsOn(run, await tracker.getRunResults(run.runId), metric);

  app.get('/api/runs', async (c) => {
    const runs = await tracker.getExperimentHistory();
    const metric = c.req.query('metric');
    const out = [];
    for (const run of runs) out.push({ ...run, stats: await statsOf(run, metric) });
    return c.json(out);
  });

  app.get('/api/runs/:runId', async (c) => {
    const run = await findRun(c.req.param('runId'));
    return run
      ? c.json({ run, stats: await statsOf(run, c.req.query('metric')) })
      : notFound(c, 'such run');
  });

  app.get('/api/runs/:runId/histograms', async (c) => {
    const run = await findRun(c.req.param('runId'));
    if (!run) return notFound(c, 'such run');
    const table = tableOf(run);
    const histograms = await table.histograms();
    return c.json({
      metrics: table.metrics,
      failures: await table.failures(c.req.query('metric') || run.scoreColumn),
      histograms,
    });
  });

  app.get('/api/runs/:runId/rows', async (c) => {
    const run = await findRun(c.req.param('runId'));
    if (!run) return notFound(c, 'such run');
    const q = c.req.query();
    const page = await tableOf(run).page({
      offset: int(q['offset'], 0, Number.MAX_SAFE_INTEGER),
      limit: int(q['limit'], 100, 500),
      sort: q['sort'] ?? 'i',
      desc: q['desc'] === '1',
      failures: q['failures'] === '1',
      search: (q['q'] ?? '').trim(),
      metric: q['metric'] || run.scoreColumn,
    });
    return c.json(page);
  });

  app.get('/api/runs/:runId/results/:resultId', async (c) => {
    const runId = c.req.param('runId');
    const resultId = c.req.param('resultId');
    if (!runId.trim() || !resultId.trim()) return notFound(c, 'such result');
    const record = await tracker.getResult(runId, resultId);
    return record ? c.json(record) : notFound(c, 'such result');
  });

  app.get('/api/compare', async (c) => {
    const baseline = await findRun(c.req.query('baseline') ?? '');
    const candidate = await findRun(c.req.query('candidate') ?? '');
    if (!baseline || !candidate) return notFound(c, 'such runs to compare');
    assertComparable(baseline, candidate, c.req.query('allowDifferentDatasets') === '1');
    const metric = c.req.query('metric') || candidate.scoreColumn || baseline.scoreColumn;
    if (!metric)
      return c.json({ error: 'these runs have no leaderboard column: name a metric' }, 400);
    const comparison = compareRuns(
      await tracker.getRunResults(baseline.runId),
      await tracker.getRunResults(candidate.runId),
      { metric },
    );
    // The counts are whole; the changed samples sent are the first ones, texts cut short.
    const send = (changes: SampleChange[]): SampleChange[] =>
      changes.slice(0, CHANGES_SENT).map((ch) => ({
        ...ch,
        input: cutText(ch.input),
        baselineOutput: cutText(ch.baselineOutput),
        candidateOutput: cutText(ch.candidateOutput),
      }));
    return c.json({
      baseline,
      candidate,
      counts: {
        regressions: comparison.regressions.length,
        improvements: comparison.improvements.length,
      },
      comparison: {
        ...comparison,
        regressions: send(comparison.regressions),
        improvements: send(comparison.improvements),
      },
    });
  });

  app.all('/api/*', (c) => notFound(c, 'such API'));
  app.onError((e, c) => {
    const status =
      e instanceof InvalidInputError
        ? 400
        : e instanceof EvaltrackError && e.code === 'E_NOT_COMPARABLE'
          ? 409
          : 500;
    return c.json({ error: e.message.replace(/^\[evaltrack\] /, '') }, status);
  });
  app.use(
    '/assets/*',
    serveStatic({ root: options.assetsDir, rewriteRequestPath: (p) => p.slice(7) }),
  );
  // Every other path is a view of the page: the browser routes it.
  app.get('*', (c) => c.html(shell));
  return app;
}
