/** A sample across runs, in its drawer: newest first, its outcome and value in each, a link to each run. */
import { useEffect, useState } from 'preact/hooks';
import { api, encoded, metricQuery, read } from './api.js';
import type { SampleHistoryResponse } from './api.js';
import { num, when } from './format.js';
import { Link } from './router.js';

const outcome = (passed: boolean | null): string =>
  passed === null ? '–' : passed ? 'pass' : 'FAIL';

export function SampleHistoryTable(props: {
  sampleId: string;
  datasetName: string;
  /** The run being looked at: its row is marked. */
  runId: string;
  metric: string;
}) {
  const { sampleId, datasetName, runId, metric } = props;
  const [history, setHistory] = useState<SampleHistoryResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setHistory(null);
    setError(null);
    const stop = new AbortController();
    read(
      api.samples[':sampleId'].history.$get(
        {
          param: encoded({ sampleId }),
          query: { dataset: datasetName, ...metricQuery(metric) },
        },
        { init: { signal: stop.signal } },
      ),
    ).then(setHistory, (e: Error) => {
      if (!stop.signal.aborted) setError(e.message);
    });
    return () => stop.abort();
  }, [sampleId, datasetName, metric]);
  const link = (run: string, resultId: string): string => {
    const query = new URLSearchParams({ sample: resultId, ...(metric ? { metric } : {}) });
    return `/run/${encodeURIComponent(run)}?${query.toString()}`;
  };
  const change = history?.lastPassToFail;
  return (
    <section id="sample-history">
      <h3>history across runs</h3>
      {error && <p role="alert">{error}</p>}
      {!history && !error && <p aria-busy="true">Loading the sample’s runs…</p>}
      {history && (
        <>
          <p id="sample-history-summary">
            {history.runCount} run{history.runCount === 1 ? '' : 's'} of {history.datasetName} hold
            it
            {history.runs.length < history.runCount
              ? `, the newest ${history.runs.length} shown`
              : ''}
            ; on {history.metric ?? '–'}.{' '}
            {change
              ? `Last changed from pass to fail in ${change.runId} (${when(change.createdAt)}), after passing in ${change.passedIn}.`
              : 'Never changed from pass to fail.'}
          </p>
          <table class="grid">
            <thead>
              <tr>
                <th>run</th>
                <th>created</th>
                <th>model</th>
                <th class="num">value</th>
                <th>outcome</th>
                <th class="num">trials</th>
              </tr>
            </thead>
            <tbody>
              {history.runs.map((r) => (
                <tr key={r.runId} aria-current={r.runId === runId ? 'true' : undefined}>
                  <td>
                    <Link href={link(r.runId, r.resultId)}>{r.runId}</Link>
                  </td>
                  <td>{when(r.createdAt)}</td>
                  <td>{r.modelName}</td>
                  <td class="num">{num(r.value)}</td>
                  <td title={r.error ?? undefined}>
                    {r.error ? `${outcome(r.passed)} (error)` : outcome(r.passed)}
                  </td>
                  <td class="num">{r.trials}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
