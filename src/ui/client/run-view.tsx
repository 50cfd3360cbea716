/**
 * One run: its numbers on the deciding metric and every sample in a virtualised grid first, then
 * a summary row per metric, and the distributions of its continuous metrics on demand.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, encoded, metricQuery, read } from './api.js';
import type { RunDetail, RunMetrics, RunSummary } from './api.js';
import { byEvaluator, isVerdictColumn, metricParts, thresholdText } from '../metric-names.js';
import { MetricHistogram } from './charts.js';
import { count, duration, interval, money, num, pct } from './format.js';
import { Link } from './router.js';
import { MetricChoice } from './metric-choice.js';
import { RunningBadge } from './running-badge.js';
import { useOnRunChange } from './use-live.js';
import { SampleDetail } from './sample-detail.js';
import { SampleTable } from './sample-table.js';

export function RunView({ runId, query }: { runId: string; query: URLSearchParams }) {
  const metric = query.get('metric') ?? '';
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [metrics, setMetrics] = useState<string[]>([]);
  const [summary, setSummary] = useState<RunMetrics | null>(null);
  useEffect(() => {
    setDetail(null);
    setError(null);
    read(api.runs[':runId'].$get({ param: encoded({ runId }), query: metricQuery(metric) })).then(
      setDetail,
      (e: Error) => setError(e.message),
    );
  }, [runId, metric]);
  // Asked once the run is found: a run that is not there answers one 404, not two.
  const found = detail !== null;
  useEffect(() => {
    setSummary(null);
    if (!found) return;
    const stop = new AbortController();
    read(
      api.runs[':runId'].summary.$get(
        { param: encoded({ runId }), query: metricQuery(metric) },
        { init: { signal: stop.signal } },
      ),
    ).then(setSummary, () => {});
    return () => stop.abort();
  }, [runId, metric, found]);
  // Live: the run changed, its numbers and summary are read again (what is shown stays until
  // they come).
  useOnRunChange([runId], () => {
    const asked = { param: encoded({ runId }), query: metricQuery(metric) };
    read(api.runs[':runId'].$get(asked)).then(setDetail, () => {});
    read(api.runs[':runId'].summary.$get(asked)).then(setSummary, () => {});
  });
  if (error)
    return (
      <p role="alert">
        Could not load run {runId}: {error}
      </p>
    );
  if (!detail) return <p aria-busy="true">Loading run…</p>;
  const { run, stats } = detail;
  const sample = query.get('sample');
  const options = summary?.metrics ?? metrics;
  return (
    <section>
      <p class="crumbs">
        <Link href="/">Runs</Link> / {run.runId}
      </p>
      <h1>
        {run.runId}
        <RunningBadge runId={run.runId} />
      </h1>
      <dl class="facts">
        <div>
          <dt>pass rate [95% CI]</dt>
          <dd id="run-pass">
            {pct(stats.passRate)} <span class="ci">{interval(stats.passInterval, pct)}</span>
          </dd>
        </div>
        {/* A pass/fail metric's mean is its pass rate: said once. */}
        {stats.score !== stats.passRate && (
          <div>
            <dt>mean [95% CI]</dt>
            <dd id="run-score">
              {num(stats.score)}{' '}
              <span class="ci">{interval(stats.scoreInterval, (x) => num(x))}</span>
            </dd>
          </div>
        )}
        <div>
          <dt>
            <label for="metric">deciding metric</label>
          </dt>
          <dd id="run-metric">
            <MetricChoice
              value={metric}
              options={options}
              fallback={run.scoreColumn}
              label={null}
            />
          </dd>
        </div>
        <div>
          <dt>samples</dt>
          <dd id="run-n">{stats.n}</dd>
        </div>
        <div>
          <dt title="results with a value on the deciding metric">scored</dt>
          <dd id="run-scored">{stats.scored}</dd>
        </div>
        <div>
          <dt title="failed on the deciding metric, or an evaluator recorded an error">failures</dt>
          <dd id="failures">{summary ? summary.failures : '…'}</dd>
        </div>
        <div>
          <dt>dataset</dt>
          <dd id="run-dataset">{run.datasetName}</dd>
        </div>
        <div>
          <dt>model</dt>
          <dd id="run-model">{run.modelName}</dd>
        </div>
        <Measures run={run} />
      </dl>
      <SampleTable
        runId={runId}
        query={query}
        decider={stats.metric ?? null}
        onMetrics={setMetrics}
      />
      <MetricSummaries summary={summary} decider={stats.metric ?? null} query={query} />
      {sample && <SampleDetail runId={runId} resultId={sample} metric={metric} />}
    </section>
  );
}

/** Summary rows or histograms in the grid's order: each evaluator's metrics together. */
function inGridOrder<T extends { metric: string }>(items: readonly T[]): T[] {
  const order = new Map(byEvaluator(items.map((s) => s.metric)).map((m, i) => [m, i]));
  return [...items].sort((a, b) => (order.get(a.metric) ?? 0) - (order.get(b.metric) ?? 0));
}

