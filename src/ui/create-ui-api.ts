/**
 * The dashboard's read-only JSON API over one tracker. Its routes are chained on one Hono app so
 * that their types (`UiApi`) carry each `c.json(...)` shape to the browser client (`hc<UiApi>`):
 * a changed answer breaks the client's typecheck.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import { validator } from 'hono/validator';
import { assertComparable, compareRuns } from '../stats/compare-runs.js';
import type { SampleChange } from '../stats/compare-runs.js';
import { runStats, runStatsOn } from '../stats/run-stats.js';
import type { RunStats } from '../stats/run-stats.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { RunSummary } from '../types.js';
import { RunTable } from './run-table.js';

/** Runs kept as tables in memory: the one being looked at, and the one before. */
const TABLES_KEPT = 2;
/**
 * A run being logged is read again at most this often, and not while a read of it is still going
 * on: live pages are told again once a change has settled (see `live-feed.ts`), so they get it
 * within 2 s.
 */
const REFRESH_MS = 1000;
/** Changed samples a comparison sends, and the characters of each text. */
const CHANGES_SENT = 200;
const TEXT_SENT = 4000;
/** Runs' numbers on a metric other than their leaderboard column kept, as they need results read. */
const STATS_KEPT = 5000;
/** Results of a dataset's latest run read to name the metrics its runs have. */
const METRIC_PROBE = 50;

const cutText = (v: unknown): unknown =>
  typeof v === 'string' && v.length > TEXT_SENT ? `${v.slice(0, TEXT_SENT)}…` : v;

const int = (v: string | undefined, fallback: number, max: number): number => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : fallback;
};

/**
 * The query parameters `names`, each as `c.req.query(name)` reads it (the first when repeated);
 * declared so that the client's calls name them with their types.
 */
const query = <K extends string>(...names: K[]) =>
  validator('query', (q) => {
    const out: { [P in K]?: string } = {};
    for (const name of names) {
      const v = q[name];
      const first = Array.isArray(v) ? v[0] : v;
      if (first !== undefined) out[name] = first;
    }
    return out;
  });

const notFound = (c: Context, what: string) => c.json({ error: `no ${what}` }, 404);

