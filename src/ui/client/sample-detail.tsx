/**
 * One sample in full, beside the table: its texts, what it took, every evaluator's scores,
 * verdicts, explanations and errors, its history across runs, and its data and metadata.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, encoded, read } from './api.js';
import type { ResultRecord } from './api.js';
import { sampleTexts } from '../../tracker/sample-texts.js';
import { count, duration, money } from './format.js';
import { setQuery } from './router.js';
import { SampleEvaluators } from './sample-evaluators.js';
import { SampleHistoryTable } from './sample-history-table.js';

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
          <SampleFacts record={record} />
          {texts &&
            (['input', 'output', 'expected'] as const).map((label) => (
              <section key={label}>
                <h3>{label}</h3>
                <pre class="text">{texts[label]}</pre>
              </section>
            ))}
          <h3>evaluators</h3>
          <SampleEvaluators record={record} />
          {record.measures && <Measures measures={record.measures} />}
          <SampleHistoryTable
            sampleId={record.sampleId}
            datasetName={record.datasetName}
            runId={record.runId}
            metric={metric}
          />
          <h3>sample data and metadata</h3>
          <pre class="text">
            {JSON.stringify({ data: record.data, metadata: record.metadata }, null, 2)}
          </pre>
        </>
      )}
    </div>
  );
}

/** The run, model and trial of the sample, and its latency and cost when recorded. */
function SampleFacts({ record }: { record: ResultRecord }) {
  // As the grid's columns (the tracker's `latencyOf`, `costOf`, kept out of the browser's bundle):
  // the task's latency; the cost of the task and the evaluators together.
  const latency = record.measures?.task?.latencyMs;
  const costs = [record.measures?.task, ...Object.values(record.measures?.evaluators ?? {})]
    .map((step) => step?.cost)
    .filter((c): c is number => c !== undefined);
  const cost = costs.length === 0 ? undefined : costs.reduce((sum, c) => sum + c, 0);
  return (
    <dl class="facts" id="sample-facts">
      <div>
        <dt>run</dt>
        <dd>{record.runId}</dd>
      </div>
      <div>
        <dt>model</dt>
        <dd>{record.modelName}</dd>
      </div>
      {latency !== undefined && (
        <div>
          <dt title="the task's latency">latency</dt>
          <dd id="sample-latency">{duration(latency)}</dd>
        </div>
      )}
      {cost !== undefined && (
        <div>
          <dt title="the task's and the evaluators' together">cost</dt>
          <dd id="sample-cost">{money(cost)}</dd>
        </div>
      )}
    </dl>
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
