/**
 * The runs as a table, sortable by its headers, with only the rows in view (and a margin) in the
 * page: a store of thousands of runs opens as fast as one of ten.
 */
import { Fragment } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RunWithStats } from './api.js';
import { duration, interval, money, num, pct, when } from './format.js';
import { Link, setQuery } from './router.js';
import { RunningBadge } from './running-badge.js';
import { useWindowVirtualizer } from './use-window-virtualizer.js';

/** A run with what the runs view derives from it once. */
export interface RunRow {
  run: RunWithStats;
  /** Its position in its dataset's history, oldest first (1-based). */
  position: number;
  /** Its `logContext()` context, flat: `prompt.version` → `3`. */
  context: ReadonlyMap<string, string>;
}

export type SortKey = 'updated' | 'score' | 'pass' | 'n' | 'latency' | 'p95' | 'cost' | 'costPer';

/** The mean cost of the run's results that reported one. */
const costPerSample = (r: RunWithStats): number | null => {
  const cost = r.measures?.cost;
  return cost ? cost.total / cost.n : null;
};

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

/** Context keys shown as columns of their own; more share one compact column. */
const CONTEXT_COLUMNS = 3;
/** A row's height in px: two lines (a number, its interval below), cut with an ellipsis. */
const ROW = 46;

/** The query of a link to `path` keeping the metric chosen. */
const withMetric = (path: string, params: Record<string, string>, metric: string): string => {
  const q = new URLSearchParams(params);
  if (metric) q.set('metric', metric);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
};

/** Text cut with an ellipsis, whole on hover. */
const Cut = ({ text }: { text: string }) => <span title={text}>{text}</span>;

