/**
 * Latency, tokens and cost: checked when logged, folded into a run's aggregate like its scores,
 * and read back as the run's {@link RunMeasures}. Written once for every store.
 */
import type ddsketch from '@datadog/sketches-js';
import { lazyRequire } from '../common/lazy-require.js';
import { InvalidInputError } from '../errors.js';
import type { ResultMeasures, RunMeasures, StepMeasures, TokenUsage } from '../types.js';
import { isPlainRecord, setOwn } from './check-input.js';

/** Relative accuracy of the latency quantiles: within 1% of the exact value. */
const RELATIVE_ACCURACY = 0.01;
// The sketch's mapping from a latency to its bin, and back: bins are kept as plain JSON counts,
// so that an aggregate folds one result in O(1), merges by adding, and stores as JSON anywhere.
const sketches = lazyRequire<typeof ddsketch>('@datadog/sketches-js');
let mapping: ddsketch.DDSketch['mapping'] | undefined;
const sketchMapping = () =>
  (mapping ??= new (sketches().DDSketch)({ relativeAccuracy: RELATIVE_ACCURACY }).mapping);

/** What a run keeps of its results' measures, enough to extend it one result at a time. */
export interface MeasureAggregate {
  /** Results with a task latency, their sum, extremes, and the sketch's bins (key: count). */
  latencyN: number;
  latencySumMs: number;
  latencyMinMs: number;
  latencyMaxMs: number;
  /** Latencies too small for a bin (0 ms). */
  latencyZeros: number;
  latencyBins: Record<string, number>;
  /** Results that reported tokens, and the sums. */
  tokensN: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Results that reported a cost, and the sum. */
  costN: number;
  costSum: number;
}

const STEP_KEYS = ['latencyMs', 'usage', 'cost'] as const;
const USAGE_KEYS = ['inputTokens', 'outputTokens', 'totalTokens'] as const;
const MEASURE_KEYS = ['trial', 'task', 'evaluators'] as const;

function refuse(where: string, what: string): never {
  throw new InvalidInputError('E_INVALID_ARGUMENT', `${where} ${what}`, where);
}

function onlyKeys(value: unknown, keys: readonly string[], where: string): Record<string, unknown> {
  if (!isPlainRecord(value)) refuse(where, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) refuse(`${where}.${key}`, `is not one of ${keys.join(', ')}`);
  }
  return value;
}

function amount(value: unknown, where: string, integer: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    refuse(where, `must be a finite number >= 0, got ${String(value)}`);
  if (integer && !Number.isInteger(value)) refuse(where, `must be an integer, got ${value}`);
  return value;
}

/** One step's measures (the task's, or an evaluator's), checked and copied with the known keys. */
export function checkStep(value: unknown, where: string): StepMeasures {
  const step = onlyKeys(value, STEP_KEYS, where);
  const out: StepMeasures = {};
  if (step['latencyMs'] !== undefined)
    out.latencyMs = amount(step['latencyMs'], `${where}.latencyMs`, false);
  if (step['usage'] !== undefined) {
    const usage = onlyKeys(step['usage'], USAGE_KEYS, `${where}.usage`);
    const checked: TokenUsage = {};
    for (const key of USAGE_KEYS)
      if (usage[key] !== undefined)
        checked[key] = amount(usage[key], `${where}.usage.${key}`, true);
    out.usage = checked;
  }
  if (step['cost'] !== undefined) out.cost = amount(step['cost'], `${where}.cost`, false);
  return out;
}

/**
 * A result's measures, checked (unknown keys, negative or non-finite numbers are refused) and
 * copied with only the known keys; `null` for none.
 */
export function checkMeasures(value: unknown, where: string): ResultMeasures | null {
  if (value === undefined || value === null) return null;
  const m = onlyKeys(value, MEASURE_KEYS, where);
  const out: ResultMeasures = {};
  if (m['trial'] !== undefined) out.trial = amount(m['trial'], `${where}.trial`, true);
  if (m['task'] !== undefined) out.task = checkStep(m['task'], `${where}.task`);
  if (m['evaluators'] !== undefined) {
    const given = m['evaluators'];
    if (!isPlainRecord(given)) refuse(`${where}.evaluators`, 'must be an object');
    const evaluators: Record<string, StepMeasures> = {};
    for (const [name, step] of Object.entries(given))
      setOwn(evaluators, name, checkStep(step, `${where}.evaluators.${name}`));
    out.evaluators = evaluators;
  }
  return out;
}

/** Every step of a result: the task first, then the evaluators. */
function stepsOf(m: ResultMeasures): StepMeasures[] {
  return [...(m.task ? [m.task] : []), ...Object.values(m.evaluators ?? {})];
}

/** The task's latency of a result, when measured. */
export const latencyOf = (m: ResultMeasures | null | undefined): number | undefined =>
  m?.task?.latencyMs;

/** What a result cost, task and evaluators together; `undefined` when no step reported a cost. */
export function costOf(m: ResultMeasures | null | undefined): number | undefined {
  let total: number | undefined;
  for (const step of m ? stepsOf(m) : [])
    if (step.cost !== undefined) total = (total ?? 0) + step.cost;
  return total;
}

