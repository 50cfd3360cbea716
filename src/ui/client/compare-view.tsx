/** Two runs sample by sample: the `compare` numbers, then the changed samples, regressions first. */
import { diffWords } from 'diff';
import { useEffect, useState } from 'preact/hooks';
import { api, metricQuery, read } from './api.js';
import type { CompareResponse } from './api.js';
import { interval, num } from './format.js';
import { Link } from './router.js';
import { MetricChoice } from './metric-choice.js';
import { useOnRunChange } from './use-live.js';

type Change = CompareResponse['comparison']['regressions'][number];

const text = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** Both outputs side by side, the words each lacks from the other marked. */
function SideBySide({ before, after }: { before: string; after: string }) {
  const parts = diffWords(before, after);
  return (
    <div class="side-by-side">
      <pre class="text" aria-label="baseline output">
        {parts
          .filter((p) => !p.added)
          .map((p, i) =>
            p.removed ? <del key={i}>{p.value}</del> : <span key={i}>{p.value}</span>,
          )}
      </pre>
      <pre class="text" aria-label="candidate output">
        {parts
          .filter((p) => !p.removed)
          .map((p, i) => (p.added ? <ins key={i}>{p.value}</ins> : <span key={i}>{p.value}</span>))}
      </pre>
    </div>
  );
}

function Changes({
  title,
  kind,
  changes,
  count,
}: {
  title: string;
  kind: string;
  changes: Change[];
  count: number;
}) {
  if (changes.length === 0) return null;
  return (
    <section class={`changes ${kind}`}>
      <h2>
        {title} ({count})
      </h2>
      {count > changes.length && (
        <p class="muted">
          The first {changes.length} are shown; texts are cut at 4,000 characters.
        </p>
      )}
      {changes.map((c) => (
        <article key={c.sampleId} class="change">
          <h3>
            <span class={`badge ${kind}`}>{kind}</span> {c.sampleId}
          </h3>
          <p class="input">{text(c.input)}</p>
          <SideBySide before={text(c.baselineOutput)} after={text(c.candidateOutput)} />
        </article>
      ))}
    </section>
  );
}

export function CompareView({ query }: { query: URLSearchParams }) {
  const baseline = query.get('baseline') ?? '';
  const candidate = query.get('candidate') ?? '';
  const metric = query.get('metric') ?? '';
  const [data, setData] = useState<CompareResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setData(null);
    setError(null);
    read(api.compare.$get({ query: { baseline, candidate, ...metricQuery(metric) } })).then(
      setData,
      (e: Error) => setError(e.message),
    );
  }, [baseline, candidate, metric]);
  // Live: either run changed, the comparison is made again (what is shown stays until then).
  useOnRunChange([baseline, candidate], () => {
    read(api.compare.$get({ query: { baseline, candidate, ...metricQuery(metric) } })).then(
      setData,
      () => {},
    );
  });
  if (error) return <p role="alert">Could not compare: {error}</p>;
  if (!data) return <p aria-busy="true">Comparing…</p>;
  const c = data.comparison;
  const runLink = (id: string) => <Link href={`/run/${encodeURIComponent(id)}`}>{id}</Link>;
  return (
    <section>
      <p class="crumbs">
        {/* Back to the runs with the same baseline (and metric), to compare the next run. */}
        <Link href={`/?${new URLSearchParams({ baseline, ...metricQuery(metric) }).toString()}`}>
          Runs
        </Link>{' '}
        / compare
      </p>
      <h1>
        {runLink(baseline)} → {runLink(candidate)}
      </h1>
      <div class="toolbar">
        <MetricChoice
          value={metric}
          options={c.metrics.map((m) => m.metric)}
          fallback={data.candidate.scoreColumn ?? data.baseline.scoreColumn}
        />
      </div>
      <p id="compare-summary">
        On {c.metric}: {c.matched} samples in both runs:{' '}
        <strong class="fail">{data.counts.regressions} regressions</strong>,{' '}
        <strong class="pass">{data.counts.improvements} improvements</strong>, {c.unchanged}{' '}
        unchanged
        {c.hasVerdicts ? '' : ` (${c.metric} has no pass/fail verdict)`}.
      </p>
      <p id="gaps">
        Evaluator errors: {c.baseline.errors.length} in the baseline, {c.candidate.errors.length} in
        the candidate. Not scored on {c.metric}: {c.baseline.unscored.length} in the baseline,{' '}
        {c.candidate.unscored.length} in the candidate.
        {c.changedInputs.length > 0 &&
          ` ${c.changedInputs.length} samples changed their input or expected answer and were not compared (${c.changedInputs.slice(0, 10).join(', ')}${c.changedInputs.length > 10 ? ', …' : ''}).`}
      </p>
      <p id="coverage">
        Coverage gap: {c.onlyBaseline.length} only in the baseline
        {c.onlyBaseline.length > 0
          ? ` (${c.onlyBaseline.slice(0, 10).join(', ')}${c.onlyBaseline.length > 10 ? ', …' : ''})`
          : ''}
        , {c.onlyCandidate.length} only in the candidate
        {c.onlyCandidate.length > 0
          ? ` (${c.onlyCandidate.slice(0, 10).join(', ')}${c.onlyCandidate.length > 10 ? ', …' : ''})`
          : ''}
        . A missing sample is not a passing one.
      </p>
      <table class="grid" id="metrics">
        <thead>
          <tr>
            <th>metric</th>
            <th>n</th>
            <th>baseline</th>
            <th>candidate</th>
            <th>difference [95% CI]</th>
            <th>McNemar p</th>
          </tr>
        </thead>
        <tbody>
          {c.metrics.map((m) => (
            <tr key={m.metric} class={m.difference.significantDrop ? 'drop' : ''}>
              <th scope="row">{m.metric}</th>
              <td class="num">{m.n}</td>
              <td class="num">{num(m.baselineMean)}</td>
              <td class="num">{num(m.candidateMean)}</td>
              <td class="num">
                {num(m.difference.mean)}{' '}
                <span class="ci">{interval(m.difference.interval, (x) => num(x))}</span>
                {m.difference.significantDrop && (
                  <span class="badge regression">significant drop</span>
                )}
              </td>
              <td class="num">{m.mcnemar ? m.mcnemar.p.toFixed(4) : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Changes
        title="Regressions"
        kind="regression"
        changes={c.regressions}
        count={data.counts.regressions}
      />
      <Changes
        title="Improvements"
        kind="improvement"
        changes={c.improvements}
        count={data.counts.improvements}
      />
    </section>
  );
}