/** The page's URL with `?metric=` set to `metric`, the rest of its query kept. */
function withMetric(query: URLSearchParams, metric: string): string {
  const next = new URLSearchParams(query);
  next.set('metric', metric);
  return `${location.pathname}?${next.toString()}`;
}

/**
 * A row per metric: mean with its 95% interval, pass rate, threshold, missing and errors; the
 * deciding metric marked, any other one a link that makes it the deciding one. The histograms of
 * the continuous metrics open on demand.
 */
function MetricSummaries(props: {
  summary: RunMetrics | null;
  decider: string | null;
  query: URLSearchParams;
}) {
  const { summary, decider, query } = props;
  const [open, setOpen] = useState(false);
  if (!summary)
    return (
      <p class="muted" aria-busy="true">
        Reading the whole run for the metrics’ summary…
      </p>
    );
  return (
    <section class="metric-summary">
      <h2>Metrics</h2>
      <table class="grid compact" id="metric-summary">
        <thead>
          <tr>
            <th>evaluator</th>
            <th>metric</th>
            <th class="num">mean [95% CI]</th>
            <th class="num">pass rate [95% CI]</th>
            <th class="num">threshold</th>
            <th class="num">missing</th>
            <th class="num">errors</th>
          </tr>
        </thead>
        <tbody>
          {inGridOrder(summary.summaries).map((s) => {
            const { evaluator, short } = metricParts(s.metric);
            const deciding = s.metric === decider;
            return (
              <tr key={s.metric} class={deciding ? 'deciding' : undefined}>
                <td>{evaluator}</td>
                <th scope="row" title={s.metric}>
                  {deciding ? (
                    <span aria-current="true">{short} (deciding)</span>
                  ) : (
                    <Link href={withMetric(query, s.metric)}>{short}</Link>
                  )}
                </th>
                <td class="num">
                  {isVerdictColumn(s.metric, s.passFail) ? (
                    <span class="muted">pass/fail</span>
                  ) : (
                    <>
                      {num(s.mean)}
                      {s.meanInterval && (
                        <span class="ci"> {interval(s.meanInterval, (x) => num(x))}</span>
                      )}
                    </>
                  )}
                </td>
                <td class="num">
                  {pct(s.passRate)}
                  {s.passInterval && <span class="ci"> {interval(s.passInterval, pct)}</span>}
                </td>
                <td class="num">{s.threshold ? thresholdText(s.threshold) : '–'}</td>
                <td class="num">{s.missing}</td>
                <td class={`num${s.errors > 0 ? ' fail' : ''}`}>{s.errors}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {summary.histograms.length > 0 && (
        <details id="distributions" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
          <summary>
            Distributions of the {summary.histograms.length} continuous metric
            {summary.histograms.length === 1 ? '' : 's'}
          </summary>
          {open && (
            <div class="histograms">
              {inGridOrder(summary.histograms).map((h) => (
                <MetricHistogram key={h.metric} h={h} />
              ))}
            </div>
          )}
        </details>
      )}
    </section>
  );
}

/** `(notes; n of total what)`: the notes, and of how many results a measure is when not all. */
function aside(notes: string[], n: number, total: number, what: string): string {
  const all = n < total ? [...notes, `${n} of ${total} ${what}`] : notes;
  return all.length > 0 ? ` (${all.join('; ')})` : '';
}

/** The run's latency, tokens and cost, each when recorded (from its summary: nothing is read). */
function Measures({ run }: { run: RunSummary }) {
  const { latency, tokens, cost } = run.measures ?? {};
  return (
    <>
      {latency && (
        <div>
          <dt title="the task's latency; p50 and p95 by nearest rank, within 1%">
            latency mean / p50 / p95
          </dt>
          <dd id="run-latency">
            {duration(latency.meanMs)} / {duration(latency.p50Ms)} / {duration(latency.p95Ms)}
            <span class="ci">{aside([], latency.n, run.totalData, 'timed')}</span>
          </dd>
        </div>
      )}
      {tokens && (
        <div>
          <dt title="the task's and the evaluators' together">tokens (input / output)</dt>
          <dd id="run-tokens">
            {count(tokens.totalTokens)}
            <span class="ci">
              {aside(
                [`${count(tokens.inputTokens)} / ${count(tokens.outputTokens)}`],
                tokens.n,
                run.totalData,
                'reported',
              )}
            </span>
          </dd>
        </div>
      )}
      {cost && (
        <div>
          <dt title="the task's and the evaluators' together, in the unit logged">cost</dt>
          <dd id="run-cost">
            {money(cost.total)}
            <span class="ci">
              {aside(
                [`${money(cost.total / cost.n)} per sample`],
                cost.n,
                run.totalData,
                'reported',
              )}
            </span>
          </dd>
        </div>
      )}
    </>
  );
}
