/**
 * Two runs compared sample by sample (docs/statistics.md): results paired by `sampleId`,
 * repetitions averaged per sample first, every metric with its paired difference and interval,
 * pass/fail metrics with McNemar's exact test. Nothing missing is silently left out: samples in one run only (the
 * coverage gap), results an evaluator failed to judge, results without a value on the deciding
 * metric, and samples whose input or expected answer changed are each counted and listed.
 */
import { EvaltrackError } from '../errors.js';
import { isPassFail, majorityPassed, outcomeOf, resultError } from '../tracker/sample-outcome.js';
import { sampleField, sampleTexts } from '../tracker/sample-texts.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { compareMeasures, pairMeasures } from './measure-stats.js';
import type { MeasureComparisons } from './measure-stats.js';
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

/** A sample one of whose results an evaluator failed to judge, with the first error. */
export interface SampleError {
  sampleId: string;
  error: string;
}

/** What each run holds that the comparison could not use. */
export interface Gaps {
  /** Samples with a result an evaluator failed to judge. */
  errors: SampleError[];
  /** Samples with no value on the deciding metric (and no error): not scored. */
  unscored: string[];
}

export interface RunComparison {
  /** The metric regressions are decided on (named in every verdict). */
  metric: string;
  /** Whether samples have a pass/fail verdict on it, so regressions can be counted. */
  hasVerdicts: boolean;
  /** Samples in both runs, with the same input and expected answer. */
  matched: number;
  /** Of those, the samples with a value on the deciding metric in both runs: what was compared. */
  paired: number;
  /** Samples in the baseline only, and in the candidate only: the coverage gap. */
  onlyBaseline: string[];
  onlyCandidate: string[];
  /** Samples in both runs whose input or expected answer differ: left out of the pairing. */
  changedInputs: string[];
  baseline: Gaps;
  candidate: Gaps;
  metrics: MetricComparison[];
  regressions: SampleChange[];
  improvements: SampleChange[];
  /** Paired samples with a verdict in both runs that did not change. */
  unchanged: number;
  /** The task's latency (ms) and each sample's cost, compared when both runs recorded them. */
  measures: MeasureComparisons;
}

interface SampleValues {
  first: ResultRecord;
  sums: Map<string, { total: number; count: number; binary: boolean }>;
  /** Tries with a verdict on the deciding metric, and those that passed. */
  verdicts: number;
  passes: number;
  scored: boolean;
  error: string | null;
}

function bySample(
  records: readonly ResultRecord[],
  metric: string,
  passFail: boolean,
): Map<string, SampleValues> {
  const samples = new Map<string, SampleValues>();
  for (const r of records) {
    let s = samples.get(r.sampleId);
    if (!s) {
      s = { first: r, sums: new Map(), verdicts: 0, passes: 0, scored: false, error: null };
      samples.set(r.sampleId, s);
    }
    for (const [name, value] of Object.entries(r.values)) {
      const x = typeof value === 'boolean' ? Number(value) : value;
      if (typeof x !== 'number') continue;
      const acc = s.sums.get(name) ?? { total: 0, count: 0, binary: true };
      acc.total += x;
      acc.count++;
      acc.binary &&= x === 0 || x === 1;
      s.sums.set(name, acc);
    }
    const outcome = outcomeOf(r.values, metric, passFail);
    if (outcome.score !== null) s.scored = true;
    if (outcome.passed !== null) {
      s.verdicts++;
      if (outcome.passed) s.passes++;
    }
    s.error ??= resultError(r);
  }
  return samples;
}

function gapsOf(samples: Map<string, SampleValues>): Gaps {
  const errors: SampleError[] = [];
  const unscored: string[] = [];
  for (const [id, s] of [...samples].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (s.error !== null) errors.push({ sampleId: id, error: s.error });
    else if (!s.scored) unscored.push(id);
  }
  return { errors, unscored };
}

const sameTexts = (a: ResultRecord, b: ResultRecord): boolean => {
  const x = sampleTexts(a);
  const y = sampleTexts(b);
  return x.input === y.input && x.expected === y.expected;
};

/** Options of {@link compareRuns}. */
export interface CompareOptions {
  /** The column regressions are decided on, e.g. the candidate's leaderboard column. */
  metric: string;
  resamples?: number;
  seed?: number;
}

