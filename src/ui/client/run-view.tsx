/** One run: its numbers, a histogram per metric, and every sample in a virtualised table. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, runPath } from './api.js';
import type { ResultRecord, RowsPage, RunDetail, RunHistograms, TableRow } from './api.js';
import { sampleTexts } from '../../tracker/sample-texts.js';
import { MetricHistogram } from './charts.js';
import { interval, num, pct, value } from './format.js';
import { Link, setQuery } from './router.js';
import { MetricChoice } from './metric-choice.js';

const ROW = 32;

/** The grid's columns: number, sample, three texts, one per metric, pass. */
const gridColumns = (metrics: number): string =>
  `4rem 9rem minmax(10rem, 1.3fr) minmax(10rem, 1.3fr) minmax(8rem, 1fr)${
    metrics > 0 ? ` repeat(${metrics}, minmax(5rem, 7rem))` : ''
  } 4rem`;
const PAGE = 100;

const metricQuery = (metric: string): string =>
  metric ? `?${new URLSearchParams({ metric })}` : '';

export function RunView({ runId, query }: { runId: string; query: URLSearchParams }) {
  const metric = query.get('metric') ?? '';
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDetail(null);
    setError(null);
    getJson<RunDetail>(`${runPath(runId)}${metricQuery(metric)}`).then(setDetail, (e: Error) =>
      setError(e.message),
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
    getJson<RunHistograms>(`${runPath(runId)}/histograms${metricQuery(metric)}`).then(
      setData,
      () => {},
    );
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

function SampleTable({ runId, query }: { runId: string; query: URLSearchParams }) {
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
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [active, setActive] = useState(0);
  const [draft, setDraft] = useState(search);
  const scroller = useRef<HTMLDivElement>(null);
  const loading = useRef(new Set<number>());

  useEffect(() => {
    setPages(new Map());
    setTotal(null);
    setFailed(null);
    setActive(0);
    loading.current = new Set();
    if (scroller.current) scroller.current.scrollTop = 0;
    setTop(0);
  }, [key]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const resize = new ResizeObserver(() => setHeight(el.clientHeight));
    resize.observe(el);
    return () => resize.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(top / ROW) - 10);
  const last = Math.floor((top + height) / ROW) + 10;
  const current = useRef(key);
  current.current = key;
  useEffect(() => {
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++) {
      if (pages.has(p) || loading.current.has(p) || (total !== null && p * PAGE >= total)) continue;
      loading.current.add(p);
      const asked = loading.current;
      const params = new URLSearchParams({ offset: String(p * PAGE), limit: String(PAGE), sort });
      if (desc) params.set('desc', '1');
      if (failures) params.set('failures', '1');
      if (search) params.set('q', search);
      if (metric) params.set('metric', metric);
      getJson<RowsPage>(`${runPath(runId)}/rows?${params}`).then(
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
    const el = scroller.current;
    if (el && (i * ROW < el.scrollTop || (i + 1) * ROW > el.scrollTop + el.clientHeight)) {
      el.scrollTop = i * ROW - el.clientHeight / 2;
    }
  };
  const columns = ['#', 'sample', 'input', 'output', 'expected', ...metrics, 'pass'];
  const sortable: Record<string, string> = { '#': 'i', sample: 'sampleId' };
  for (const m of metrics) sortable[m] = m;
  const rows = [];
  for (let i = first; i <= Math.min(last, (total ?? 0) - 1); i++) {
    const row = rowAt(i);
    rows.push(
      <div
        key={i}
        role="row"
        id={`row-${i}`}
        aria-rowindex={i + 2}
        aria-selected={i === active}
        class={`row${i === active ? ' active' : ''}${row?.passed === false ? ' failed' : ''}`}
        style={{ transform: `translateY(${i * ROW}px)` }}
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
          else if (e.key === 'PageDown') move(active + Math.floor(height / ROW));
          else if (e.key === 'PageUp') move(active - Math.floor(height / ROW));
          else if (e.key === 'Enter') open(rowAt(active));
          else return;
          e.preventDefault();
        }}
      >
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
        <div class="scroller" ref={scroller} onScroll={(e) => setTop(e.currentTarget.scrollTop)}>
          <div class="spacer" style={{ height: `${(total ?? 0) * ROW}px` }}>
            {rows}
          </div>
        </div>
      </div>
    </div>
  );
}

/** Texts an evaluator gave for its verdicts: `explanation`/`reason` fields, with their path. */
function explanations(value: unknown, path: string[] = []): [string, string][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    typeof v === 'string' && /^(explanation|reason|rationale)s?$/i.test(k)
      ? [[[...path, k].join('.'), v] as [string, string]]
      : explanations(v, [...path, k]),
  );
}

function SampleDetail({ runId, resultId }: { runId: string; resultId: string }) {
  const [record, setRecord] = useState<ResultRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    setRecord(null);
    setError(null);
    getJson<ResultRecord>(`${runPath(runId)}/results/${encodeURIComponent(resultId)}`).then(
      setRecord,
      (e: Error) => setError(e.message),
    );
  }, [runId, resultId]);
  useEffect(() => closeButton.current?.focus(), [record]);
  const close = (): void => {
    setQuery({ sample: null });
    // Back to the grid, where the arrow keys go on.
    document.querySelector<HTMLElement>('.vtable')?.focus();
  };
  const texts = record ? sampleTexts(record) : null;
  return (
    <div
      class="detail"
      role="dialog"
      aria-label="sample"
      onKeyDown={(e) => {
        if (e.key === 'Escape') close();
      }}
    >
      <button type="button" class="close" ref={closeButton} onClick={close}>
        Close (Esc)
      </button>
      {error && <p role="alert">{error}</p>}
      {!record && !error && <p aria-busy="true">Loading sample…</p>}
      {record && (
        <>
          <h2>{record.sampleId}</h2>
          {texts &&
            (['input', 'output', 'expected'] as const).map((label) => (
              <section key={label}>
                <h3>{label}</h3>
                <pre class="text">{texts[label]}</pre>
              </section>
            ))}
          <h3>scores</h3>
          <table class="grid">
            <tbody>
              {Object.entries(record.values).map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td class="num">{value(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>explanations</h3>
          {explanations(record.evaluationResult).map(([where, why]) => (
            <section key={where} class="explanation">
              <h4>{where}</h4>
              <pre class="text">{why}</pre>
            </section>
          ))}
          <h3>sample data and metadata</h3>
          <pre class="text">
            {JSON.stringify({ data: record.data, metadata: record.metadata }, null, 2)}
          </pre>
        </>
      )}
    </div>
  );
}
