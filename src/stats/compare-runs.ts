/**
 * Two runs compared sample by sample (shared/spec/statistics.md): results paired by `sampleId`,
 * repetitions averaged per sample first, samples in one run only reported as a coverage gap (a
 * missing case is not a passing case), every metric with its paired difference and interval, and
 * pass/fail metrics with McNemar's exact test.
 */
import { sampleField } from '../tracker/sample-texts.js';
import type { ResultRecord } from '../types.js';
import { mcnemarExact, pairedBootstrap, pairedBootstraps, seedFrom } from './statistics.js';
import type { McNemar, PairedDifference, Pairs } from './statistics.js';

/** One metric of both runs, over the samples they share. */
export interface MetricComparison {
  metric: string;
  /** `pass/fail` when every value is a boolean or 0/1. */
  kind: 'pass/fail' | 'score';
  n: number;
  baselineMean: number | null;
  candidateMean: number | null;
  difference: PairedDifference;
  mcnemar: McNemar | null;
}

/** A sample whose pass/fail outcome changed. */
export interface SampleChange {
  sampleId: string;
  input: unknown;
  baselineOutput: unknown;
  candidateOutput: unknown;
}

export interface RunComparison {
  matched: number;
  /** Samples in the baseline only, and in the candidate only: the coverage gap. */
  onlyBaseline: string[];
  onlyCandidate: string[];
  metrics: MetricComparison[];
  /** The pass/fail metric regressions are counted on. */
  passMetric: string | null;
  regressions: SampleChange[];
  improvements: SampleChange[];
  unchanged: number;
}

interface SampleValues {
  first: ResultRecord;
  sums: Map<string, { total: number; count: number; binary: boolean }>;
}

function bySample(records: readonly ResultRecord[]): Map<string, SampleValues> {
  const samples = new Map<string, SampleValues>();
  for (const r of records) {
    let s = samples.get(r.sampleId);
    if (!s) samples.set(r.sampleId, (s = { first: r, sums: new Map() }));
    for (const [name, value] of Object.entries(r.values)) {
      const x = typeof value === 'boolean' ? Number(value) : value;
      if (typeof x !== 'number') continue;
      const acc = s.sums.get(name) ?? { total: 0, count: 0, binary: true };
      acc.total += x;
      acc.count++;
      acc.binary &&= x === 0 || x === 1;
      s.sums.set(name, acc);
    }
  }
  return samples;
}

/**
 * Compares `candidate` with `baseline`. `passMetric` names the pass/fail column regressions are
 * counted on (e.g. the runs' leaderboard column); when omitted, the first pass/fail metric.
 */
export function compareRuns(
  baseline: readonly ResultRecord[],
  candidate: readonly ResultRecord[],
  options: { passMetric?: string | null; resamples?: number; seed?: number } = {},
): RunComparison {
  const base = bySample(baseline);
  const cand = bySample(candidate);
  const shared = [...base.keys()].filter((id) => cand.has(id)).sort();
  const metricNames = new Set<string>();
  for (const id of shared)
    for (const name of base.get(id)?.sums.keys() ?? []) metricNames.add(name);
  const seed = options.seed ?? seedFrom(`${baseline[0]?.runId ?? ''}|${candidate[0]?.runId ?? ''}`);
  const paired: (Pairs & { metric: string; binary: boolean })[] = [];
  for (const metric of metricNames) {
    const b: number[] = [];
    const c: number[] = [];
    let binary = true;
    for (const id of shared) {
      const x = base.get(id)?.sums.get(metric);
      const y = cand.get(id)?.sums.get(metric);
      if (!x || !y) continue;
      b.push(x.total / x.count);
      c.push(y.total / y.count);
      binary &&= x.binary && y.binary && x.count === 1 && y.count === 1;
    }
    if (b.length > 0) paired.push({ metric, binary, baseline: b, candidate: c });
  }
  // Metrics every shared sample has (the usual case) share one set of bootstrap draws; the same
  // seed makes each interval what it would be on its own.
  const bootstrap = { seed, ...(options.resamples ? { resamples: options.resamples } : {}) };
  const complete = paired.filter((p) => p.baseline.length === shared.length);
  const differences = new Map(
    pairedBootstraps(complete, bootstrap).map((d, i) => [complete[i], d] as const),
  );
  const mean = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;
  const metrics: MetricComparison[] = paired.map((p) => {
    let mcnemar: McNemar | null = null;
    if (p.binary) {
      let regress = 0;
      let improve = 0;
      p.baseline.forEach((x, i) => {
        if (x === 1 && p.candidate[i] === 0) regress++;
        if (x === 0 && p.candidate[i] === 1) improve++;
      });
      mcnemar = mcnemarExact(regress, improve);
    }
    return {
      metric: p.metric,
      kind: p.binary ? 'pass/fail' : 'score',
      n: p.baseline.length,
      baselineMean: mean(p.baseline),
      candidateMean: mean(p.candidate),
      difference: differences.get(p) ?? pairedBootstrap(p.baseline, p.candidate, bootstrap),
      mcnemar,
    };
  });
  const passMetric =
    options.passMetric &&
    metrics.some((m) => m.metric === options.passMetric && m.kind === 'pass/fail')
      ? options.passMetric
      : (metrics.find((m) => m.kind === 'pass/fail')?.metric ?? null);
  const regressions: SampleChange[] = [];
  const improvements: SampleChange[] = [];
  let unchanged = 0;
  if (passMetric) {
    for (const id of shared) {
      const x = base.get(id)?.sums.get(passMetric);
      const y = cand.get(id)?.sums.get(passMetric);
      if (!x || !y) continue;
      // With repetitions, a sample passes when most of its tries do.
      const before = x.total / x.count >= 0.5;
      const after = y.total / y.count >= 0.5;
      const b = base.get(id)?.first as ResultRecord;
      const c = cand.get(id)?.first as ResultRecord;
      const change = {
        sampleId: id,
        input: sampleField(c.data, 'input'),
        baselineOutput: sampleField(b.data, 'output'),
        candidateOutput: sampleField(c.data, 'output'),
      };
      if (before && !after) regressions.push(change);
      else if (!before && after) improvements.push(change);
      else unchanged++;
    }
  }
  return {
    matched: shared.length,
    onlyBaseline: [...base.keys()].filter((id) => !cand.has(id)).sort(),
    onlyCandidate: [...cand.keys()].filter((id) => !base.has(id)).sort(),
    metrics,
    passMetric,
    regressions,
    improvements,
    unchanged,
  };
}