/** The tokens of a result, task and evaluators together; `undefined` when none reported usage. */
export function tokensOf(m: ResultMeasures | null | undefined): Required<TokenUsage> | undefined {
  let total: Required<TokenUsage> | undefined;
  for (const step of m ? stepsOf(m) : []) {
    if (!step.usage) continue;
    total ??= { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    const input = step.usage.inputTokens ?? 0;
    const output = step.usage.outputTokens ?? 0;
    total.inputTokens += input;
    total.outputTokens += output;
    total.totalTokens += step.usage.totalTokens ?? input + output;
  }
  return total;
}

/** An aggregate with nothing folded in. */
export function emptyMeasureAggregate(): MeasureAggregate {
  return {
    latencyN: 0,
    latencySumMs: 0,
    latencyMinMs: 0,
    latencyMaxMs: 0,
    latencyZeros: 0,
    latencyBins: {},
    tokensN: 0,
    inputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    costN: 0,
    costSum: 0,
  };
}

/**
 * Folds one result's measures into a run's (mutating and returning it); a result without
 * measures leaves the aggregate as it is (absent stays absent).
 */
export function foldMeasures(
  agg: MeasureAggregate | undefined,
  m: ResultMeasures | null | undefined,
): MeasureAggregate | undefined {
  if (!m) return agg;
  const latency = latencyOf(m);
  const tokens = tokensOf(m);
  const cost = costOf(m);
  if (latency === undefined && tokens === undefined && cost === undefined) return agg;
  const a = agg ?? emptyMeasureAggregate();
  if (latency !== undefined) {
    a.latencyMinMs = a.latencyN === 0 ? latency : Math.min(a.latencyMinMs, latency);
    a.latencyN++;
    a.latencySumMs += latency;
    a.latencyMaxMs = Math.max(a.latencyMaxMs, latency);
    if (latency < sketchMapping().minPossible) a.latencyZeros++;
    else {
      const key = String(sketchMapping().key(latency));
      a.latencyBins[key] = (a.latencyBins[key] ?? 0) + 1;
    }
  }
  if (tokens) {
    a.tokensN++;
    a.inputTokens += tokens.inputTokens;
    a.outputTokens += tokens.outputTokens;
    a.totalTokens += tokens.totalTokens;
  }
  if (cost !== undefined) {
    a.costN++;
    a.costSum += cost;
  }
  return a;
}

/** Adds `delta` to `base` (results folded apart, later in the log). */
export function mergeMeasureAggregates(
  base: MeasureAggregate | undefined,
  delta: MeasureAggregate | undefined,
): MeasureAggregate | undefined {
  if (!delta) return base;
  const a = base ?? emptyMeasureAggregate();
  if (delta.latencyN > 0)
    a.latencyMinMs =
      a.latencyN === 0 ? delta.latencyMinMs : Math.min(a.latencyMinMs, delta.latencyMinMs);
  a.latencyN += delta.latencyN;
  a.latencySumMs += delta.latencySumMs;
  a.latencyMaxMs = Math.max(a.latencyMaxMs, delta.latencyMaxMs);
  a.latencyZeros += delta.latencyZeros;
  for (const [key, count] of Object.entries(delta.latencyBins))
    a.latencyBins[key] = (a.latencyBins[key] ?? 0) + count;
  a.tokensN += delta.tokensN;
  a.inputTokens += delta.inputTokens;
  a.outputTokens += delta.outputTokens;
  a.totalTokens += delta.totalTokens;
  a.costN += delta.costN;
  a.costSum += delta.costSum;
  return a;
}

/**
 * The rank (from 1) of the q-quantile of n values by nearest rank: ⌈q·n⌉, within 1..n. The one
 * definition of a latency percentile here, for the exact values and for the sketch alike.
 */
export function nearestRankOf(q: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n)));
}

/**
 * The latency at quantile `q` by nearest rank (the value of rank ⌈q·n⌉, as latency percentiles are
 * usually given: the p95 of 20 values is the 19th), read from the bins: within 1% of the exact
 * value, and never outside the smallest and largest latency seen.
 */
export function latencyQuantile(a: MeasureAggregate, q: number): number {
  const rank = nearestRankOf(q, a.latencyN);
  let seen = a.latencyZeros;
  let value = 0;
  if (seen < rank) {
    const keys = Object.keys(a.latencyBins)
      .map(Number)
      .sort((x, y) => x - y);
    for (const key of keys) {
      seen += a.latencyBins[String(key)] ?? 0;
      value = sketchMapping().value(key);
      if (seen >= rank) break;
    }
  }
  return Math.min(Math.max(value, a.latencyMinMs), a.latencyMaxMs);
}

/** The run's measures as people read them; `null` when nothing was measured. */
export function toRunMeasures(a: MeasureAggregate | undefined): RunMeasures | null {
  if (!a || (a.latencyN === 0 && a.tokensN === 0 && a.costN === 0)) return null;
  let latency: RunMeasures['latency'] = null;
  if (a.latencyN > 0) {
    latency = {
      n: a.latencyN,
      meanMs: a.latencySumMs / a.latencyN,
      p50Ms: latencyQuantile(a, 0.5),
      p95Ms: latencyQuantile(a, 0.95),
      maxMs: a.latencyMaxMs,
    };
  }
  return {
    latency,
    tokens:
      a.tokensN > 0
        ? {
            n: a.tokensN,
            inputTokens: a.inputTokens,
            outputTokens: a.outputTokens,
            totalTokens: a.totalTokens,
          }
        : null,
    cost: a.costN > 0 ? { n: a.costN, total: a.costSum } : null,
  };
}
