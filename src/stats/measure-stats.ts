/**
 * Latency, tokens and cost read from a run's results (docs/statistics.md): exact where the run's
 * summary has a sketch (`show` and `gate` read the results anyway), and per sample for `compare`.
 */
import { costOf, latencyOf, tokensOf } from '../tracker/measures.js';
import type { ResultRecord, RunMeasures } from '../types.js';
import { nearestRank } from './statistics.js';
import type { PairedDifference, Pairs } from './statistics.js';

/**
 * A run's measures from its results, in the shape of {@link RunMeasures}, with p50 and p95 of the
 * task's latency exact ({@link nearestRank}, the definition the summary's sketch approximates
 * within 1%). `null` when no result recorded any.
 */
export function exactRunMeasures(
  records: readonly Pick<ResultRecord, 'measures'>[],
): RunMeasures | null {
  const latencies: number[] = [];
  let latencySum = 0;
  let tokens: NonNullable<RunMeasures['tokens']> | null = null;
  let cost: NonNullable<RunMeasures['cost']> | null = null;
  for (const r of records) {
    const latency = latencyOf(r.measures);
    if (latency !== undefined) {
      latencies.push(latency);
      latencySum += latency;
    }
    const used = tokensOf(r.measures);
    if (used) {
      tokens ??= { n: 0, inputTokens: 0, outputTokens: 0, totalTokens: 0 };
      tokens.n++;
      tokens.inputTokens += used.inputTokens;
      tokens.outputTokens += used.outputTokens;
      tokens.totalTokens += used.totalTokens;
    }
    const spent = costOf(r.measures);
    if (spent !== undefined) {
      cost ??= { n: 0, total: 0 };
      cost.n++;
      cost.total += spent;
    }
  }
  if (latencies.length === 0 && tokens === null && cost === null) return null;
  const sorted = Float64Array.from(latencies).sort();
  return {
    latency:
      sorted.length === 0
        ? null
        : {
            n: sorted.length,
            meanMs: latencySum / sorted.length,
            p50Ms: nearestRank(sorted, 0.5),
            p95Ms: nearestRank(sorted, 0.95),
            maxMs: sorted[sorted.length - 1] as number,
          },
    tokens,
    cost,
  };
}

/** Task latency or cost of both runs, per sample, over the samples they share. */
export interface MeasureComparison {
  /** Results of each run that recorded it (a run that recorded none is not compared). */
  recorded: { baseline: number; candidate: number };
  /** Means over the shared samples with it in both runs, each sample's trials averaged first. */
  baselineMean: number | null;
  candidateMean: number | null;
  /** candidate − baseline, paired bootstrap; `null` unless both runs recorded it. */
  difference: MeasureDifference | null;
}

/** A paired difference of latency or cost, where higher is worse. */
export interface MeasureDifference extends Omit<PairedDifference, 'significantDrop'> {
  /** The whole interval lies above zero: the candidate is slower, or costlier, beyond noise. */
  significantRise: boolean;
}

/** The task's latency (ms) and each sample's cost (task and evaluators), compared. */
export interface MeasureComparisons {
  latencyMs: MeasureComparison;
  cost: MeasureComparison;
}

const MEASURES = ['latencyMs', 'cost'] as const;
type MeasureName = (typeof MEASURES)[number];

/** Each measure's paired per-sample means, and what each run recorded. */
export interface MeasurePairs {
  recorded: Record<MeasureName, MeasureComparison['recorded']>;
  /** By measure, when both runs recorded it: the shared samples with it in both. */
  byMeasure: Partial<Record<MeasureName, Pairs>>;
  /** The same pairs, as a list. */
  pairs: Pairs[];
}

/** Each sample's mean task latency and mean cost over its results (trials) that recorded them. */
function sampleMeans(records: readonly Pick<ResultRecord, 'sampleId' | 'measures'>[]) {
  type Sum = { total: number; count: number };
  const sums = { latencyMs: new Map<string, Sum>(), cost: new Map<string, Sum>() };
  const recorded = { latencyMs: 0, cost: 0 };
  const add = (name: MeasureName, id: string, x: number | undefined): void => {
    if (x === undefined) return;
    recorded[name]++;
    const acc = sums[name].get(id);
    if (acc) {
      acc.total += x;
      acc.count++;
    } else sums[name].set(id, { total: x, count: 1 });
  };
  for (const r of records) {
    add('latencyMs', r.sampleId, latencyOf(r.measures));
    add('cost', r.sampleId, costOf(r.measures));
  }
  const mean = (name: MeasureName, id: string): number | undefined => {
    const acc = sums[name].get(id);
    return acc && acc.total / acc.count;
  };
  return { mean, recorded };
}

/**
 * The task latency and cost of the `shared` samples, paired as a comparison pairs a metric: each
 * sample's trials averaged first, samples without the measure in both runs left out. A measure
 * only one run recorded is not paired.
 */
export function pairMeasures(
  baseline: readonly Pick<ResultRecord, 'sampleId' | 'measures'>[],
  candidate: readonly Pick<ResultRecord, 'sampleId' | 'measures'>[],
  shared: readonly string[],
): MeasurePairs {
  const base = sampleMeans(baseline);
  const cand = sampleMeans(candidate);
  const out: MeasurePairs = {
    recorded: {
      latencyMs: { baseline: base.recorded.latencyMs, candidate: cand.recorded.latencyMs },
      cost: { baseline: base.recorded.cost, candidate: cand.recorded.cost },
    },
    byMeasure: {},
    pairs: [],
  };
  for (const name of MEASURES) {
    if (out.recorded[name].baseline === 0 || out.recorded[name].candidate === 0) continue;
    const pairs = { baseline: [] as number[], candidate: [] as number[] };
    for (const id of shared) {
      const x = base.mean(name, id);
      const y = cand.mean(name, id);
      if (x === undefined || y === undefined) continue;
      pairs.baseline.push(x);
      pairs.candidate.push(y);
    }
    out.byMeasure[name] = pairs;
    out.pairs.push(pairs);
  }
  return out;
}

const rise = ({ significantDrop: _, ...d }: PairedDifference): MeasureDifference => ({
  ...d,
  significantRise: d.interval !== null && d.interval.low > 0,
});

/** The comparison of each measure, with `differenceOf` its pairs (the comparison's bootstrap). */
export function compareMeasures(
  measures: MeasurePairs,
  differenceOf: (pairs: Pairs) => PairedDifference,
): MeasureComparisons {
  const mean = (xs: readonly number[]): number | null =>
    xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length;
  const one = (name: MeasureName): MeasureComparison => {
    const pairs = measures.byMeasure[name];
    return {
      recorded: measures.recorded[name],
      baselineMean: pairs ? mean(pairs.baseline) : null,
      candidateMean: pairs ? mean(pairs.candidate) : null,
      difference: pairs ? rise(differenceOf(pairs)) : null,
    };
  };
  return { latencyMs: one('latencyMs'), cost: one('cost') };
}
