/** The leaderboard: every run with its intervals, filters and sort in the URL, and a chart. */
import { useEffect, useState } from 'preact/hooks';
import { api, metricQuery, read } from './api.js';
import type { RunWithStats } from './api.js';
import { ScoreOverTime } from './charts.js';
import { duration, interval, money, num, pct, when } from './format.js';
import { Link, navigate, setQuery } from './router.js';
import { MetricChoice } from './metric-choice.js';
import { RunningBadge } from './running-badge.js';
import { useOnRunChange } from './use-live.js';

type SortKey = 'updated' | 'score' | 'pass' | 'n' | 'latency' | 'p95' | 'cost' | 'costPer';
/** Each sort's value of a run; `null` (not measured, no score) sorts last either way. */
const SORTS: Record<SortKey, (r: RunWithStats) => number | string | null> = {
  updated: (r) => r.updatedAt ?? '',
  score: (r) => r.stats.score,
  pass: (r) => r.stats.passRate,
  n: (r) => r.stats.n,
  latency: (r) => r.measures?.latency?.meanMs ?? null,
  p95: (r) => r.measures?.latency?.p95Ms ?? null,
  cost: (r) => r.measures?.cost?.total ?? null,
  costPer: (r) => costPerSample(r),
};

/** The mean cost of the run's results that reported one. */
const costPerSample = (r: RunWithStats): number | null => {
  const cost = r.measures?.cost;
  return cost ? cost.total / cost.n : null;
};

/** A filter kept in the URL's `param`: one of `options`, or all. */
function Choice(props: { label: string; param: string; value: string; options: string[] }) {
  return (
    <label>
      {props.label}{' '}
      <select
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

export function RunsView({ query }: { query: URLSearchParams }) {
  const metric = query.get('metric') ?? '';
  const [runs, setRuns] = useState<RunWithStats[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    read(api.runs.$get({ query: metricQuery(metric) })).then(setRuns, (e: Error) =>
      setError(e.message),
    );
  }, [metric]);
  // Live: any run changed (or a new one), the list is read again; filters and picks stay.
  useOnRunChange(null, () => {
    read(api.runs.$get({ query: metricQuery(metric) })).then(setRuns, () => {});
  });
  if (error) return <p role="alert">Could not load the runs: {error}</p>;
  if (!runs) return <p aria-busy="true">Loading runs…</p>;

  // The two runs ticked for comparison live in the URL too.
  const picked = (query.get('pick') ?? '').split(',').filter((id) => id !== '');
  const dataset = query.get('dataset') ?? '';
  const model = query.get('model') ?? '';
  const sort = (query.get('sort') ?? 'updated') as SortKey;
  const asc = query.get('dir') === 'asc';
  const key = SORTS[sort] ?? SORTS.updated;
  const shown = runs
    .filter((r) => (!dataset || r.datasetName === dataset) && (!model || r.modelName === model))
    .sort((a, b) => {
      const x = key(a);
      const y = key(b);
      // Nothing to sort by (not measured, no score): last, whichever the direction.
      if (x === null && y !== null) return 1;
      if (y === null && x !== null) return -1;
      const tie = a.runId < b.runId ? -1 : 1;
      const order = x === null || y === null || x === y ? tie : x < y ? -1 : 1;
      return asc ? order : -order;
    });
  // Latency and cost columns when a run shown recorded them.
  const timed = shown.some((r) => r.measures?.latency);
  const costed = shown.some((r) => r.measures?.cost);
  const datasets = [...new Set(runs.map((r) => r.datasetName))].sort();
  const models = [...new Set(runs.map((r) => r.modelName))].sort();
  const header = (label: string, by: SortKey) => (
    <th aria-sort={sort === by ? (asc ? 'ascending' : 'descending') : 'none'}>
      <button
        type="button"
        class="sort"
        onClick={() => setQuery({ sort: by, dir: sort === by && !asc ? 'asc' : null })}
      >
        {label}
      </button>
    </th>
  );
  const toggle = (runId: string): void => {
    const next = picked.includes(runId)
      ? picked.filter((x) => x !== runId)
      : [...picked.slice(-1), runId];
    setQuery({ pick: next.join(',') });
  };
  const compare = (): void => {
    // The older run is the baseline.
    const [a, b] = picked.map((id) => runs.find((r) => r.runId === id) as RunWithStats);
    if (!a || !b) return;
    const [base, cand] = (a.updatedAt ?? '') <= (b.updatedAt ?? '') ? [a, b] : [b, a];
    const params = new URLSearchParams({ baseline: base.runId, candidate: cand.runId });
    if (metric) params.set('metric', metric);
    navigate(`/compare?${params}`);
  };

  return (
    <section>
      <h1>Runs</h1>
      <div class="toolbar">
        <Choice label="Dataset" param="dataset" value={dataset} options={datasets} />
        <Choice label="Model" param="model" value={model} options={models} />
        <MetricChoice
          value={metric}
          options={[...new Set(runs.flatMap((r) => (r.scoreColumn ? [r.scoreColumn] : [])))]}
          fallback={null}
        />
        <button type="button" disabled={picked.length !== 2} onClick={compare}>
          Compare the 2 selected runs
        </button>
        <span class="muted">
          {shown.length} of {runs.length} runs
        </span>
      </div>
      <p class="muted" id="runs-metric">
        {metric
          ? `Scores and pass rates on ${metric}.`
          : `Scores and pass rates on each run's leaderboard column: ${[
              ...new Set(shown.map((r) => r.stats.metric ?? '–')),
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
      <ScoreOverTime runs={shown} />
      <table class="grid" id="runs">
        <thead>
          <tr>
            <th>
              <span class="visually-hidden">select</span>
            </th>
            <th>#</th>
            <th>run</th>
            <th>dataset</th>
            <th>model</th>
            {header('n', 'n')}
            {header('score [95% CI]', 'score')}
            {header('pass rate [95% CI]', 'pass')}
            {timed && header('latency mean', 'latency')}
            {timed && header('latency p95', 'p95')}
            {costed && header('cost', 'cost')}
            {costed && header('cost / sample', 'costPer')}
            {header('updated', 'updated')}
          </tr>
        </thead>
        <tbody>
          {shown.map((r, i) => (
            <tr key={r.runId}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`select ${r.runId} to compare`}
                  checked={picked.includes(r.runId)}
                  onChange={() => toggle(r.runId)}
                />
              </td>
              <td class="num">{i + 1}</td>
              <td>
                <Link href={`/run/${encodeURIComponent(r.runId)}`}>{r.runId}</Link>
                <RunningBadge runId={r.runId} />
              </td>
              <td>{r.datasetName}</td>
              <td>{r.modelName}</td>
              <td class="num">{r.stats.n}</td>
              <td class="num">
                {num(r.stats.score)}{' '}
                <span class="ci">{interval(r.stats.scoreInterval, (x) => num(x))}</span>
              </td>
              <td class="num">
                {pct(r.stats.passRate)}{' '}
                <span class="ci">{interval(r.stats.passInterval, pct)}</span>
              </td>
              {timed && <td class="num">{duration(r.measures?.latency?.meanMs)}</td>}
              {timed && <td class="num">{duration(r.measures?.latency?.p95Ms)}</td>}
              {costed && <td class="num">{money(r.measures?.cost?.total)}</td>}
              {costed && <td class="num">{money(costPerSample(r))}</td>}
              <td>{when(r.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
