/**
 * How the dashboard names a metric column and reads a score against its threshold, shared by the
 * server (the run's summary) and the browser (grid headers, the sample view).
 */

import { verdictColumn } from '../tracker/sample-outcome.js';

/**
 * Whether a metric shows as a pass/fail badge: pass/fail in the run (every value a boolean or 0/1)
 * and not a score with a verdict of its own beside it (that one stays a number, coloured).
 */
export const isVerdictColumn = (metric: string, passFail: boolean): boolean =>
  passFail && verdictColumn(metric) === null;

/** A threshold a score must meet, as its evaluator recorded it beside the score. */
export interface Threshold {
  threshold: number;
  /** `higher_is_better` as recorded; true when not recorded (gllm-evals' default). */
  higherIsBetter: boolean;
}

/**
 * A metric's evaluator (the first segment of its dotted name; '' when it has none) and its name
 * within the evaluator, shortened for a column header: `<m>.score` reads `<m>`, `<m>.success`
 * `<m> pass`, `aggregate_score` `aggregate`, `aggregate_success` `aggregate pass`.
 */
export function metricParts(metric: string): { evaluator: string; short: string } {
  const dot = metric.indexOf('.');
  if (dot <= 0 || dot === metric.length - 1) return { evaluator: '', short: metric };
  const rest = metric.slice(dot + 1);
  const short = rest
    .replace(/^aggregate_score$/, 'aggregate')
    .replace(/^aggregate_success$/, 'aggregate pass')
    .replace(/\.score$/, '')
    .replace(/\.success$/, ' pass');
  return { evaluator: metric.slice(0, dot), short: short || rest };
}

/** `metrics` with each evaluator's together, evaluators in first-seen order (the grid's order). */
export function byEvaluator(metrics: readonly string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const m of metrics) {
    const { evaluator } = metricParts(m);
    const group = groups.get(evaluator);
    if (group) group.push(m);
    else groups.set(evaluator, [m]);
  }
  return [...groups.values()].flat();
}

/** Whether `score` meets `t`: at least the threshold, or at most it when lower is better. */
export const meets = (score: number, t: Threshold): boolean =>
  t.higherIsBetter ? score >= t.threshold : score <= t.threshold;

/** `≥ 0.5` (or `≤ 0.5` when lower is better). */
export const thresholdText = (t: Threshold): string =>
  `${t.higherIsBetter ? '≥' : '≤'} ${t.threshold}`;

/**
 * The threshold recorded for a score column `<path>.score` in an evaluator output (gllm-evals
 * writes `{ score, success, threshold, higher_is_better }` per metric), or null.
 */
export function thresholdIn(output: unknown, metric: string): Threshold | null {
  if (!metric.endsWith('.score')) return null;
  return thresholdOf(at(output, metric.slice(0, -'.score'.length)));
}

/** The value at a dotted `path` in `node`, its keys free to hold dots themselves. */
function at(node: unknown, path: string): unknown {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  for (const [key, child] of Object.entries(node)) {
    if (path === key) return child;
    if (path.startsWith(`${key}.`)) {
      const found = at(child, path.slice(key.length + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The `threshold` and `higher_is_better` of one metric's output block, or null. */
export function thresholdOf(block: unknown): Threshold | null {
  if (typeof block !== 'object' || block === null) return null;
  const { threshold, higher_is_better: higher } = block as Record<string, unknown>;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) return null;
  return { threshold, higherIsBetter: higher !== false && higher !== 0 };
}
