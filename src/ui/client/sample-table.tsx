/**
 * Every sample of a run in a virtualised grid (TanStack Virtual): only the rows in view are in the
 * page, fetched a page at a time as they come into view; filters and sort live in the URL.
 */
import { Fragment } from 'preact';
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, encoded, read } from './api.js';
import { useOnRunChange } from './use-live.js';
import type { RowsPage, TableRow } from './api.js';
import { verdictColumn } from '../../tracker/sample-outcome.js';
import { byEvaluator, isVerdictColumn, metricParts, thresholdText } from '../metric-names.js';
import type { Threshold } from '../metric-names.js';
import { duration, money, NONE, value } from './format.js';
import { setQuery } from './router.js';
import { useVirtualizer } from './use-virtualizer.js';

/** A row's height in pixels (`.vtable .row` in app.css). */
const ROW = 32;
/** Rows the API sends at a time. */
const PAGE = 100;

type Measures = RowsPage['measures'];

/** A column of the grid: its header, sort key (when sortable), width and cell. */
interface Column {
  key: string;
  /** The header above the column's own, spanning the columns of one evaluator ('' for none). */
  group: string;
  label: string;
  title?: string;
  sort?: string;
  /** CSS grid track, and its minimum width in rem (the grid scrolls when the page is narrower). */
  width: string;
  min: number;
  cell: (row: TableRow) => JSX.Element;
}

/** A cell of text cut short: the whole (cut) text in the tooltip, as the cell ends in an ellipsis. */
const textCell = (text: string): JSX.Element => (
  <span role="gridcell" title={text}>
    {text}
  </span>
);
const numCell = (text: string): JSX.Element => (
  <span role="gridcell" class="num">
    {text}
  </span>
);

/** A pass/fail value as a badge: true and 1 pass, false and 0 fail; anything else as it is. */
export function Verdict({ passed }: { passed: boolean | null }) {
  return passed === null ? (
    <span class="muted">–</span>
  ) : (
    <span class={`verdict ${passed ? 'pass' : 'fail'}`}>{passed ? 'pass' : 'fail'}</span>
  );
}

const verdictOf = (v: unknown): boolean | null =>
  v === true || v === 1 ? true : v === false || v === 0 ? false : null;

/**
 * The class and tooltip of a score against its mark: the recorded threshold, else the verdict
 * beside it; none when neither is recorded (README, "Dashboard").
 */
export function markOf(
  metric: string,
  mark: boolean | undefined,
  threshold: Threshold | undefined,
): { class: string; title?: string } {
  if (mark === undefined) return { class: '' };
  const why = threshold
    ? `threshold ${thresholdText(threshold)}`
    : `${verdictColumn(metric) ?? 'verdict'} beside it`;
  return { class: mark ? 'meets' : 'misses', title: `${mark ? 'passes' : 'fails'}: ${why}` };
}

/** A rem width for a column headed `label`, from `min` up to 9rem. */
const widthFor = (label: string, min: number): number =>
  Math.min(9, Math.max(min, Math.ceil((label.length * 0.55 + 1.4) * 2) / 2));

/**
 * The metric columns, each evaluator's together (evaluators in first-seen order): pass/fail
 * columns as badges, scores coloured against their mark.
 */
function metricColumns(
  metrics: string[],
  passFail: ReadonlySet<string>,
  thresholds: Record<string, Threshold>,
): Column[] {
  return byEvaluator(metrics).map((m): Column => {
    const { evaluator, short } = metricParts(m);
    const width = widthFor(short, 4.5);
    const badge = isVerdictColumn(m, passFail.has(m));
    const t = thresholds[m];
    return {
      key: `metric:${m}`,
      group: evaluator,
      label: short,
      title: t ? `${m} (threshold ${thresholdText(t)})` : m,
      sort: m,
      width: `${width}rem`,
      min: width,
      cell: badge
        ? (r) => (
            <span role="gridcell">
              <Verdict passed={verdictOf(r.values[m])} />
            </span>
          )
        : (r) => {
            const mark = markOf(m, r.marks[m], t);
            return (
              <span role="gridcell" class={`num ${mark.class}`.trim()} title={mark.title}>
                {value(r.values[m])}
              </span>
            );
          },
    };
  });
}

