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

/**
 * The grid's columns: number, sample, the trial (when a sample ran several times), three texts,
 * one per metric, pass, then latency and cost when the run recorded them.
 */
function columnsOf(metrics: string[], measures: Measures): Column[] {
  return [
    {
      key: 'i',
      label: '#',
      sort: 'i',
      width: '4rem',
      min: 4,
      cell: (r) => numCell(String(r.i + 1)),
    },
    {
      key: 'sample',
      label: 'sample',
      sort: 'sampleId',
      width: '9rem',
      min: 9,
      cell: (r) => textCell(r.sampleId),
    },
    ...(measures.trials
      ? [
          {
            key: 'trial',
            label: 'trial',
            sort: '@trial',
            width: '4rem',
            min: 4,
            cell: (r: TableRow) => numCell(r.trial === null ? NONE : String(r.trial)),
          },
        ]
      : []),
    {
      key: 'input',
      label: 'input',
      width: 'minmax(10rem, 1.3fr)',
      min: 10,
      cell: (r) => textCell(r.input),
    },
    {
      key: 'output',
      label: 'output',
      width: 'minmax(10rem, 1.3fr)',
      min: 10,
      cell: (r) => textCell(r.output),
    },
    {
      key: 'expected',
      label: 'expected',
      width: 'minmax(8rem, 1fr)',
      min: 8,
      cell: (r) => textCell(r.expected),
    },
    ...metrics.map((m) => ({
      key: `metric:${m}`,
      label: m,
      title: m,
      sort: m,
      width: 'minmax(5rem, 7rem)',
      min: 5,
      cell: (r: TableRow) => numCell(value(r.values[m])),
    })),
    {
      key: 'pass',
      label: 'pass',
      width: '4rem',
      min: 4,
      cell: (r) => (
        <span role="gridcell" class={r.passed === false ? 'fail' : 'pass'}>
          {r.passed === null ? '–' : r.passed ? 'pass' : 'FAIL'}
        </span>
      ),
    },
    ...(measures.latency
      ? [
          {
            key: 'latency',
            label: 'latency',
            title: "the task's latency",
            sort: '@latency',
            width: 'minmax(5rem, 6rem)',
            min: 5,
            cell: (r: TableRow) => numCell(duration(r.latencyMs)),
          },
        ]
      : []),
    ...(measures.cost
      ? [
          {
            key: 'cost',
            label: 'cost',
            title: 'the task and its evaluators together',
            sort: '@cost',
            width: 'minmax(5rem, 6rem)',
            min: 5,
            cell: (r: TableRow) => numCell(money(r.cost)),
          },
        ]
      : []),
  ];
}

export function SampleTable({ runId, query }: { runId: string; query: URLSearchParams }) {
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
  const columns = columnsOf(metrics, measures);
  const rows = [];
  for (const { index: i, start } of items) {
    const row = rowAt(i);
    rows.push(
      <div
        key={i}
        role="row"
        id={`row-${i}`}
        aria-rowindex={i + 2}
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
        aria-rowcount={(total ?? 0) + 1}
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
        {/* Outside the scroller, the header stays in view. */}
        <div role="row" aria-rowindex={1} class="row head">
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
              <span role="columnheader" key={c.key}>
                {c.label}
              </span>
            ),
          )}
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