/** Compares `candidate` with `baseline`, deciding regressions on `options.metric`. */
export function compareRuns(
  baseline: readonly ResultRecord[],
  candidate: readonly ResultRecord[],
  options: CompareOptions,
): RunComparison {
  const { metric } = options;
  // Pass/fail in both runs together: a 0 of a score that is 0.5 elsewhere is not a failure.
  const passFail = isPassFail([...baseline, ...candidate], metric);
  const base = bySample(baseline, metric, passFail);
  const cand = bySample(candidate, metric, passFail);
  const changedInputs: string[] = [];
  const shared: string[] = [];
  for (const id of [...base.keys()].filter((k) => cand.has(k)).sort()) {
    const b = base.get(id) as SampleValues;
    const c = cand.get(id) as SampleValues;
    (sameTexts(b.first, c.first) ? shared : changedInputs).push(id);
  }
  const metricNames = new Set<string>();
  for (const id of shared)
    for (const name of base.get(id)?.sums.keys() ?? []) metricNames.add(name);
  const seed = options.seed ?? seedFrom(`${baseline[0]?.runId ?? ''}|${candidate[0]?.runId ?? ''}`);
  const paired: (Pairs & { metric: string; binary: boolean })[] = [];
  for (const name of metricNames) {
    const b: number[] = [];
    const c: number[] = [];
    let binary = true;
    for (const id of shared) {
      const x = base.get(id)?.sums.get(name);
      const y = cand.get(id)?.sums.get(name);
      if (!x || !y) continue;
      b.push(x.total / x.count);
      c.push(y.total / y.count);
      binary &&= x.binary && y.binary && x.count === 1 && y.count === 1;
    }
    if (b.length > 0) paired.push({ metric: name, binary, baseline: b, candidate: c });
  }
  const measurePairs = pairMeasures(baseline, candidate, shared);
  // Metrics (and measures) every shared sample has (the usual case) share one set of bootstrap
  // draws; the same seed makes each interval what it would be on its own.
  const bootstrap = { seed, ...(options.resamples ? { resamples: options.resamples } : {}) };
  const complete = [...paired, ...measurePairs.pairs].filter(
    (p) => p.baseline.length === shared.length,
  );
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
  const regressions: SampleChange[] = [];
  const improvements: SampleChange[] = [];
  let unchanged = 0;
  let hasVerdicts = false;
  let pairedOnMetric = 0;
  for (const id of shared) {
    const b = base.get(id) as SampleValues;
    const c = cand.get(id) as SampleValues;
    hasVerdicts ||= b.verdicts > 0 || c.verdicts > 0;
    if (b.scored && c.scored) pairedOnMetric++;
    const before = majorityPassed(b.passes, b.verdicts);
    const after = majorityPassed(c.passes, c.verdicts);
    if (before === null || after === null) continue;
    const change = {
      sampleId: id,
      input: sampleField(c.first.data, 'input'),
      baselineOutput: sampleField(b.first.data, 'output'),
      candidateOutput: sampleField(c.first.data, 'output'),
    };
    if (before && !after) regressions.push(change);
    else if (!before && after) improvements.push(change);
    else unchanged++;
  }
  return {
    metric,
    hasVerdicts,
    matched: shared.length,
    paired: pairedOnMetric,
    onlyBaseline: [...base.keys()].filter((id) => !cand.has(id)).sort(),
    onlyCandidate: [...cand.keys()].filter((id) => !base.has(id)).sort(),
    changedInputs,
    baseline: gapsOf(base),
    candidate: gapsOf(cand),
    metrics,
    regressions,
    improvements,
    unchanged,
    measures: compareMeasures(
      measurePairs,
      (p) => differences.get(p) ?? pairedBootstrap(p.baseline, p.candidate, bootstrap),
    ),
  };
}

/**
 * Refuses to compare runs of different datasets (their sample ids name different samples) unless
 * the caller allows it.
 */
export function assertComparable(
  baseline: Pick<RunSummary, 'runId' | 'datasetName'>,
  candidate: Pick<RunSummary, 'runId' | 'datasetName'>,
  allowDifferentDatasets = false,
): void {
  if (allowDifferentDatasets || baseline.datasetName === candidate.datasetName) return;
  throw new EvaltrackError(
    'E_NOT_COMPARABLE',
    `${baseline.runId} is a run of dataset ${JSON.stringify(baseline.datasetName)} and ` +
      `${candidate.runId} of ${JSON.stringify(candidate.datasetName)}: their samples are not the same ` +
      `(allow it with --allow-different-datasets)`,
  );
}
