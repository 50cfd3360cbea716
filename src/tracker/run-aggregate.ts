/**
 * The leaderboard rules, written once: how results fold into a run's aggregates, and how those
 * aggregates read as a {@link RunSummary}. Stores keep the aggregates; they never recompute them
 * their own way.
 */
import type { FlatValue, ResultMeasures, RunSummary } from '../types.js';
import { foldMeasures, mergeMeasureAggregates, toRunMeasures } from './measures.js';
import type { MeasureAggregate } from './measures.js';
import type { RunPatch } from './result-store.js';
import { setOwn } from './check-input.js';
import { pyRound } from './python-format.js';

/** What a store keeps per run, enough to extend it one result at a time. */
export interface RunAggregate {
  runId: string;
  datasetName: string;
  projectName: string | null;
  evaluatorName: string;
  modelName: string;
  scoreColumn: string | null;
  totalData: number;
  /** Results that have the score column, and the sum of its values (booleans as 1/0). */
  scoredCount: number;
  scoreSum: number;
  /** The sum of the squared values, for the spread, and how many values are exactly 0 or 1. */
  scoreSumSq: number;
  scorePassFailCount: number;
  /** Results that carry `aggregate_success`, and those where every evaluator's is true. */
  accuracyTotal: number;
  accuracyPassed: number;
  createdAt: string | null;
  updatedAt: string | null;
  context: Record<string, unknown>;
  /** What summary evaluators returned last, merged after `accuracy`. */
  summaryExtra: Record<string, unknown>;
  /** Latency, tokens and cost; absent until a result with measures is folded in. */
  measures?: MeasureAggregate;
}

/** The part of a result the leaderboard looks at. */
export interface AggregateInput {
  runId: string;
  datasetName: string;
  projectName: string | null;
  evaluatorName: string;
  modelName: string;
  /** When the result was logged, as stored (naive local times from Python included). */
  timestamp: string;
  /** The result's columns in column order. */
  columns: Iterable<{ readonly name: string; readonly value: FlatValue }>;
  /** Latency, tokens, cost, when measured. */
  measures: ResultMeasures | null;
}

/** Whether `column` is the one `key` names: the exact dotted path, or a column whose last segment is `key`. */
export function matchesScoreKey(column: string, key: string): boolean {
  if (key.includes('.')) return column === key;
  return column === key || column.endsWith(`.${key}`);
}

const ACCURACY_SUFFIX = '.aggregate_success';

