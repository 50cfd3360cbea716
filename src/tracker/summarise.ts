/** Summary evaluators: run-level numbers from all of a run's results, merged into its summary. */
import { EvaltrackError } from '../errors.js';
import type { EvaluationOutput, MetricInput, ResultRecord, SummaryEvaluator } from '../types.js';
import { isPlainRecord, setOwn } from './check-input.js';
import { unflattenValues } from './flatten-result.js';
import { assertJsonable } from './python-format.js';

/** A run's results and samples so far, as summary evaluators take them. */
export interface RunSummaryInputs {
  results: EvaluationOutput[];
  data: MetricInput[];
}

/**
 * What the summary evaluators say of a run's results, merged in their order; a typed error when
 * one throws or returns something else than an object (the results are stored by then).
 */
export function summarise(
  evaluators: readonly SummaryEvaluator[],
  runId: string,
  inputs: RunSummaryInputs,
): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const evaluator of evaluators) {
    let out: unknown;
    try {
      out = evaluator(inputs.results, inputs.data);
    } catch (cause) {
      throw new EvaltrackError(
        'E_SUMMARY_EVALUATOR_FAILED',
        `summary evaluator ${evaluator.name || '(anonymous)'} threw for run ${runId}; the results are stored`,
        { cause },
      );
    }
    if (!isPlainRecord(out)) {
      throw new EvaltrackError(
        'E_SUMMARY_EVALUATOR_FAILED',
        `summary evaluator ${evaluator.name || '(anonymous)'} must return an object`,
      );
    }
    assertJsonable(out, `summary evaluator ${evaluator.name || '(anonymous)'}`);
    for (const key of Object.keys(out)) setOwn(summary, key, out[key]);
  }
  return summary;
}

/** A run's results as summary evaluators take them (outputs rebuilt from columns when not kept). */
export async function readSummaryInputs(
  records: AsyncIterable<ResultRecord>,
): Promise<RunSummaryInputs> {
  const inputs: RunSummaryInputs = { results: [], data: [] };
  for await (const r of records) {
    inputs.results.push(r.evaluationResult ?? unflattenValues(r.values));
    inputs.data.push(r.data);
  }
  return inputs;
}
