/**
 * A sample's evaluators in its drawer: for each, its error, its verdict, and every metric's score
 * (coloured against its threshold as in the grid), verdict, threshold and explanation.
 */
import type { JSX } from 'preact';
import { meets, metricParts, thresholdOf, thresholdText } from '../metric-names.js';
import type { Threshold } from '../metric-names.js';
import type { ResultRecord } from './api.js';
import { value } from './format.js';
import { Verdict } from './sample-table.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys that hold an evaluator's or a metric's reasons, whatever their prefix. */
const EXPLAINS = /(^|_)(explanation|reason|rationale)s?$/i;

/** One metric of an evaluator, as the drawer shows it. */
interface MetricRow {
  name: string;
  /** The dotted column name, for the tooltip. */
  path: string;
  score: unknown;
  success: boolean | null;
  threshold: Threshold | null;
  explanations: [string, unknown][];
  /** Fields besides those above (`rubric_score`, `strict_mode`…), as `key: value`. */
  other: [string, unknown][];
}

/** One evaluator of the sample. */
interface EvaluatorView {
  name: string;
  error: string | null;
  attempts: unknown;
  aggregateScore: unknown;
  aggregateSuccess: boolean | null;
  explanations: [string, unknown][];
  metrics: MetricRow[];
  other: [string, unknown][];
}

const verdict = (v: unknown): boolean | null =>
  v === true || v === 1 ? true : v === false || v === 0 ? false : null;

const METRIC_FIELDS = new Set(['score', 'success', 'threshold', 'higher_is_better']);

function metricRow(name: string, path: string, block: Json): MetricRow {
  const entries = Object.entries(block);
  return {
    name,
    path: `${path}.score`,
    score: block['score'],
    success: verdict(block['success']),
    threshold: thresholdOf(block),
    // An explanation the metric did not give (`null`) is not one to show.
    explanations: entries.filter(([k, v]) => EXPLAINS.test(k) && v !== null && v !== ''),
    other: entries.filter(([k]) => !METRIC_FIELDS.has(k) && !EXPLAINS.test(k)),
  };
}

const EVALUATOR_FIELDS = new Set(['error', 'attempts', 'aggregate_score', 'aggregate_success']);

/** What an evaluator's stored output holds, every field of it shown somewhere. */
function evaluatorView(name: string, block: unknown): EvaluatorView {
  const view: EvaluatorView = {
    name,
    error: null,
    attempts: undefined,
    aggregateScore: undefined,
    aggregateSuccess: null,
    explanations: [],
    metrics: [],
    other: [],
  };
  if (!isObject(block)) {
    view.other.push(['value', block]);
    return view;
  }
  // A bare metric (`{ <metric>: { score, reason } }`): the evaluator is its one metric.
  if ('score' in block && !('aggregate_score' in block)) {
    view.metrics.push(metricRow(name, name, block));
    return view;
  }
  const error = block['error'];
  view.error = typeof error === 'string' && error !== '' ? error : null;
  view.attempts = block['attempts'];
  view.aggregateScore = block['aggregate_score'];
  view.aggregateSuccess = verdict(block['aggregate_success']);
  for (const [k, v] of Object.entries(block)) {
    if (EVALUATOR_FIELDS.has(k)) continue;
    if (EXPLAINS.test(k)) view.explanations.push([k, v]);
    else if (isObject(v)) view.metrics.push(metricRow(k, `${name}.${k}`, v));
    else view.other.push([k, v]);
  }
  return view;
}

/**
 * The evaluators of a result: from its stored evaluator output, and, for an evaluator it does not
 * hold (a store kept without it), from the result's columns.
 */
