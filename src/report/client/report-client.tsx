/**
 * The HTML report's script: each metric's histograms (uPlot) and the table of every sample, with
 * a text and a status filter and each sample's texts on a click. Reads the page's data only; every
 * text goes through Preact, which escapes it.
 */
import 'uplot/dist/uPlot.min.css';
import '../../ui/client/theme.css';
import './report.css';
import { Fragment, render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import type { CutText, DataSample, DataSide, ReportData } from '../report-data.js';
import { MetricChart } from './metric-chart.js';

/** Rows shown at first, and added by "show more". */
const PAGE = 100;

const text = (t: CutText): string => (typeof t === 'string' ? t : t[0]);

function Text({ t }: { t: CutText }) {
  if (typeof t === 'string') return <>{t}</>;
  return (
    <>
      {t[0]}
      <span class="cut">… {t[1].toLocaleString('en-US')} more characters</span>
    </>
  );
}

const num = (x: number | null | undefined): string =>
  x === null || x === undefined ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(3);

function Value({ side }: { side: DataSide | null }) {
  if (side === null) return <span class="muted">—</span>;
  if (side.passed === null)
    return side.value === null && side.error !== null ? (
      <span class="fail">error</span>
    ) : (
      <>{num(side.value)}</>
    );
  return <span class={side.passed ? 'pass' : 'fail'}>{side.passed ? 'pass' : 'fail'}</span>;
}

/** Lower-case texts a filter searches: id, input, expected and both outputs. */
const haystack = (s: DataSample): string =>
  [s.id, text(s.input), text(s.expected), s.baseline?.output, s.candidate?.output]
    .map((t) => (t === undefined ? '' : text(t)))
    .join('\n')
    .toLowerCase();

function Side({
  data,
  role,
  side,
  brief,
}: {
  data: ReportData;
  role: 'baseline' | 'candidate';
  side: DataSide | null;
  brief: boolean;
}) {
  const runId = data[role];
  if (side === null)
    return (
      <div class="side">
        <h4>{role}</h4>
        <p class="muted">not in this run</p>
      </div>
    );
  return (
    <div class="side">
      <h4>
        {role}: <Value side={side} />
        {data.uiUrl !== null && (
          <>
            {' '}
            <a
              href={`${data.uiUrl}/run/${encodeURIComponent(runId)}?sample=${encodeURIComponent(side.resultId)}`}
            >
              in the dashboard
            </a>
          </>
        )}
      </h4>
      {!brief && (
        <pre class="output">
          <Text t={side.output} />
        </pre>
      )}
      {side.error !== null && (
        <p class="error">
          <Text t={side.error} />
        </p>
      )}
      {side.explanations.length > 0 && (
        <dl class="explanations">
          {side.explanations.map(([where, t]) => (
            <Fragment key={where}>
              <dt>{where}</dt>
              <dd>
                <Text t={t} />
              </dd>
            </Fragment>
          ))}
        </dl>
      )}
      <table class="scores">
        <tbody>
          {data.columns.map((c, i) =>
            side.scores[i] === null ? null : (
              <tr key={c}>
                <td>{c}</td>
                <td class="num">{num(side.scores[i])}</td>
              </tr>
            ),
          )}
          {side.latencyMs !== null && (
            <tr>
              <td>task latency, ms</td>
              <td class="num">{side.latencyMs.toFixed(1)}</td>
            </tr>
          )}
          {side.cost !== null && (
            <tr>
              <td>cost</td>
              <td class="num">{String(Number(side.cost.toPrecision(6)))}</td>
            </tr>
          )}
          {side.trials > 1 && (
            <tr>
              <td>trials</td>
              <td class="num">{side.trials}</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function Detail({ data, sample }: { data: ReportData; sample: DataSample }) {
  const brief = sample.brief === true;
  return (
    <div class="detail">
      {brief && (
        <p class="brief-note">
          To keep this file small, the report holds only the start of the input of its{' '}
          {data.brief.statuses.join(', ')} samples: the dashboard and <code>evaltrack show</code>{' '}
          have their texts.
        </p>
      )}
      <dl class="texts">
        <dt>input</dt>
        <dd>
          <pre>
            <Text t={sample.input} />
          </pre>
        </dd>
        {!brief && (
          <>
            <dt>expected</dt>
            <dd>
              <pre>
                <Text t={sample.expected} />
              </pre>
            </dd>
          </>
        )}
      </dl>
      <div class="sides">
        <Side data={data} role="baseline" side={sample.baseline} brief={brief} />
        <Side data={data} role="candidate" side={sample.candidate} brief={brief} />
      </div>
    </div>
  );
}

function SampleTable({ data }: { data: ReportData }) {
  const [query, setQuery] = useState('');
  const [status, setStatus] = useState(-1);
  const [shown, setShown] = useState(PAGE);
  const [open, setOpen] = useState<string | null>(null);
  const texts = useMemo(() => data.samples.map(haystack), [data]);
  const counts = useMemo(() => {
    const c = data.statuses.map(() => 0);
    for (const s of data.samples) c[s.status] = (c[s.status] ?? 0) + 1;
    return c;
  }, [data]);
  const matches = useMemo(() => {
    const q = query.trim().toLowerCase();
    return data.samples.filter(
      (s, i) => (status < 0 || s.status === status) && (q === '' || texts[i]?.includes(q)),
    );
  }, [data, texts, query, status]);
  const rows = matches.slice(0, shown);
  return (
    <>
      <div class="toolbar">
        <label>
          Search{' '}
          <input
            id="sample-filter"
            type="search"
            placeholder="sample id or text"
            value={query}
            onInput={(e) => {
              setQuery(e.currentTarget.value);
              setShown(PAGE);
            }}
          />
        </label>
        <label>
          Status{' '}
          <select
            id="status-filter"
            value={String(status)}
            onChange={(e) => {
              setStatus(Number(e.currentTarget.value));
              setShown(PAGE);
            }}
          >
            <option value="-1">all ({data.samples.length})</option>
            {data.statuses.map((s, i) =>
              counts[i] === 0 ? null : (
                <option key={s} value={String(i)}>
                  {s} ({counts[i]})
                </option>
              ),
            )}
          </select>
        </label>
        <span id="sample-count" class="muted">
          {matches.length === data.samples.length
            ? `${matches.length} samples`
            : `${matches.length} of ${data.samples.length} samples`}
        </span>
      </div>
      <table id="sample-table" class="grid">
        <thead>
          <tr>
            <th>sample</th>
            <th>status</th>
            <th>baseline {data.metric}</th>
            <th>candidate {data.metric}</th>
            <th>input</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => {
            const isOpen = open === s.id;
            const toggle = () => setOpen(isOpen ? null : s.id);
            return [
              <tr key={s.id} class={`row${isOpen ? ' open' : ''}`} onClick={toggle}>
                <td>
                  <button
                    type="button"
                    class="link"
                    aria-expanded={isOpen}
                    onClick={(e) => {
                      e.stopPropagation();
                      toggle();
                    }}
                  >
                    {s.id}
                  </button>
                </td>
                <td>
                  <span class={`status ${data.statuses[s.status] ?? ''}`}>
                    {data.statuses[s.status]}
                  </span>
                </td>
                <td>
                  <Value side={s.baseline} />
                </td>
                <td>
                  <Value side={s.candidate} />
                </td>
                <td class="preview">{text(s.input).slice(0, 160)}</td>
              </tr>,
              isOpen && (
                <tr key={`${s.id}\u0000detail`} class="detail-row">
                  <td colSpan={5}>
                    <Detail data={data} sample={s} />
                  </td>
                </tr>
              ),
            ];
          })}
        </tbody>
      </table>
      {matches.length > rows.length && (
        <button type="button" id="show-more" onClick={() => setShown(shown + PAGE)}>
          Show {Math.min(PAGE, matches.length - rows.length)} more of {matches.length - rows.length}
        </button>
      )}
    </>
  );
}

/** The page's data: JSON, or gzipped JSON in base64 for a large report. */
async function readData(): Promise<ReportData> {
  const el = document.getElementById('report-data');
  const content = el?.textContent ?? '';
  if (el?.dataset['encoding'] !== 'gzip-base64') return JSON.parse(content) as ReportData;
  const binary = atob(content.trim());
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return JSON.parse(await new Response(stream).text()) as ReportData;
}

async function main(): Promise<void> {
  const data = await readData();
  const charts = document.getElementById('charts');
  if (charts)
    render(
      <div class="charts">
        {data.charts.map((c) => (
          <MetricChart key={c.metric} chart={c} deciding={c.metric === data.metric} />
        ))}
      </div>,
      charts,
    );
  const samples = document.getElementById('samples-app');
  if (samples) render(<SampleTable data={data} />, samples);
  document.body.dataset['ready'] = 'true';
}

main().catch((e: unknown) => {
  const box = document.getElementById('samples-app');
  if (box) box.textContent = `The report's data could not be read: ${String(e)}`;
  throw e;
});