/** The API's routes; `tracker` is the store it reads (never writes). */
export function createUiApi(tracker: BaseExperimentTracker, options: { signal?: AbortSignal }) {
  const tables = new Map<
    string,
    { key: string; at: number; stop: AbortController; table: RunTable; done: boolean }
  >();

  const findRun = async (runId: string): Promise<RunSummary | undefined> =>
    runId.trim() === '' ? undefined : ((await tracker.getRun(runId)) ?? undefined);

  /**
   * The run's table, read again when the run changed since it was read, at most every second and
   * once the last read ended (a run being logged is not re-read for every page). A table dropped
   * from the cache stops reading.
   */
  const tableOf = (run: RunSummary): RunTable => {
    const key = `${run.totalData}|${run.updatedAt ?? ''}`;
    const kept = tables.get(run.runId);
    if (kept && (kept.key === key || Date.now() - kept.at < REFRESH_MS || !kept.done)) {
      tables.delete(run.runId);
      tables.set(run.runId, kept);
      return kept.table;
    }
    kept?.stop.abort();
    const stop = new AbortController();
    // Stops with the server too, without a listener per table on the server's signal.
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const table = new RunTable(tracker, run, signal);
    const entry = { key, at: Date.now(), stop, table, done: false };
    tables.set(run.runId, entry);
    for (const [runId, old] of [...tables].slice(0, -TABLES_KEPT)) {
      old.stop.abort();
      tables.delete(runId);
    }
    entry.table.loaded.then(
      () => {
        entry.done = true;
      },
      () => {
        if (tables.get(run.runId) === entry) tables.delete(run.runId);
      },
    );
    return entry.table;
  };

  /**
   * A run's numbers on the metric the page names (`?metric=`), else on its leaderboard column;
   * only another column than the leaderboard's needs the run's results read.
   */
  const statsKept = new Map<string, RunStats>();
  const statsOf = async (run: RunSummary, metric: string | undefined) => {
    if (!metric || metric === run.scoreColumn) return runStats(run);
    // Kept while the run is unchanged: the runs view asks for every run's at once.
    const key = JSON.stringify([run.runId, metric, run.totalData, run.updatedAt]);
    const kept = statsKept.get(key);
    if (kept) return kept;
    const stats = runStatsOn(run, await tracker.getRunResults(run.runId), metric);
    statsKept.set(key, stats);
    for (const old of statsKept.keys()) {
      if (statsKept.size <= STATS_KEPT) break;
      statsKept.delete(old);
    }
    return stats;
  };
  /** Metric names of a run by `runId|updatedAt`: what its first results hold. */
  const metricsKept = new Map<string, string[]>();
  const metricsOf = async (run: RunSummary): Promise<string[]> => {
    const key = `${run.runId}|${run.updatedAt ?? ''}`;
    const kept = metricsKept.get(key);
    if (kept) return kept;
    const names = new Set<string>();
    let read = 0;
    for await (const r of tracker.iterateRunResults(run.runId)) {
      for (const [name, v] of Object.entries(r.values)) if (typeof v !== 'string') names.add(name);
      if (++read >= METRIC_PROBE) break;
    }
    metricsKept.set(key, [...names]);
    if (metricsKept.size > STATS_KEPT) metricsKept.delete(metricsKept.keys().next().value ?? '');
    return [...names];
  };

  return new Hono()
    .get('/api/runs', query('metric'), async (c) => {
      const runs = await tracker.getExperimentHistory();
      const { metric } = c.req.valid('query');
      const out = [];
      for (const run of runs) out.push({ ...run, stats: await statsOf(run, metric) });
      return c.json(out, 200);
    })
    .get('/api/runs/:runId', query('metric'), async (c) => {
      const run = await findRun(c.req.param('runId'));
      return run
        ? c.json({ run, stats: await statsOf(run, c.req.valid('query').metric) }, 200)
        : notFound(c, 'such run');
    })
    .get('/api/runs/:runId/summary', query('metric'), async (c) => {
      const run = await findRun(c.req.param('runId'));
      if (!run) return notFound(c, 'such run');
      const table = tableOf(run);
      const histograms = await table.histograms();
      return c.json(
        {
          metrics: table.metrics,
          failures: await table.failures(c.req.valid('query').metric || run.scoreColumn),
          summaries: await table.summary(),
          histograms,
        },
        200,
      );
    })
    .get(
      '/api/runs/:runId/rows',
      query('offset', 'limit', 'sort', 'desc', 'failures', 'q', 'metric'),
      async (c) => {
        const run = await findRun(c.req.param('runId'));
        if (!run) return notFound(c, 'such run');
        const q = c.req.valid('query');
        const page = await tableOf(run).page({
          offset: int(q.offset, 0, Number.MAX_SAFE_INTEGER),
          limit: int(q.limit, 100, 500),
          sort: q.sort ?? 'i',
          desc: q.desc === '1',
          failures: q.failures === '1',
          search: (q.q ?? '').trim(),
          metric: q.metric || run.scoreColumn,
        });
        return c.json(page, 200);
      },
    )
    .get('/api/runs/:runId/results/:resultId', async (c) => {
      const runId = c.req.param('runId');
      const resultId = c.req.param('resultId');
      if (!runId.trim() || !resultId.trim()) return notFound(c, 'such result');
      const record = await tracker.getResult(runId, resultId);
      return record ? c.json(record, 200) : notFound(c, 'such result');
    })
    .get('/api/samples/:sampleId/history', query('dataset', 'metric', 'last'), async (c) => {
      const sampleId = c.req.param('sampleId');
      if (!sampleId.trim()) return notFound(c, 'such sample');
      const q = c.req.valid('query');
      // Bad options (a sample of several datasets without one) answer 400, from the app's onError.
      const h = await tracker.getSampleHistory(sampleId, {
        last: int(q.last, 20, 200) || 20,
        ...(q.dataset ? { datasetName: q.dataset } : {}),
        ...(q.metric ? { metric: q.metric } : {}),
      });
      // One row a run, with its first trial's result id to open it there; the output cut short.
      const runs = h.runs.map(({ results, output, ...run }) => ({
        ...run,
        output: cutText(output),
        resultId: results[0]?.resultId ?? '',
      }));
      return c.json({ ...h, runs }, 200);
    })
    .get(
      '/api/compare',
      query('baseline', 'candidate', 'allowDifferentDatasets', 'metric'),
      async (c) => {
        const q = c.req.valid('query');
        const baseline = await findRun(q.baseline ?? '');
        const candidate = await findRun(q.candidate ?? '');
        if (!baseline || !candidate) return notFound(c, 'such runs to compare');
        assertComparable(baseline, candidate, q.allowDifferentDatasets === '1');
        const metric = q.metric || candidate.scoreColumn || baseline.scoreColumn;
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
        return c.json(
          {
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
          },
          200,
        );
      },
    )
    .get('/api/metrics', async (c) => {
      // The runs view's metrics: every leaderboard column, and the score columns of the first
      // results of each dataset's latest run (reading every run would cost a whole store).
      const runs = await tracker.getExperimentHistory();
      const names = new Set<string>();
      const latest = new Map<string, RunSummary>();
      for (const run of runs) {
        if (run.scoreColumn) names.add(run.scoreColumn);
        if (!latest.has(run.datasetName)) latest.set(run.datasetName, run);
      }
      for (const run of latest.values()) for (const name of await metricsOf(run)) names.add(name);
      return c.json({ metrics: [...names].sort() }, 200);
    });
}

/** The API's routes with their inputs and answers, for the browser's `hc<UiApi>` client. */
export type UiApi = ReturnType<typeof createUiApi>;