function evaluatorsOf(record: ResultRecord): EvaluatorView[] {
  const output = record.evaluationResult ?? {};
  const views = Object.entries(output).map(([name, block]) => evaluatorView(name, block));
  const held = new Set(Object.keys(output));
  // From the columns: `<evaluator>.<metric>.<field>` (score, success, explanation, threshold…)
  // regrouped as the evaluator's output was, `<evaluator>.<field>` (aggregate_score…) at its top.
  const rebuilt = new Map<string, Json>();
  for (const [column, v] of Object.entries(record.values)) {
    const { evaluator } = metricParts(column);
    if (held.has(evaluator) || (evaluator === '' && held.has(column))) continue;
    let block = rebuilt.get(evaluator);
    if (!block) rebuilt.set(evaluator, (block = {}));
    const rest = evaluator === '' ? column : column.slice(evaluator.length + 1);
    const dot = rest.lastIndexOf('.');
    if (dot <= 0) {
      block[rest] = v;
      continue;
    }
    const metric = rest.slice(0, dot);
    const found = block[metric];
    const inner: Json = isObject(found) ? found : {};
    inner[rest.slice(dot + 1)] = v;
    block[metric] = inner;
  }
  return [...views, ...[...rebuilt].map(([name, block]) => evaluatorView(name, block))];
}

const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '–' : JSON.stringify(v, null, 2);

/** A score, coloured by its threshold when recorded, else by the verdict beside it. */
function Score({ row }: { row: MetricRow }): JSX.Element {
  const score = typeof row.score === 'boolean' ? Number(row.score) : row.score;
  const passed =
    typeof score !== 'number' ? null : row.threshold ? meets(score, row.threshold) : row.success;
  const why = row.threshold ? `threshold ${thresholdText(row.threshold)}` : 'its verdict';
  return (
    <td
      class={`num${passed === null ? '' : passed ? ' meets' : ' misses'}`}
      title={passed === null ? undefined : `${passed ? 'passes' : 'fails'}: ${why}`}
    >
      {value(row.score)}
    </td>
  );
}

function Explanations({ items }: { items: [string, unknown][] }) {
  return (
    <>
      {items.map(([k, v]) => (
        <div key={k} class="explanation">
          <span class="muted">{k}</span>
          <pre class="text">{text(v)}</pre>
        </div>
      ))}
    </>
  );
}

/** Every evaluator of the sample, each in a section of its own. */
export function SampleEvaluators({ record }: { record: ResultRecord }) {
  const views = evaluatorsOf(record);
  if (views.length === 0) return <p class="muted">No evaluator output is stored.</p>;
  return (
    <>
      {views.map((ev) => (
        <section key={ev.name} class="evaluator" aria-label={`evaluator ${ev.name}`}>
          <h4>
            {ev.name || '(no evaluator)'}{' '}
            {ev.aggregateSuccess !== null && <Verdict passed={ev.aggregateSuccess} />}
            {ev.aggregateScore !== undefined && ev.aggregateScore !== null && (
              <span class="muted"> aggregate {value(ev.aggregateScore)}</span>
            )}
          </h4>
          {ev.error !== null && (
            <p class="error">
              error: {ev.error}
              {ev.attempts !== undefined && ` (attempts: ${text(ev.attempts)})`}
            </p>
          )}
          {ev.metrics.length > 0 && (
            <table class="grid compact">
              <thead>
                <tr>
                  <th>metric</th>
                  <th class="num">score</th>
                  <th>verdict</th>
                  <th class="num">threshold</th>
                  <th>explanation</th>
                </tr>
              </thead>
              <tbody>
                {ev.metrics.map((m) => (
                  <tr key={m.name}>
                    <th scope="row" title={m.path}>
                      {m.name}
                    </th>
                    <Score row={m} />
                    <td>{m.success === null ? '–' : <Verdict passed={m.success} />}</td>
                    <td class="num">{m.threshold ? thresholdText(m.threshold) : '–'}</td>
                    <td>
                      {m.explanations.length === 0 && m.other.length === 0 && (
                        <span class="muted">–</span>
                      )}
                      {m.explanations.map(([k, v]) => (
                        <pre key={k} class="text" title={k}>
                          {text(v)}
                        </pre>
                      ))}
                      {m.other.map(([k, v]) => (
                        <div key={k} class="muted">
                          {k}: {text(v)}
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <Explanations items={ev.explanations} />
          {ev.other.length > 0 && (
            <ul class="other">
              {ev.other.map(([k, v]) => (
                <li key={k}>
                  {k}: {text(v)}
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
    </>
  );
}