/**
 * The grid's columns: number, sample, the trial (when a sample ran several times), the verdict on
 * the deciding metric (early, so that it is in view on a narrow screen), three texts, the metrics
 * by evaluator, then latency and cost when the run recorded them.
 */
function columnsOf(
  metrics: string[],
  measures: Measures,
  decider: string | null,
  passFail: ReadonlySet<string>,
  thresholds: Record<string, Threshold>,
): Column[] {
  const decides = decider ? metricParts(decider).short : '';
  return [
    {
      key: 'i',
      group: '',
      label: '#',
      sort: 'i',
      width: '3.5rem',
      min: 3.5,
      cell: (r) => numCell(String(r.i + 1)),
    },
    {
      key: 'sample',
      group: '',
      label: 'sample',
      sort: 'sampleId',
      width: '8rem',
      min: 8,
      cell: (r) => textCell(r.sampleId),
    },
    ...(measures.trials
      ? [
          {
            key: 'trial',
            group: '',
            label: 'trial',
            sort: '@trial',
            width: '3.5rem',
            min: 3.5,
            cell: (r: TableRow) => numCell(r.trial === null ? NONE : String(r.trial)),
          },
        ]
      : []),
    {
      key: 'pass',
      group: 'verdict',
      label: decides || 'pass',
      title: decider ? `pass or fail on ${decider}, the deciding metric` : 'no deciding metric',
      ...(decider ? { sort: decider } : {}),
      width: `${widthFor(decides, 5)}rem`,
      min: widthFor(decides, 5),
      cell: (r) => (
        <span role="gridcell" class="decides">
          <Verdict passed={r.passed} />
        </span>
      ),
    },
    {
      key: 'input',
      group: '',
      label: 'input',
      width: 'minmax(10rem, 1.3fr)',
      min: 10,
      cell: (r) => textCell(r.input),
    },
    {
      key: 'output',
      group: '',
      label: 'output',
      width: 'minmax(10rem, 1.3fr)',
      min: 10,
      cell: (r) => textCell(r.output),
    },
    {
      key: 'expected',
      group: '',
      label: 'expected',
      width: 'minmax(8rem, 1fr)',
      min: 8,
      cell: (r) => textCell(r.expected),
    },
    ...metricColumns(metrics, passFail, thresholds),
    ...(measures.latency
      ? [
          {
            key: 'latency',
            group: '',
            label: 'latency',
            title: "the task's latency",
            sort: '@latency',
            width: '5.5rem',
            min: 5.5,
            cell: (r: TableRow) => numCell(duration(r.latencyMs)),
          },
        ]
      : []),
    ...(measures.cost
      ? [
          {
            key: 'cost',
            group: '',
            label: 'cost',
            title: 'the task and its evaluators together',
            sort: '@cost',
            width: '5.5rem',
            min: 5.5,
            cell: (r: TableRow) => numCell(money(r.cost)),
          },
        ]
      : []),
  ];
}

/** Runs of neighbouring columns under one group header: `[group, first column, span]`. */
function groupsOf(columns: Column[]): [string, number, number][] {
  const out: [string, number, number][] = [];
  columns.forEach((c, i) => {
    const last = out.at(-1);
    if (last && last[0] === c.group && c.group !== '') last[2]++;
    else out.push([c.group, i, 1]);
  });
  return out;
}

