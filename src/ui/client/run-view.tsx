/** One run: its numbers, a histogram per metric, and every sample in a virtualised table. */
import { useEffect, useState } from 'preact/hooks';
import { api, encoded, metricQuery, read } from './api.js';
import type { RunDetail, RunHistograms, RunSummary } from './api.js';
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
  useEffect(() => {
    setDetail(null);
    setError(null);
    read(api.runs[':runId'].$get({ param: encoded({ runId }), query: metricQuery(metric) })).then(
      setDetail,
      (e: Error) => setError(e.message),
    );
  }, [runId, metric]);
  // Live: the run changed, its numbers are read again (what is shown stays until they come).
  useOnRunChange([runId], () => {
    read(api.runs[':runId'].$get({ param: encoded({ runId }), query: metricQuery(metric) })).then(
      setDetail,
      () => {},
    );
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
          <dt>dataset</dt>
          <dd>{run.datasetName}</dd>
        </div>
        <div>
          <dt>model</dt>
          <dd>{run.modelName}</dd>
        </div>
        <div>
          <dt>samples</dt>
          <dd id="run-n">{stats.n}</dd>
        </div>
        <div>
          <dt>on</dt>
          <dd id="run-metric">{stats.metric ?? '–'}</dd>
        </div>
        <div>
          <dt>scored</dt>
          <dd id="run-scored">{stats.scored}</dd>
        </div>
        <div>
          <dt>score [95% CI]</dt>
          <dd id="run-score">
            {num(stats.score)}{' '}
            <span class="ci">{interval(stats.scoreInterval, (x) => num(x))}</span>
          </dd>
        </div>
        <div>
          <dt>pass rate [95% CI]</dt>
          <dd id="run-pass">
            {pct(stats.passRate)} <span class="ci">{interval(stats.passInterval, pct)}</span>
          </dd>
        </div>
        <Measures run={run} />
      </dl>
      <Histograms runId={runId} metric={metric} fallback={run.scoreColumn} />
      <SampleTable runId={runId} query={query} />
      {sample && <SampleDetail runId={runId} resultId={sample} metric={metric} />}
    </section>
  );
}

/** A histogram per metric; they need the whole run, so they come after the first rows. */
function Histograms(props: { runId: string; metric: string; fallback: string | null }) {
  const { runId, metric } = props;
  const [data, setData] = useState<RunHistograms | null>(null);
  useEffect(() => {
    setData(null);
    read(
      api.runs[':runId'].histograms.$get({ param: encoded({ runId }), query: metricQuery(metric) }),
    ).then(setData, () => {});
  }, [runId, metric]);
  useOnRunChange([runId], () => {
    read(
      api.runs[':runId'].histograms.$get({ param: encoded({ runId }), query: metricQuery(metric) }),
    ).then(setData, () => {});
  });
  if (!data)
    return (
      <p class="muted" aria-busy="true">
        Reading the whole run for histograms…
      </p>
    );
  return (
    <>
      <div class="toolbar">
        <MetricChoice value={metric} options={data.metrics} fallback={props.fallback} />
        <p class="muted" id="failures">
          {data.failures} failures (failed on the metric, or an evaluator error)
        </p>
      </div>
      <div class="histograms">
        {data.histograms.map((h) => (
          <MetricHistogram key={h.metric} h={h} />
        ))}
      </div>
    </>
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
