/** Logged results made ready for a store: checked, flattened, given ids and times. */
import type { EvaluationOutput, MetricInput } from '../types.js';
import { InvalidInputError } from '../errors.js';
import { checkRecord } from './check-input.js';
import { checkMeasures } from './measures.js';
import { firstEvaluatorName, flattenResult } from './flatten-result.js';
import { newResultId, sampleIdOf } from './ids.js';
import { assertJsonable } from './python-format.js';
import type { PreparedResult } from './result-store.js';
import type { ResolvedTrackerOptions } from './tracker-options.js';

let lastMs = -1;
let lastIso = '';
/** The current time as ISO-8601 UTC; formatted once per millisecond, however many results. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** What every result of one `log`/`logBatch` call shares. */
export interface PrepareContext {
  runId: string;
  datasetName: string;
  projectName: string;
  /**
   * Checked already: one object for every result, or one per result; `evaluator_name` and
   * `model_name` name the results.
   */
  metadata: Record<string, unknown> | readonly Record<string, unknown>[];
  options: ResolvedTrackerOptions;
  /** Whether error paths name positions in a batch (`evaluationResults[3]`). */
  batch: boolean;
  /** `options.measures` as given: one object (for `log`), or one entry per result. */
  measures: unknown;
}

/**
 * The results of one call, checked (bad input throws before anything is stored) and prepared:
 * columns by the score-key rules, a UUIDv7 result id, the sample id, the time.
 */
export function prepareResults(
  evaluationResults: readonly EvaluationOutput[],
  data: readonly MetricInput[],
  ctx: PrepareContext,
): PreparedResult[] {
  if (ctx.batch && ctx.measures !== undefined) {
    if (!Array.isArray(ctx.measures) || ctx.measures.length !== evaluationResults.length) {
      throw new InvalidInputError(
        'E_BATCH_LENGTH_MISMATCH',
        `options.measures must be an array with one entry (or null) per result: ${evaluationResults.length}; nothing was written`,
        'options.measures',
      );
    }
  }
  const prepared: PreparedResult[] = [];
  for (let i = 0; i < evaluationResults.length; i++) {
    const resultWhere = ctx.batch ? `evaluationResults[${i}]` : 'evaluationResult';
    const metadata = Array.isArray(ctx.metadata)
      ? (ctx.metadata[i] as Record<string, unknown>)
      : (ctx.metadata as Record<string, unknown>);
    const evaluatorMeta = metadata['evaluator_name'];
    const modelMeta = metadata['model_name'];
    const dataWhere = ctx.batch ? `data[${i}]` : 'data';
    const result = checkRecord(evaluationResults[i], resultWhere);
    const sample = checkRecord(data[i], dataWhere);
    // flattenResult also checks that JSON can hold the whole result.
    const columns = flattenResult(result, ctx.options, resultWhere);
    assertJsonable(sample, dataWhere);
    const measures = ctx.batch
      ? checkMeasures((ctx.measures as unknown[] | undefined)?.[i], `options.measures[${i}]`)
      : checkMeasures(ctx.measures, 'options.measures');
    prepared.push({
      resultId: newResultId(),
      sampleId: sampleIdOf(sample),
      runId: ctx.runId,
      datasetName: ctx.datasetName,
      projectName: ctx.projectName,
      timestamp: isoNow(),
      evaluatorName:
        typeof evaluatorMeta === 'string' && evaluatorMeta !== ''
          ? evaluatorMeta
          : (firstEvaluatorName(result) ?? 'unknown'),
      modelName: typeof modelMeta === 'string' && modelMeta !== '' ? modelMeta : 'unknown',
      columns,
      data: sample,
      metadata,
      evaluationResult: result,
      keepEvaluationResult: ctx.options.includeEvalResult,
      measures,
    });
  }
  return prepared;
}