export function SampleTable(props: {
  runId: string;
  query: URLSearchParams;
  /** The metric rows pass or fail on: the page's `?metric=`, else the leaderboard column. */
  decider: string | null;
  /** Told the metric columns whenever more of them are known. */
  onMetrics?: (metrics: string[]) => void;
}) {
  const { runId, query, decider, onMetrics } = props;
  const failures = query.get('failures') === '1';
  const search = query.get('q') ?? '';
  const sort = query.get('sort') ?? 'i';
  const desc = query.get('desc') === '1';
  const metric = query.get('metric') ?? '';
  const key = `${runId}|${failures}|${search}|${sort}|${desc}|${metric}`;
  const [total, setTotal] = useState<number | null>(null);
  const [metrics, setMetrics] = useState<string[]>([]);
  const [measures, setMeasures] = useState<Measures>({
    latency: false,
    cost: false,
    trials: false,
  });
  const [passFail, setPassFail] = useState<ReadonlySet<string>>(new Set());
  const [thresholds, setThresholds] = useState<RowsPage['thresholds']>({});
  const [failed, setFailed] = useState<string | null>(null);
  const [pages, setPages] = useState<Map<number, TableRow[]>>(new Map());
  const [active, setActive] = useState(0);
  const [draft, setDraft] = useState(search);
  const scroller = useRef<HTMLDivElement>(null);
  const loading = useRef(new Set<number>());
  /** Pages read before the run last changed: shown until read again. */
  const stale = useRef(new Set<number>());
  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 10,
  });

  useEffect(() => {
    setPages(new Map());
    setTotal(null);
    setFailed(null);
    setActive(0);
    loading.current = new Set();
    virtualizer.scrollToOffset(0);
  }, [key]);

  const items = virtualizer.getVirtualItems();
  // Before the first page answers there is no row: ask for the first page.
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? 0;
  const current = useRef(key);
  current.current = key;
  // Live: the run changed, the pages on screen are read again (rows kept, scroll kept).
  useOnRunChange([runId], () => {
    stale.current = new Set(pages.keys());
    loading.current = new Set();
    setPages((old) => new Map(old));
  });
  useEffect(() => {
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++) {
      if (
        (pages.has(p) && !stale.current.has(p)) ||
        loading.current.has(p) ||
        (total !== null && p * PAGE >= total)
      )
        continue;
      loading.current.add(p);
      const asked = loading.current;
      read(
        api.runs[':runId'].rows.$get({
          param: encoded({ runId }),
          query: {
            offset: String(p * PAGE),
            limit: String(PAGE),
            sort,
            desc: desc ? '1' : undefined,
            failures: failures ? '1' : undefined,
            q: search || undefined,
            metric: metric || undefined,
          },
        }),
      ).then(
        (page) => {
          asked.delete(p);
          // An answer to a query the user has since changed is dropped.
          if (current.current !== key) return;
          setTotal(page.total);
          setMetrics((old) => (page.metrics.length > old.length ? page.metrics : old));
          // The last page's kinds: they know most of the run (a 0/1 column may turn out scores).
          setPassFail((old) =>
            old.size === page.passFail.length && page.passFail.every((m) => old.has(m))
              ? old
              : new Set(page.passFail),
          );
          setThresholds((old) =>
            Object.keys(page.thresholds).length > Object.keys(old).length ? page.thresholds : old,
          );
          // Like the metrics, a column once shown stays (a later page knows more of the run).
          setMeasures((old) => {
            const m = page.measures;
            return (m.latency && !old.latency) || (m.cost && !old.cost) || (m.trials && !old.trials)
              ? {
                  latency: old.latency || m.latency,
                  cost: old.cost || m.cost,
                  trials: old.trials || m.trials,
                }
              : old;
          });
          stale.current.delete(p);
          setPages((old) => new Map(old).set(p, page.rows));
        },
        (e: Error) => {
          asked.delete(p);
          if (current.current === key) setFailed(e.message);
        },
      );
    }
  }, [key, first, last, total, pages]);

  // The box follows the URL (Back, a shared link); the search is applied once typing pauses.
  useEffect(() => setDraft(search), [search]);
  useEffect(() => {
    if (draft === search) return;
    const timer = setTimeout(() => setQuery({ q: draft.trim() || null }), 300);
    return () => clearTimeout(timer);
  }, [draft]);

  const rowAt = (i: number): TableRow | undefined => pages.get(Math.floor(i / PAGE))?.[i % PAGE];
  const open = (row: TableRow | undefined): void => {
    if (row) setQuery({ sample: row.resultId });
  };
  const move = (to: number): void => {
    const i = Math.max(0, Math.min((total ?? 1) - 1, to));
    setActive(i);
    virtualizer.scrollToIndex(i, { align: 'auto' });
  };
  const pageRows = (): number => Math.floor((scroller.current?.clientHeight ?? 0) / ROW);
  useEffect(() => onMetrics?.(metrics), [metrics]);
  const columns = columnsOf(metrics, measures, decider, passFail, thresholds);
  const rows = [];
  for (const { index: i, start } of items) {
    const row = rowAt(i);
    rows.push(
      <div
        key={i}
        role="row"
        id={`row-${i}`}
        aria-rowindex={i + 3}
        aria-selected={i === active}
        class={`row${i === active ? ' active' : ''}${row?.passed === false ? ' failed' : ''}`}
        style={{ transform: `translateY(${start}px)` }}
        onClick={() => {
          setActive(i);
          open(row);
        }}
      >
        {row ? (
          columns.map((c) => <Fragment key={c.key}>{c.cell(row)}</Fragment>)
        ) : (
          <span role="gridcell" class="muted">
            …
          </span>
        )}
      </div>,
    );
  }
  return (
    <div class="samples">
      <div class="toolbar">
        <label>
          <input
            type="checkbox"
            checked={failures}
            onChange={(e) => setQuery({ failures: e.currentTarget.checked ? '1' : null })}
          />{' '}
          failures only
        </label>
        <label>
          Search{' '}
          <input
            type="search"
            value={draft}
            placeholder="text in any field"
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
        </label>
        <span class="muted" id="sample-count" aria-live="polite">
          {failed
            ? `could not load samples: ${failed}`
            : total === null
              ? 'loading…'
              : `${total} ${total === 1 ? 'sample' : 'samples'}`}
        </span>
      </div>
      <div
        class="vtable"
        role="grid"
        aria-label="samples"
        aria-rowcount={(total ?? 0) + 2}
        style={{
          '--cols': columns.map((c) => c.width).join(' '),
          // The columns' minimum widths, gaps (0.6rem) and padding: wider than the page, it scrolls.
          '--grid-min': `${columns.reduce((sum, c) => sum + c.min, 0) + 0.6 * (columns.length - 1) + 1.2}rem`,
        }}
        tabIndex={0}
        aria-activedescendant={rowAt(active) ? `row-${active}` : undefined}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') move(active + 1);
          else if (e.key === 'ArrowUp') move(active - 1);
          else if (e.key === 'PageDown') move(active + pageRows());
          else if (e.key === 'PageUp') move(active - pageRows());
          else if (e.key === 'Enter') open(rowAt(active));
          else return;
          e.preventDefault();
        }}
      >
        {/* Outside the scroller, the header stays in view: evaluators, then their metrics. */}
        <div class="head" role="rowgroup">
          <div role="row" aria-rowindex={1} class="row groups">
            {groupsOf(columns).map(([group, first, span]) => (
              <span
                role="columnheader"
                key={first}
                aria-colspan={span > 1 ? span : undefined}
                title={group || undefined}
                style={{ gridColumn: `span ${span}` }}
              >
                {group}
              </span>
            ))}
          </div>
          <div role="row" aria-rowindex={2} class="row names">
            {columns.map((c) =>
              c.sort !== undefined ? (
                <span
                  role="columnheader"
                  key={c.key}
                  aria-sort={sort === c.sort ? (desc ? 'descending' : 'ascending') : 'none'}
                >
                  <button
                    type="button"
                    class="sort"
                    title={c.title}
                    onClick={() =>
                      setQuery({
                        sort: c.sort as string,
                        desc: sort === c.sort && !desc ? '1' : null,
                      })
                    }
                  >
                    {c.label}
                  </button>
                </span>
              ) : (
                <span role="columnheader" key={c.key} title={c.title}>
                  {c.label}
                </span>
              ),
            )}
          </div>
        </div>
        <div class="scroller" ref={scroller}>
          <div class="spacer" style={{ height: `${virtualizer.getTotalSize()}px` }}>
            {rows}
          </div>
        </div>
      </div>
    </div>
  );
}
