/** One sample in full, beside the table: its texts, scores, the evaluators' explanations, its data. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, encoded, read } from './api.js';
import type { ResultRecord } from './api.js';
import { sampleTexts } from '../../tracker/sample-texts.js';
import { value } from './format.js';
import { setQuery } from './router.js';

/** Texts an evaluator gave for its verdicts: `explanation`/`reason` fields, with their path. */
function explanations(value: unknown, path: string[] = []): [string, string][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    typeof v === 'string' && /^(explanation|reason|rationale)s?$/i.test(k)
      ? [[[...path, k].join('.'), v] as [string, string]]
      : explanations(v, [...path, k]),
  );
}

export function SampleDetail({ runId, resultId }: { runId: string; resultId: string }) {
  const [record, setRecord] = useState<ResultRecord | null>(null);
  const [error, setError] = useState<string | null>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    setRecord(null);
    setError(null);
    read(
      api.runs[':runId'].results[':resultId'].$get({
        param: encoded({ runId, resultId }),
      }),
    ).then(setRecord, (e: Error) => setError(e.message));
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