/** A value as a score: numbers as they are, booleans as 1/0, anything else is no score. */
export function asScore(v: FlatValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** Whether `name` is an evaluator's own `aggregate_success` (e.g. `generation.aggregate_success`). */
const isAccuracyColumn = (name: string): boolean =>
  name.endsWith(ACCURACY_SUFFIX) && name.indexOf('.') === name.length - ACCURACY_SUFFIX.length;

/** Whether an `aggregate_success` value counts as a pass: true, or a non-zero number. */
const isPass = (v: FlatValue | undefined): boolean => {
  const score = asScore(v);
  return score !== undefined && score !== 0;
};

/**
 * Pass/fail of one result as the leaderboard counts it: every evaluator's `aggregate_success`
 * passed; without those, the run's score column when it is pass/fail; else unknown (null).
 */
export function samplePassed(
  values: Readonly<Record<string, FlatValue>>,
  run: Pick<RunSummary, 'scoreColumn' | 'scorePassFail'>,
): boolean | null {
  let seen = false;
  for (const [name, v] of Object.entries(values)) {
    if (!isAccuracyColumn(name)) continue;
    if (!isPass(v)) return false;
    seen = true;
  }
  if (seen) return true;
  if (!run.scorePassFail || run.scoreColumn === null) return null;
  const v = values[run.scoreColumn];
  return v === undefined ? null : isPass(v);
}

/** An empty aggregate for a run that has no result yet (e.g. only a context). */
export function emptyAggregate(
  runId: string,
  datasetName: string,
  projectName: string | null,
): RunAggregate {
  return {
    runId,
    datasetName,
    projectName,
    evaluatorName: 'unknown',
    modelName: 'unknown',
    scoreColumn: null,
    totalData: 0,
    scoredCount: 0,
    scoreSum: 0,
    scoreSumSq: 0,
    scorePassFailCount: 0,
    accuracyTotal: 0,
    accuracyPassed: 0,
    createdAt: null,
    updatedAt: null,
    context: {},
    summaryExtra: {},
  };
}

const later = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : b > a ? b : a;
const earlier = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : b < a ? b : a;

/**
 * Folds one result into its run's aggregate (mutating and returning it). The run's score column
 * is fixed by the first result that has a column matching `leaderboardScoreKey`.
 */
export function foldResult(
  agg: RunAggregate | undefined,
  row: AggregateInput,
  leaderboardScoreKey: string,
): RunAggregate {
  const a = agg ?? emptyAggregate(row.runId, row.datasetName, row.projectName);
  if (a.totalData === 0) {
    a.evaluatorName = row.evaluatorName;
    a.modelName = row.modelName;
    a.projectName ??= row.projectName;
  }
  a.totalData++;
  let accuracyCount = 0;
  let accuracyAll = true;
  for (const { name, value } of row.columns) {
    if (a.scoreColumn === null && matchesScoreKey(name, leaderboardScoreKey)) a.scoreColumn = name;
    if (name === a.scoreColumn) {
      const score = asScore(value);
      if (score !== undefined) {
        a.scoredCount++;
        a.scoreSum += score;
        a.scoreSumSq += score * score;
        if (score === 0 || score === 1) a.scorePassFailCount++;
      }
    }
    if (isAccuracyColumn(name)) {
      accuracyCount++;
      accuracyAll &&= isPass(value);
    }
  }
  if (accuracyCount > 0) {
    a.accuracyTotal++;
    if (accuracyAll) a.accuracyPassed++;
  }
  // Only UTC times order correctly; Python's naive local times leave the run's times unknown.
  const loggedAt = row.timestamp.endsWith('Z') ? row.timestamp : null;
  a.createdAt = earlier(a.createdAt, loggedAt);
  a.updatedAt = later(a.updatedAt, loggedAt);
  const measures = foldMeasures(a.measures, row.measures);
  if (measures) a.measures = measures;
  return a;
}

/**
 * Adds `delta` (results folded on their own, later in the log) to `base`. Returns `null` when the
 * two picked different score columns, so the caller must fold those results again one by one.
 */
export function mergeAggregates(base: RunAggregate, delta: RunAggregate): RunAggregate | null {
  if (
    base.scoreColumn !== null &&
    delta.scoreColumn !== null &&
    base.scoreColumn !== delta.scoreColumn
  ) {
    return null;
  }
  if (base.totalData === 0) {
    base.evaluatorName = delta.evaluatorName;
    base.modelName = delta.modelName;
  }
  base.projectName ??= delta.projectName;
  base.scoreColumn ??= delta.scoreColumn;
  base.totalData += delta.totalData;
  base.scoredCount += delta.scoredCount;
  base.scoreSum += delta.scoreSum;
  base.scoreSumSq += delta.scoreSumSq;
  base.scorePassFailCount += delta.scorePassFailCount;
  base.accuracyTotal += delta.accuracyTotal;
  base.accuracyPassed += delta.accuracyPassed;
  base.createdAt = earlier(base.createdAt, delta.createdAt);
  base.updatedAt = later(base.updatedAt, delta.updatedAt);
  const measures = mergeMeasureAggregates(base.measures, delta.measures);
  if (measures) base.measures = measures;
  return base;
}

/** Applies a run-level change (`logContext`, summary evaluators, copies) to an aggregate, in place. */
export function applyPatch(run: RunAggregate, patch: RunPatch): RunAggregate {
  if (patch.context) run.context = { ...run.context, ...patch.context };
  if (patch.summary) run.summaryExtra = { ...patch.summary };
  run.projectName ??= patch.projectName;
  run.createdAt = earlier(run.createdAt, patch.createdAt ?? patch.at ?? null);
  run.updatedAt = later(run.updatedAt, patch.at ?? null);
  return run;
}

/** A deep copy, so a store can hand out or stage an aggregate without sharing it. */
export function cloneAggregate(a: RunAggregate): RunAggregate {
  return structuredClone(a);
}

/** The sample standard deviation of the run's scores, from its sums; `null` below two scores. */
function sampleStdDev(a: RunAggregate): number | null {
  const n = a.scoredCount;
  if (n < 2) return null;
  const mean = a.scoreSum / n;
  // Rounding can leave a tiny negative where the true spread is zero.
  return Math.sqrt(Math.max(0, (a.scoreSumSq - n * mean * mean) / (n - 1)));
}

/** The leaderboard row of a run. */
export function toRunSummary(a: RunAggregate): RunSummary {
  let evaluatorName = a.evaluatorName;
  // gllm-evals names the evaluator after the score column when results do not say.
  if (evaluatorName === 'unknown' && a.scoreColumn?.includes('.')) {
    evaluatorName = a.scoreColumn.slice(0, a.scoreColumn.indexOf('.'));
  }
  const summaryResult: Record<string, unknown> = {};
  if (a.accuracyTotal > 0)
    summaryResult['accuracy'] = pyRound(a.accuracyPassed / a.accuracyTotal, 2);
  for (const key of Object.keys(a.summaryExtra)) setOwn(summaryResult, key, a.summaryExtra[key]);
  return {
    runId: a.runId,
    datasetName: a.datasetName,
    evaluatorName,
    modelName: a.modelName,
    averageScore: a.scoredCount > 0 ? a.scoreSum / a.scoredCount : null,
    totalData: a.totalData,
    scoreColumn: a.scoreColumn,
    scoredCount: a.scoredCount,
    scoreStdDev: sampleStdDev(a),
    scorePassFail: a.scoredCount > 0 && a.scorePassFailCount === a.scoredCount,
    successCount: a.accuracyPassed,
    successTotal: a.accuracyTotal,
    summaryResult,
    projectName: a.projectName,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    context: { ...a.context },
    measures: toRunMeasures(a.measures),
  };
}

/** History order: most recently updated first; unknown times last; ties by run id. */
export function compareRunsByUpdate(x: RunSummary, y: RunSummary): number {
  if (x.updatedAt !== y.updatedAt) {
    if (x.updatedAt === null) return 1;
    if (y.updatedAt === null) return -1;
    return x.updatedAt > y.updatedAt ? -1 : 1;
  }
  return x.runId < y.runId ? -1 : x.runId > y.runId ? 1 : 0;
}

/**
 * Creation order, newest first (a sample's history, the last runs a flaky sample is looked for
 * in): by `createdAt`; unknown times last; ties by run id.
 */
export function compareRunsByCreation(
  x: Pick<RunSummary, 'runId' | 'createdAt'>,
  y: Pick<RunSummary, 'runId' | 'createdAt'>,
): number {
  if (x.createdAt !== y.createdAt) {
    if (x.createdAt === null) return 1;
    if (y.createdAt === null) return -1;
    return x.createdAt > y.createdAt ? -1 : 1;
  }
  return x.runId < y.runId ? -1 : x.runId > y.runId ? 1 : 0;
}
