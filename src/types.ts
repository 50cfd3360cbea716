/**
 * The data a tracker takes and gives back. Names follow the Python gllm-evals types,
 * in TypeScript's camelCase where they are ours (README, "From Python gllm-evals").
 */

/**
 * What evaluators return for one sample: nested JSON, usually
 * `{ <evaluator>: { aggregate_score, aggregate_success, aggregate_explanation, <metric>: { score,
 * success, explanation, threshold, higher_is_better } } }`.
 */
export type EvaluationOutput = Record<string, unknown>;

/** gllm-evals' newer name for {@link EvaluationOutput}. */
export type EvaluatorResult = EvaluationOutput;

/** The sample an evaluator judged: any JSON object. */
export type MetricInput = Record<string, unknown>;

/** The usual fields of a sample (gllm-evals `LLMTestCase`); any extra key is kept. */
export interface LLMTestCase {
  id?: string | number;
  input?: string | null;
  actual_output?: string | null;
  expected_output?: string | null;
  retrieved_context?: string | string[] | null;
  expected_context?: string | string[] | null;
  [key: string]: unknown;
}

/** A flattened cell value: what a score, companion or extra column holds. */
export type FlatValue = number | boolean | string;

/** One row of the leaderboard: a run and its aggregates. */
export interface RunSummary {
  runId: string;
  datasetName: string;
  evaluatorName: string;
  modelName: string;
  /** Mean of `scoreColumn` over the run's results that have it; `null` when none has it. */
  averageScore: number | null;
  /** Number of results in the run, with or without a score. */
  totalData: number;
  /** The results column the leaderboard ranks by, e.g. `generation.aggregate_success`. */
  scoreColumn: string | null;
  /** Results that have a value in `scoreColumn` (booleans count as 1/0). */
  scoredCount: number;
  /** Sample standard deviation of those values; `null` below two. Enough for an interval on the mean. */
  scoreStdDev: number | null;
  /** Whether every score is 0 or 1, so `averageScore` is a pass rate. */
  scorePassFail: boolean;
  /**
   * Results that carry `aggregate_success`, and those where every evaluator's is true; their
   * ratio, rounded, is `summaryResult.accuracy`.
   */
  successCount: number;
  successTotal: number;
  /** `{ accuracy }` when results carry `aggregate_success`, merged with summary evaluators' output. */
  summaryResult: Record<string, unknown>;
  /** The tracker's project, or `null` when unknown (files written by the Python tracker). */
  projectName: string | null;
  /** ISO-8601 UTC time of the run's first write, when known. */
  createdAt: string | null;
  /** ISO-8601 UTC time of the run's last write, when known. */
  updatedAt: string | null;
  /** Run-level context merged from `logContext()` calls. */
  context: Record<string, unknown>;
  /** Latency, tokens and cost of the run's results, when they were measured; else `null`. */
  measures: RunMeasures | null;
}

/** Tokens an LLM call used, as its API reports them. */
export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

/** What one step (the task, or one evaluator) of one sample took. */
export interface StepMeasures {
  /** Wall time of the call that gave the result, in ms (when retried, of its last attempt). */
  latencyMs?: number;
  usage?: TokenUsage;
  /** Money, in whatever unit the caller counts (usually US dollars). */
  cost?: number;
}

/**
 * What running one sample took, stored with its result: the task's latency, tokens and cost, and
 * each evaluator's (an LLM judge costs money too), and which trial of the sample it was.
 */
export interface ResultMeasures {
  /** The trial (0-based) when a sample runs several times in one run (`trials`). */
  trial?: number;
  /** The application under test (`evaluate()`'s `task`). */
  task?: StepMeasures;
  /** By evaluator name. */
  evaluators?: Record<string, StepMeasures>;
}

/**
 * A run's latency, tokens and cost, kept as aggregates like its scores (no result is read).
 * Latency is the task's; tokens and cost add up the task's and the evaluators'.
 */
export interface RunMeasures {
  /**
   * Results with a task latency, its mean, and p50/p95/max. The quantiles are by nearest rank
   * (the value of rank ⌈q·n⌉), read from a sketch with 1% relative accuracy (DDSketch's bins):
   * within 1% of the exact value, never below the smallest or above the largest.
   */
  latency: { n: number; meanMs: number; p50Ms: number; p95Ms: number; maxMs: number } | null;
  /** Token totals over the results that reported usage. */
  tokens: { n: number; inputTokens: number; outputTokens: number; totalTokens: number } | null;
  /** Results that reported a cost, and the total. */
  cost: { n: number; total: number } | null;
}

/** One logged result, as read back. */
export interface ResultRecord {
  /** Unique, time-sortable id (UUIDv7) of this result. */
  resultId: string;
  /** Stable id of the sample across runs, for comparing runs sample by sample. */
  sampleId: string;
  runId: string;
  datasetName: string;
  /** ISO-8601 time the result was logged (files written by Python hold naive local times). */
  timestamp: string;
  evaluatorName: string;
  modelName: string;
  /** Score, companion and extra score columns, by dotted name, in column order. */
  values: Record<string, FlatValue>;
  data: MetricInput;
  metadata: Record<string, unknown>;
  /** The whole evaluator output, when the store kept it. */
  evaluationResult: EvaluationOutput | null;
  /** Latency, tokens, cost and trial, when measured (`evaluate()` does); else `null`. */
  measures: ResultMeasures | null;
}

/** Options of `log`, `alog` and `logBatch`. */
export interface LogOptions {
  /** The run to log into; omitted, the tracker's current run for the dataset. */
  runId?: string;
  /**
   * Extra metadata stored with each result; `evaluator_name` and `model_name` keys name them. For
   * `logBatch`, one object for every result, or an array with one object per result.
   */
  metadata?: Record<string, unknown> | readonly Record<string, unknown>[];
  /**
   * What running the sample took (latency, tokens, cost, trial); for `logBatch`, an array with
   * one entry (or `null`) per result.
   */
  measures?: ResultMeasures | readonly (ResultMeasures | null)[];
}

/** Options of `logContext`. */
export interface LogContextOptions {
  runId?: string;
  datasetName?: string;
}

/** Options of `getExperimentHistory`. */
export interface HistoryOptions {
  /** Only the runs on this dataset. */
  datasetName?: string;
}

/**
 * A summary evaluator: computes run-level numbers from all results of a run so far, e.g.
 * `(results) => ({ refusal_rate: ... })`. Its output is merged into `summaryResult`.
 */
export type SummaryEvaluator = (
  results: EvaluationOutput[],
  data: MetricInput[],
) => Record<string, unknown>;
