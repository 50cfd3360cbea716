/**
 * Every sample of a run in a virtualised grid (TanStack Virtual): only the rows in view are in the
 * page, fetched a page at a time as they come into view; filters and sort live in the URL.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, encoded, read } from './api.js';
import type { TableRow } from './api.js';
import { value } from './format.js';
import { setQuery } from './router.js';
import { useVirtualizer } from './use-virtualizer.js';

/** A row's height in pixels (`.vtable .row` in app.css). */
const ROW = 32;
/** Rows the API sends at a time. */
const PAGE = 100;

/** The grid's columns: number, sample, three texts, one per metric, pass. */
const gridColumns = (metrics: number): string =>
  `4rem 9rem minmax(10rem, 1.3fr) minmax(10rem, 1.3fr) minmax(8rem, 1fr)${
    metrics > 0 ? ` repeat(${metrics}, minmax(5rem, 7rem))` : ''
  } 4rem`;

export function SampleTable({ runId, query }: { runId: string; query: URLSearchParams }) {
  const failures = query.get('failures') === '1';
  const search = query.get('q') ?? '';
  const sort = query.get('sort') ?? 'i';
  const desc = query.get('desc') === '1';
  const metric = query.get('metric') ?? '';
  const key = `${runId}|${failures}|${search}|${sort}|${desc}|${metric}`;
  const [total, setTotal] = useState<number | null>(null);
  const [metrics, setMetrics] = useState<string[]>([]);
  const [failed, setFailed] = useState<string | null>(null);
  const [pages, setPages] = useState<Map<number, TableRow[]>>(new Map());
  const [active, setActive] = useState(0);
  const [draft, setDraft] = useState(search);
  const scroller = useRef<HTMLDivElement>(null);
  const loading = useRef(new Set<number>());
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
  useEffect(() => {
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++) {
      if (pages.has(p) || loading.current.has(p) || (total !== null && p * PAGE >= total)) continue;
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
  const columns = ['#', 'sample', 'input', 'output', 'expected', ...metrics, 'pass'];
  const sortable: Record<string, string> = { '#': 'i', sample: 'sampleId' };
  for (const m of metrics) sortable[m] = m;
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
          <>
            <span role="gridcell" class="num">
              {row.i + 1}
            </span>
            {[row.sampleId, row.input, row.output, row.expected].map((text, c) => (
              // The whole (cut) text in the tooltip, as the cell ends in an ellipsis.
              <span role="gridcell" title={text} key={c}>
                {text}
              </span>
            ))}
            {metrics.map((m) => (
              <span role="gridcell" class="num" key={m}>
                {value(row.values[m])}
              </span>
            ))}
            <span role="gridcell" class={row.passed === false ? 'fail' : 'pass'}>
              {row.passed === null ? '–' : row.passed ? 'pass' : 'FAIL'}
            </span>
          </>
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
          '--cols': gridColumns(metrics.length),
          // The columns' minimum widths, gaps and padding: wider than the page, it scrolls.
          '--grid-min': `${49.2 + 5.6 * metrics.length}rem`,
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
            sortable[c] ? (
              <span
                role="columnheader"
                key={c}
                aria-sort={sort === sortable[c] ? (desc ? 'descending' : 'ascending') : 'none'}
              >
                <button
                  type="button"
                  class="sort"
                  title={c}
                  onClick={() =>
                    setQuery({
                      sort: sortable[c] as string,
                      desc: sort === sortable[c] && !desc ? '1' : null,
                    })
                  }
                >
                  {c}
                </button>
              </span>
            ) : (
              <span role="columnheader" key={c}>
                {c}
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
