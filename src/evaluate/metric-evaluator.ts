/**
 * Turns plain metrics (an autoevals scorer, or any function returning `{ score }`) into an
 * evaluator with gllm-evals' output shape and rules: each metric's `success` against its
 * threshold and polarity, `aggregate_score` the polarity-aware mean, `aggregate_success` true only
 * when every metric passes.
 */
import { InvalidInputError } from '../errors.js';
import type { EvaluationOutput, MetricInput } from '../types.js';

/**
 * What a metric returns: a score in [0, 1] (autoevals' `Score` has this shape). `null` means the
 * metric did not score the sample (autoevals does this when it cannot judge): the metric is kept
 * as not scored, left out of the means, and the sample has no pass/fail verdict from it.
 */
export interface MetricScore {
  score: number | null;
  /** Why, when the metric says; autoevals puts it in `metadata.rationale` for LLM scorers. */
  explanation?: string;
  metadata?: Record<string, unknown>;
}

/**
 * The arguments a metric is called with: the sample's own fields, plus `input`, `output` and
 * `expected` (autoevals' names) taken from `input`/`query`, `actual_output`/`generated_response`
 * and `expected_output`/`expected_response`.
 */
export type MetricArgs = MetricInput & { input?: unknown; output?: unknown; expected?: unknown };

/**
 * A metric: `Levenshtein` from autoevals, or `({ output, expected }) => ({ score })`. Declared as
 * a method so that scorers typing their arguments more narrowly (autoevals' `output: string`) fit.
 */
export type Metric = {
  bivarianceHack(args: MetricArgs): MetricScore | Promise<MetricScore>;
}['bivarianceHack'];

/** A metric with the threshold it must meet and its polarity. */
export interface MetricSpec {
  metric: Metric;
  /** @default 0.5 */
  threshold?: number;
  /** `false` for metrics where lower is better (redundancy, toxicity). @default true */
  higherIsBetter?: boolean;
}

/** What `evaluate()` gives an evaluator beside the sample. */
export interface EvaluatorContext {
  /** Aborts when the call times out or the evaluation stops: pass it to your LLM client. */
  signal: AbortSignal;
}

/** An evaluator: gives a sample its evaluation output, `{ <name>: { ... } }`. */
export type Evaluator = (
  sample: MetricInput,
  context?: EvaluatorContext,
) => EvaluationOutput | Promise<EvaluationOutput>;

const title = (name: string): string =>
  name.charAt(0).toUpperCase() + name.slice(1).replaceAll('_', ' ');

/**
 * An evaluator named `name` that runs `metrics` on each sample.
 *
 * ```ts
 * import { Levenshtein } from 'autoevals';
 * const lexical = metricEvaluator('lexical', {
 *   levenshtein: { metric: Levenshtein, threshold: 0.6 },
 *   length_ratio: ({ output, expected }) => ({ score: Math.min(1, String(output).length / String(expected).length) }),
 * });
 * ```
 */
export function metricEvaluator(
  name: string,
  metrics: Record<string, Metric | MetricSpec>,
): Evaluator {
  if (typeof name !== 'string' || name === '') {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      'the evaluator name must be a non-empty string',
    );
  }
  const specs = Object.entries(metrics).map(([metricName, m]) => {
    const spec: MetricSpec = typeof m === 'function' ? { metric: m } : m;
    if (typeof spec?.metric !== 'function') {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `metric ${JSON.stringify(metricName)} of evaluator ${JSON.stringify(name)} must be a function or { metric }`,
      );
    }
    return {
      name: metricName,
      metric: spec.metric,
      threshold: spec.threshold ?? 0.5,
      higherIsBetter: spec.higherIsBetter ?? true,
    };
  });
  const evaluator: Evaluator = async (sample) => {
    const args: MetricArgs = {
      ...sample,
      input: sample['input'] ?? sample['query'],
      output: sample['actual_output'] ?? sample['generated_response'],
      expected: sample['expected_output'] ?? sample['expected_response'],
    };
    const block: Record<string, unknown> = {};
    const failed: string[] = [];
    const unscored: string[] = [];
    let sum = 0;
    let scored = 0;
    for (const spec of specs) {
      const out = await spec.metric(args);
      const score = out?.score;
      if (score !== null && (typeof score !== 'number' || !Number.isFinite(score))) {
        throw new InvalidInputError(
          'E_NON_FINITE_SCORE',
          `metric ${spec.name} of evaluator ${name} returned score ${String(score)}; expected a finite number or null (not scored)`,
        );
      }
      const rationale = out.explanation ?? out.metadata?.['rationale'];
      const explanation = typeof rationale === 'string' ? rationale : null;
      if (score === null) {
        unscored.push(title(spec.name));
        block[spec.name] = {
          score: null,
          success: null,
          threshold: spec.threshold,
          higher_is_better: spec.higherIsBetter,
          explanation,
        };
        continue;
      }
      const success = spec.higherIsBetter ? score >= spec.threshold : score <= spec.threshold;
      block[spec.name] = {
        score,
        success,
        threshold: spec.threshold,
        higher_is_better: spec.higherIsBetter,
        explanation,
      };
      scored++;
      sum += spec.higherIsBetter ? score : 1 - score;
      if (!success) {
        failed.push(
          `${failed.length + 1}. ${title(spec.name)} is ${score} (should be ${spec.higherIsBetter ? '>=' : '<='} ${spec.threshold})`,
        );
      }
    }
    // A metric that did not score leaves the verdict open unless another one failed: a sample is
    // never passed on scores it does not have.
    const success = failed.length > 0 ? false : unscored.length > 0 || scored === 0 ? null : true;
    const notes = [
      ...(failed.length > 0
        ? [`The following metrics failed to meet expectations:\n${failed.join('\n')}`]
        : []),
      ...(unscored.length > 0 ? [`Not scored: ${unscored.join(', ')}.`] : []),
    ];
    return {
      [name]: {
        aggregate_score: scored === 0 ? null : sum / scored,
        aggregate_success: success,
        aggregate_explanation:
          success === true ? 'All metrics met the expected values.' : notes.join('\n'),
        ...block,
      },
    };
  };
  Object.defineProperty(evaluator, 'name', { value: name });
  return evaluator;
}
