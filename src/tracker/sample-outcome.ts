/**
 * What one result says on one metric, written once for `runs`, `show`, `compare`, `gate`, the
 * dashboard and the leaderboard's pass rate: its score, whether it passed, and whether an
 * evaluator failed to judge it.
 */
import type { FlatValue, ResultRecord, RunSummary } from '../types.js';

/** One result on one metric. */
export interface Outcome {
  /** The metric's value as a number (booleans as 1/0); null when the result has none. */
  score: number | null;
  /**
   * Whether the result passed on the metric: the verdict the evaluator gave beside it
   * (`<path>.success` for `<path>.score`, `<evaluator>.aggregate_success` for
   * `<evaluator>.aggregate_score`), else the metric itself when it is pass/fail (every value of it
   * in the run a boolean or 0/1); null when neither says.
   */
  passed: boolean | null;
}

/**
 * The metric a run is judged on unless one is chosen: its leaderboard column (the first column
 * matching `leaderboardScoreKey`, `generation.aggregate_success` with the gllm-evals defaults).
 */
export function defaultMetric(run: Pick<RunSummary, 'scoreColumn'> | undefined): string | null {
  return run?.scoreColumn ?? null;
}

/** The column holding a metric's own pass/fail verdict, when it is not pass/fail itself. */
export function verdictColumn(metric: string): string | null {
  if (metric.endsWith('.aggregate_score')) return `${metric.slice(0, -'score'.length)}success`;
  if (metric === 'score' || metric.endsWith('.score')) return `${metric.slice(0, -5)}success`;
  return null;
}

const asNumber = (v: FlatValue | undefined): number | null =>
  typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : null;

const asVerdict = (v: FlatValue | undefined): boolean | null => {
  const x = asNumber(v);
  return x === 0 || x === 1 ? x === 1 : null;
};

/**
 * Whether `metric` is pass/fail in `records`: it has a value in one at least, and every value is a
 * boolean or 0/1 (as the leaderboard's `scorePassFail`).
 */
export function isPassFail(
  records: Iterable<Pick<ResultRecord, 'values'>>,
  metric: string,
): boolean {
  let seen = false;
  for (const r of records) {
    const v = r.values[metric];
    if (v === undefined) continue;
    if (asVerdict(v) === null) return false;
    seen = true;
  }
  return seen;
}

/**
 * What `values` (one result's columns) say on `metric`; `passFail` tells whether the metric is
 * pass/fail in the run (see {@link isPassFail}), so that a 0 of a continuous score is not a failure.
 */
export function outcomeOf(
  values: Readonly<Record<string, FlatValue>>,
  metric: string,
  passFail: boolean,
): Outcome {
  const score = asNumber(values[metric]);
  if (score === null) return { score: null, passed: null };
  const verdict = verdictColumn(metric);
  const beside = verdict === null ? null : asVerdict(values[verdict]);
  return { score, passed: beside ?? (passFail ? asVerdict(values[metric]) : null) };
}

/**
 * The error an evaluator recorded instead of judging the result (`evaluate()` logs a failed
 * evaluator as `{ <evaluator>: { error, attempts } }`), or null. Read from the stored evaluator
 * output; a store kept without it (`includeEvalResult: false`) shows such a result as not scored.
 */
export function resultError(record: Pick<ResultRecord, 'evaluationResult'>): string | null {
  const output = record.evaluationResult;
  if (!output) return null;
  for (const [evaluator, block] of Object.entries(output)) {
    if (typeof block !== 'object' || block === null || Array.isArray(block)) continue;
    const error = (block as Record<string, unknown>)['error'];
    if (typeof error === 'string' && error !== '') return `${evaluator}: ${error}`;
  }
  return null;
}

/**
 * Whether a sample tried several times passed: a majority of its tries with a verdict passed (a
 * tie is not a majority, so 1 of 2 fails); null when no try has a verdict.
 */
export function majorityPassed(passes: number, verdicts: number): boolean | null {
  return verdicts === 0 ? null : passes * 2 > verdicts;
}

/** The metrics (columns) that hold numbers or booleans in any of `records`, in column order. */
export function metricsOf(records: Iterable<Pick<ResultRecord, 'values'>>): string[] {
  const seen = new Set<string>();
  for (const r of records) {
    for (const [name, v] of Object.entries(r.values)) {
      if (typeof v !== 'string') seen.add(name);
    }
  }
  return [...seen];
}