export function RunsTable(props: {
  rows: RunRow[];
  metric: string;
  baseline: RunWithStats | null;
  sort: SortKey;
  asc: boolean;
}) {
  const { metric, baseline, asc } = props;
  const sort = SORTS[props.sort] ? props.sort : 'updated';
  const key = SORTS[sort];
  const rows = [...props.rows].sort((a, b) => {
    const x = key(a.run);
    const y = key(b.run);
    // Nothing to sort by (not measured, no score): last, whichever the direction.
    if (x === null && y !== null) return 1;
    if (y === null && x !== null) return -1;
    const tie = a.run.runId < b.run.runId ? -1 : 1;
    const order = x === null || y === null || x === y ? tie : x < y ? -1 : 1;
    return asc ? order : -order;
  });
  // Latency and cost columns when a run shown recorded them; context keys of the runs shown.
  const timed = rows.some((r) => r.run.measures?.latency);
  const costed = rows.some((r) => r.run.measures?.cost);
  const keys = [...new Set(rows.flatMap((r) => [...r.context.keys()]))];
  const compact = keys.length > CONTEXT_COLUMNS;

  const body = useRef<HTMLTableSectionElement>(null);
  const [margin, setMargin] = useState(0);
  // Where the rows start on the page moves as what is above them (chart, toolbar) is laid out.
  useLayoutEffect(() => {
    const measure = (): void => {
      const el = body.current;
      if (el) setMargin(Math.round(el.getBoundingClientRect().top + window.scrollY));
    };
    measure();
    const resize = new ResizeObserver(measure);
    resize.observe(document.body);
    return () => resize.disconnect();
  }, []);
  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => ROW,
    overscan: 10,
    scrollMargin: margin,
    getItemKey: (i) => rows[i]?.run.runId ?? i,
  });
  const items = virtualizer.getVirtualItems();
  const top = (items[0]?.start ?? margin) - margin;
  const bottom = virtualizer.getTotalSize() - ((items[items.length - 1]?.end ?? margin) - margin);

  const button = (label: string, by: SortKey) => (
    <button
      type="button"
      class="sort"
      onClick={() => setQuery({ sort: by, dir: sort === by && !asc ? 'asc' : null })}
    >
      {label}
    </button>
  );
  /** A header sorting by `by`, or by the first or the second of `by` (a value and the one below). */
  const header = (cls: string, ...sorts: [string, SortKey][]) => {
    const active = sorts.find(([, by]) => by === sort);
    return (
      <th class={cls} aria-sort={active ? (asc ? 'ascending' : 'descending') : 'none'}>
        {sorts.map(([label, by], i) => (
          <Fragment key={by}>
            {i > 0 && ' '}
            {i > 0 && <br />}
            {button(label, by)}
          </Fragment>
        ))}
      </th>
    );
  };
  const columns = 8 + (timed ? 1 : 0) + (costed ? 1 : 0) + (compact ? 1 : keys.length);

  return (
    <div class="runs-scroll">
      <table
        class={`grid runs-table${compact ? ' compact-context' : ''}`}
        id="runs"
        aria-rowcount={rows.length + 1}
      >
        <thead>
          <tr aria-rowindex={1}>
            <th
              class="w-base"
              title="pick the baseline, then compare any run of its dataset with it"
            >
              baseline
            </th>
            <th class="w-pos num" title="the run's place in its dataset's history, oldest first">
              #
            </th>
            <th class="w-run">run</th>
            <th class="w-name">dataset</th>
            <th class="w-name">model</th>
            {compact ? (
              <th class="w-context">context</th>
            ) : (
              keys.map((k) => (
                <th key={k} class="w-ctx" title={`context: ${k}`}>
                  <Cut text={k} />
                </th>
              ))
            )}
            {header('w-n num', ['n', 'n'])}
            {header('w-score num', ['score [95% CI]', 'score'])}
            {header('w-pass num', ['pass rate [95% CI]', 'pass'])}
            {timed && header('w-measure num', ['latency mean', 'latency'], ['p95', 'p95'])}
            {costed && header('w-measure num', ['cost', 'cost'], ['/ sample', 'costPer'])}
            {header('w-when', ['updated', 'updated'])}
          </tr>
        </thead>
        <tbody ref={body}>
          {top > 0 && (
            <tr class="gap" aria-hidden="true">
              <td colSpan={columns} style={{ height: `${top}px` }} />
            </tr>
          )}
          {items.map((item) => {
            const { run, position, context } = rows[item.index] as RunRow;
            const isBase = baseline?.runId === run.runId;
            const [day, time] = when(run.updatedAt).split(' ');
            return (
              <tr
                key={run.runId}
                aria-rowindex={item.index + 2}
                class={isBase ? 'baseline' : undefined}
              >
                <td class="pick">
                  <input
                    type="radio"
                    name="baseline"
                    aria-label={`${run.runId} as the baseline`}
                    checked={isBase}
                    onChange={() => setQuery({ baseline: run.runId })}
                  />{' '}
                  {isBase && <span class="muted">baseline</span>}
                  {baseline && !isBase && run.datasetName === baseline.datasetName && (
                    <Link
                      href={withMetric(
                        '/compare',
                        { baseline: baseline.runId, candidate: run.runId },
                        metric,
                      )}
                    >
                      compare
                      <span class="visually-hidden"> {run.runId} with the baseline</span>
                    </Link>
                  )}
                </td>
                <td class="num">{position}</td>
                <td>
                  <Link href={withMetric(`/run/${encodeURIComponent(run.runId)}`, {}, metric)}>
                    <Cut text={run.runId} />
                  </Link>
                  <RunningBadge runId={run.runId} />
                </td>
                <td>
                  <Cut text={run.datasetName} />
                </td>
                <td>
                  <Cut text={run.modelName} />
                </td>
                {compact ? (
                  <td>
                    <Cut text={[...context].map(([k, v]) => `${k}=${v}`).join(' · ')} />
                  </td>
                ) : (
                  keys.map((k) => (
                    <td key={k}>
                      <Cut text={context.get(k) ?? ''} />
                    </td>
                  ))
                )}
                <td class="num">{run.stats.n}</td>
                <td class="num two">
                  {num(run.stats.score)}{' '}
                  <span class="ci">{interval(run.stats.scoreInterval, (x) => num(x))}</span>
                </td>
                <td class="num two">
                  {pct(run.stats.passRate)}{' '}
                  <span class="ci">{interval(run.stats.passInterval, pct)}</span>
                </td>
                {timed && (
                  <td class="num two">
                    {duration(run.measures?.latency?.meanMs)}{' '}
                    {run.measures?.latency && (
                      <span class="ci">p95 {duration(run.measures.latency.p95Ms)}</span>
                    )}
                  </td>
                )}
                {costed && (
                  <td class="num two">
                    {money(run.measures?.cost?.total)}{' '}
                    {run.measures?.cost && <span class="ci">{money(costPerSample(run))}</span>}
                  </td>
                )}
                <td class="two" title={when(run.updatedAt)}>
                  {day} <span class="ci">{time}</span>
                </td>
              </tr>
            );
          })}
          {bottom > 0 && (
            <tr class="gap" aria-hidden="true">
              <td colSpan={columns} style={{ height: `${bottom}px` }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
