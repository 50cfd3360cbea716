/** One run: its numbers, a histogram per metric, and every sample in a virtualised table. */
import { useEffect, useState } from 'preact/hooks';
import { api, encoded, metricQuery, read } from './api.js';
import type { RunDetail, RunHistograms } from './api.js';
import { MetricHistogram } from './charts.js';
import { interval, num, pct } from './format.js';
import { Link } from './router.js';
import { MetricChoice } from './metric-choice.js';
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
      <h1>{run.runId}</h1>
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
      </dl>
      <Histograms runId={runId} metric={metric} fallback={run.scoreColumn} />
      <SampleTable runId={runId} query={query} />
      {sample && <SampleDetail runId={runId} resultId={sample} />}
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
