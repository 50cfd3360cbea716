/** One sample in full, beside the table: its texts, scores, the evaluators' explanations, its data. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, encoded, read } from './api.js';
import type { ResultRecord } from './api.js';
import { sampleTexts } from '../../tracker/sample-texts.js';
import { count, duration, money, value } from './format.js';
import { setQuery } from './router.js';
import { SampleHistoryTable } from './sample-history-table.js';

/** Texts an evaluator gave for its verdicts: `explanation`/`reason` fields, with their path. */
function explanations(value: unknown, path: string[] = []): [string, string][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    typeof v === 'string' && /^(explanation|reason|rationale)s?$/i.test(k)
      ? [[[...path, k].join('.'), v] as [string, string]]
      : explanations(v, [...path, k]),
  );
}

export function SampleDetail({
  runId,
  resultId,
  metric,
}: {
  runId: string;
  resultId: string;
  /** The metric the page names (`?metric=`), or '' for the runs' leaderboard column. */
  metric: string;
}) {
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
          {record.measures && <Measures measures={record.measures} />}
          <SampleHistoryTable
            sampleId={record.sampleId}
            datasetName={record.datasetName}
            runId={record.runId}
            metric={metric}
          />
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

type ResultMeasures = NonNullable<ResultRecord['measures']>;
type Step = NonNullable<ResultMeasures['task']>;

/** A step's tokens in total: as reported, else input and output added up. */
function totalTokens(step: Step): number | undefined {
  const u = step.usage;
  if (!u) return undefined;
  if (u.totalTokens !== undefined) return u.totalTokens;
  return u.inputTokens === undefined && u.outputTokens === undefined
    ? undefined
    : (u.inputTokens ?? 0) + (u.outputTokens ?? 0);
}

/** What the sample took: its trial, and the task's and each evaluator's latency, tokens and cost. */
function Measures({ measures }: { measures: ResultMeasures }) {
  const steps: [string, Step][] = [
    ...(measures.task ? [['task', measures.task] as [string, Step]] : []),
    ...Object.entries(measures.evaluators ?? {}).map(
      ([name, step]) => [`evaluator ${name}`, step] as [string, Step],
    ),
  ];
  return (
    <>
      <h3>latency, tokens and cost</h3>
      {measures.trial !== undefined && <p id="sample-trial">trial {measures.trial}</p>}
      {steps.length > 0 && (
        <table class="grid" id="sample-measures">
          <thead>
            <tr>
              <th>step</th>
              <th class="num">latency</th>
              <th class="num">input tokens</th>
              <th class="num">output tokens</th>
              <th class="num">total tokens</th>
              <th class="num">cost</th>
            </tr>
          </thead>
          <tbody>
            {steps.map(([name, step]) => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td class="num">{duration(step.latencyMs)}</td>
                <td class="num">{count(step.usage?.inputTokens)}</td>
                <td class="num">{count(step.usage?.outputTokens)}</td>
                <td class="num">{count(totalTokens(step))}</td>
                <td class="num">{money(step.cost)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
