/** The comparison of two runs named on the command line, as `compare` and `gate` make it. */
import { assertComparable, compareRuns } from '../stats/compare-runs.js';
import type { RunComparison } from '../stats/compare-runs.js';
import { exactRunMeasures } from '../stats/measure-stats.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { ResultRecord, RunMeasures, RunSummary } from '../types.js';
import { chooseMetric } from './choose-metric.js';
import { UsageError, bare } from './command.js';
import type { Context } from './command.js';
import { findRun, runRecords } from './find-run.js';

/** A comparison, with the ids of the two runs the names resolved to. */
export type NamedRunComparison = RunComparison & {
  baselineRun: string;
  candidateRun: string;
  /** Results in each run. */
  resultCounts: { baseline: number; candidate: number };
  /** Each run's latency (p50 and p95 exact), tokens and cost, from its results. */
  runMeasures: { baseline: RunMeasures | null; candidate: RunMeasures | null };
};

/** A comparison with the runs and results it was made from, for commands that show more of it. */
export interface LoadedComparison {
  comparison: NamedRunComparison;
  baselineSummary: RunSummary;
  candidateSummary: RunSummary;
  baselineRecords: ResultRecord[];
  candidateRecords: ResultRecord[];
}

/**
 * Compares the runs named by the two positionals (baseline, candidate) on the metric
 * {@link chooseMetric} picks. Runs of different datasets are a usage error unless
 * `--allow-different-datasets`.
 */
export async function compareNamedRuns(
  tracker: BaseExperimentTracker,
  positionals: string[],
  values: Context['values'],
): Promise<NamedRunComparison> {
  return (await loadComparison(tracker, positionals, values)).comparison;
}

/**
 * {@link compareNamedRuns}, with the two runs' summaries and results; `keep` maps each result as
 * it is read (the report keeps only what it shows).
 */
export async function loadComparison(
  tracker: BaseExperimentTracker,
  positionals: string[],
  values: Context['values'],
  keep?: (record: ResultRecord) => ResultRecord,
): Promise<LoadedComparison> {
  const [baselineName, candidateName] = positionals;
  if (!baselineName || !candidateName)
    throw new UsageError('give a baseline run and a candidate run');
  const baselineRun = await findRun(tracker, baselineName, values);
  const candidateRun = await findRun(tracker, candidateName, values);
  const baselineId = baselineRun.runId;
  const candidateId = candidateRun.runId;
  try {
    assertComparable(baselineRun, candidateRun, values['allow-different-datasets'] === true);
  } catch (e) {
    throw new UsageError(bare(e));
  }
  const baseline = await runRecords(tracker, baselineId, keep);
  const candidate = await runRecords(tracker, candidateId, keep);
  const metric = chooseMetric(values, [candidateRun, baselineRun], [...baseline, ...candidate]);
  return {
    comparison: {
      baselineRun: baselineId,
      candidateRun: candidateId,
      ...compareRuns(baseline, candidate, { metric }),
      resultCounts: { baseline: baseline.length, candidate: candidate.length },
      runMeasures: {
        baseline: exactRunMeasures(baseline),
        candidate: exactRunMeasures(candidate),
      },
    },
    baselineSummary: baselineRun,
    candidateSummary: candidateRun,
    baselineRecords: baseline,
    candidateRecords: candidate,
  };
}
