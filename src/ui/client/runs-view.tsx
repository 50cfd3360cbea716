/**
 * The leaderboard: every run with its intervals and context, filters, sort, metric and baseline
 * in the URL, and a chart of one dataset's runs in the order they were made.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, metricQuery, read } from './api.js';
import type { RunWithStats } from './api.js';
import { ScoreByRunOrder } from './charts.js';
import type { RunPoint } from './charts.js';
import { CONTEXT_PARAM, contextFilters, flatContext, matchesContext } from './run-context.js';
import { runOrder, startOf } from './run-order.js';
import { RunsTable } from './runs-table.js';
import type { RunRow, SortKey } from './runs-table.js';
import { setQuery } from './router.js';
import { MetricChoice } from './metric-choice.js';
import { useOnRunChange } from './use-live.js';

/** Values of a context key offered in its filter: the most recent runs' first. */
const VALUES_OFFERED = 100;

/** A filter kept in the URL's `param`: one of `options`, or all. */
function Choice(props: { label: string; param: string; value: string; options: string[] }) {
  return (
    <label>
      {props.label}{' '}
      <select
        id={`runs-${props.param}`}
        value={props.value}
        onChange={(e) => setQuery({ [props.param]: e.currentTarget.value })}
      >
        <option value="">all</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The metrics the runs have, for the metric choice; the leaderboard columns until it answers.
 * Asked once the runs are in (`ready`): it reads results, which must not delay the table.
 */
function useMetrics(ready: boolean): string[] {
  const [metrics, setMetrics] = useState<string[]>([]);
  useEffect(() => {
    if (!ready) return;
    read(api.metrics.$get()).then(
      (m) => setMetrics(m.metrics),
      () => {},
    );
  }, [ready]);
  return metrics;
}

/** Adds a context filter (`key = value`, from the values the runs have) to the URL. */
function ContextChoice(props: { rows: RunRow[]; active: [string, string][] }) {
  const values = new Map<string, string[]>();
  for (const r of props.rows) {
    for (const [k, v] of r.context) {
      const list = values.get(k) ?? [];
      if (list.length < VALUES_OFFERED && !list.includes(v)) list.push(v);
      values.set(k, list);
    }
  }
  const active = new Set(props.active.map(([k]) => k));
  const keys = [...values.keys()].filter((k) => !active.has(k)).sort();
  if (keys.length === 0 && props.active.length === 0) return null;
  return (
    <>
      {keys.length > 0 && (
        <label>
          Context{' '}
          <select
            id="runs-context"
            value=""
            onChange={(e) => {
              const [k, v] = JSON.parse(e.currentTarget.value) as [string, string];
              setQuery({ [`${CONTEXT_PARAM}${k}`]: v });
            }}
          >
            <option value="">any</option>
            {keys.map((k) => (
              <optgroup key={k} label={k}>
                {(values.get(k) ?? []).map((v) => (
                  <option key={v} value={JSON.stringify([k, v])}>
                    {k} = {v}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
      )}
      {props.active.map(([k, v]) => (
        <button
          key={k}
          type="button"
          class="chip"
          title="remove this filter"
          onClick={() => setQuery({ [`${CONTEXT_PARAM}${k}`]: null })}
        >
          {k} = {v} <span aria-hidden="true">×</span>
          <span class="visually-hidden"> (remove)</span>
        </button>
      ))}
    </>
  );
}

/** The dataset with the most of `rows`; of those, the first met (the most recently updated). */
function mostRuns(rows: RunRow[]): string | undefined {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.run.datasetName, (counts.get(r.run.datasetName) ?? 0) + 1);
  let best: string | undefined;
  for (const [name, n] of counts)
    if (best === undefined || n > (counts.get(best) ?? 0)) best = name;
  return best;
}

export function RunsView({ query }: { query: URLSearchParams }) {
  const metric = query.get('metric') ?? '';
  const [runs, setRuns] = useState<RunWithStats[] | null>(null);
  // The metric the runs shown are on: until another one's numbers come, the page says so.
  const [on, setOn] = useState(metric);
  const [error, setError] = useState<string | null>(null);
  const metrics = useMetrics(runs !== null);
  useEffect(() => {
    // An answer for a metric no longer chosen is dropped.
    let live = true;
    read(api.runs.$get({ query: metricQuery(metric) })).then(
      (r) => {
        if (!live) return;
        setRuns(r);
        setOn(metric);
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [metric]);
  // Each run's position in its dataset and flat context, once per answer.
  const all = useMemo((): RunRow[] => {
    if (!runs) return [];
    const order = runOrder(runs);
    return runs.map((run) => ({
      run,
      position: order.get(run.runId) ?? 0,
      context: new Map(flatContext(run.context)),
    }));
  }, [runs]);
  // Live: any run changed (or a new one), the list is read again; filters and picks stay.
  useOnRunChange(null, () => {
    read(api.runs.$get({ query: metricQuery(metric) })).then(
      (r) => {
        setRuns(r);
        setOn(metric);
      },
      () => {},
    );
  });
  if (error) return <p role="alert">Could not load the runs: {error}</p>;
  if (!runs) return <p aria-busy="true">Loading runs…</p>;

  const dataset = query.get('dataset') ?? '';
  const model = query.get('model') ?? '';
  const filters = contextFilters(query);
  const baselineId = query.get('baseline') ?? '';
  const baseline = all.find((r) => r.run.runId === baselineId)?.run ?? null;
  const shown = all.filter(
    (r) =>
      (!dataset || r.run.datasetName === dataset) &&
      (!model || r.run.modelName === model) &&
      matchesContext(r.context, filters),
  );
  // Latency and cost columns when a run shown recorded them.
  const timed = shown.some((r) => r.run.measures?.latency);
  const costed = shown.some((r) => r.run.measures?.cost);
  const datasets = [...new Set(runs.map((r) => r.datasetName))].sort();
  const models = [...new Set(runs.map((r) => r.modelName))].sort();
  const columns = [...new Set(runs.flatMap((r) => (r.scoreColumn ? [r.scoreColumn] : [])))];
  // The chart: the dataset filtered on, else the one with the most runs shown (of those, the
  // most recently updated run's).
  const charted = dataset || mostRuns(shown) || runs[0]?.datasetName || '';

  return (
    <section>
      <h1>Runs</h1>
      <div class="toolbar">
        <Choice label="Dataset" param="dataset" value={dataset} options={datasets} />
        <Choice label="Model" param="model" value={model} options={models} />
        <MetricChoice
          value={metric}
          options={[...new Set([...columns, ...metrics])]}
          fallback={columns.length === 1 ? (columns[0] as string) : null}
        />
        <ContextChoice rows={all} active={filters} />
        <span class="muted" id="runs-count">
          {shown.length} of {runs.length} runs
        </span>
      </div>
      <p class="muted" id="runs-baseline">
        {baseline ? (
          <>
            Baseline: <strong>{baseline.runId}</strong> ({baseline.datasetName}); “compare” opens a
            run of {baseline.datasetName} against it.{' '}
            <button type="button" onClick={() => setQuery({ baseline: null })}>
              clear baseline
            </button>
          </>
        ) : (
          'Pick a baseline (the first column) to compare any run of its dataset against it in one click.'
        )}
      </p>
      {on !== metric && (
        <p class="muted" aria-busy="true" id="runs-reading">
          Reading the runs' results for {metric || 'their leaderboard columns'}…
        </p>
      )}
      <p class="muted" id="runs-metric">
        {on
          ? `Scores and pass rates on ${on}.`
          : `Scores and pass rates on each run's leaderboard column: ${[
              ...new Set(shown.map((r) => r.run.stats.metric ?? '–')),
            ].join(', ')}.`}
      </p>
      {(timed || costed) && (
        <p class="muted" id="runs-measures">
          {[
            timed &&
              "Latency: the task's, over the samples timed (p95 by nearest rank, within 1%).",
            costed &&
              'Cost: the task and its evaluators together, in the unit logged; per sample over those that reported one.',
          ]
            .filter(Boolean)
            .join(' ')}
        </p>
      )}
      {charted && <RunsChart rows={all} shown={shown} dataset={charted} metric={on} />}
      <RunsTable
        rows={shown}
        metric={metric}
        baseline={baseline}
        sort={(query.get('sort') ?? 'updated') as SortKey}
        asc={query.get('dir') === 'asc'}
      />
    </section>
  );
}

/**
 * The chart of `dataset`'s runs shown (filters applied), each at its place in the dataset's whole
 * history, on the metric chosen or else on the latest run's leaderboard column.
 */
function RunsChart(props: { rows: RunRow[]; shown: RunRow[]; dataset: string; metric: string }) {
  const history = props.rows
    .filter((r) => r.run.datasetName === props.dataset)
    .sort((a, b) => a.position - b.position);
  const starts = history.map((r) => startOf(r.run));
  const mine = props.shown.filter((r) => r.run.datasetName === props.dataset);
  const metric = props.metric || mine[0]?.run.stats.metric || '';
  const points: RunPoint[] = mine
    .filter((r) => r.run.stats.metric === metric && r.run.stats.score !== null)
    .sort((a, b) => a.position - b.position)
    .map((r) => ({
      position: r.position,
      runId: r.run.runId,
      score: r.run.stats.score as number,
      low: r.run.stats.scoreInterval?.low ?? null,
      high: r.run.stats.scoreInterval?.high ?? null,
    }));
  const others = mine.length - points.length;
  const caption =
    `${props.dataset}: ${metric} of each run in the order it was made (${points.length} of ` +
    `${history.length} runs of the dataset), bars: 95% interval` +
    (props.shown.length > mine.length ? '; choose a dataset to chart another' : '') +
    (others > 0 ? `; ${others} runs without a score on ${metric} not charted` : '') +
    '.';
  return (
    <ScoreByRunOrder
      dataset={props.dataset}
      metric={metric}
      points={points}
      starts={starts}
      caption={caption}
    />
  );
}
