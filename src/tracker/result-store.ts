/**
 * The small interface every store implements. The tracker above it owns the rules (validation,
 * ids, score keys, aggregation); a store only keeps results and run aggregates and gives them back.
 */
import type {
  EvaluationOutput,
  FlatValue,
  MetricInput,
  ResultMeasures,
  ResultRecord,
  RunSummary,
} from '../types.js';
import type { ColumnKind, FlatColumn } from './flatten-result.js';
import type { AggregateInput, RunAggregate } from './run-aggregate.js';

/** A validated result, with everything a store writes already computed. */
export interface PreparedResult {
  readonly resultId: string;
  readonly sampleId: string;
  readonly runId: string;
  readonly datasetName: string;
  readonly projectName: string;
  /** ISO-8601 UTC, e.g. `2026-11-27T23:53:40.123Z`. */
  readonly timestamp: string;
  readonly evaluatorName: string;
  readonly modelName: string;
  /** Score, companion and extra columns in column order. */
  readonly columns: readonly FlatColumn[];
  /**
   * The sample, metadata and evaluator output, checked: `JSON.stringify` writes them whole and
   * cannot throw. A store serialises them in `append` (the caller may change them once it
   * returns), row by row, so that a large batch never holds all of its JSON text at once.
   */
  readonly data: MetricInput;
  readonly metadata: Record<string, unknown>;
  readonly evaluationResult: EvaluationOutput;
  /** Whether to store the whole evaluator output (`includeEvalResult`). */
  readonly keepEvaluationResult: boolean;
  /** Latency, tokens, cost and trial, checked; `null` when not measured. */
  readonly measures: ResultMeasures | null;
}

/**
 * A prepared result as a reader gets it back (values by column name, the evaluator output when
 * kept): what a store that keeps prepared results returns, and what errors hand back unstored.
 */
export function recordOf(r: PreparedResult): ResultRecord {
  return {
    resultId: r.resultId,
    sampleId: r.sampleId,
    runId: r.runId,
    datasetName: r.datasetName,
    timestamp: r.timestamp,
    evaluatorName: r.evaluatorName,
    modelName: r.modelName,
    values: Object.fromEntries(r.columns.map((c) => [c.name, c.value])),
    data: r.data,
    metadata: r.metadata,
    evaluationResult: r.keepEvaluationResult ? r.evaluationResult : null,
    measures: r.measures,
  };
}

/** What {@link ResultStore.readOutcomes} gives of one result. */
export interface OutcomeRow {
  readonly runId: string;
  readonly datasetName: string;
  readonly sampleId: string;
  /** The `measures.trial` of the result, or null when it has none. */
  readonly trial: number | null;
  /**
   * The values of the columns asked for that the result has (booleans may read back as 1/0), or
   * all of them for {@link ResultStore.readSampleOutcomes}.
   */
  readonly values: Readonly<Record<string, FlatValue>>;
}

/** Run-level fields set by `logContext()`, summary evaluators, and copies between stores. */
export interface RunPatch {
  readonly datasetName: string;
  readonly projectName: string | null;
  /** Merged key by key into the run's context. */
  readonly context?: Record<string, unknown>;
  /** Replaces what summary evaluators produced before. */
  readonly summary?: Record<string, unknown>;
  /** ISO-8601 UTC time of the change: the run's `updatedAt` is at least this. */
  readonly at?: string;
  /** The run's `createdAt` is at most this (copies keep the source's times). */
  readonly createdAt?: string;
}

/**
 * Where results live. Implement it to keep results somewhere of your own, and pass an instance
 * as `store` to a subclass of `BaseExperimentTracker`; the exported conformance suite checks it.
 */
export interface ResultStore {
  /**
   * Stores all of `results` or none (throwing before anything is written), and folds them into
   * their runs' aggregates. A local store writes before returning; a remote one may queue until
   * {@link ResultStore.sync}.
   */
  append(results: readonly PreparedResult[]): void;
  /** Applies a run-level change; it takes effect at the next `sync()` at the latest. */
  patchRun(runId: string, patch: RunPatch): void;
  /** Makes everything appended and patched durable, and the run aggregates current. */
  sync(): Promise<void>;
  /** Every run's summary, in any order. */
  listRuns(): Promise<RunSummary[]>;
  /** A run's results in logging order; nothing for an unknown run. */
  readRun(runId: string): AsyncIterable<ResultRecord>;
  /**
   * One result of a run, or null. Optional: without it, the tracker finds the result in
   * {@link ResultStore.readRun}; stores with an index on result ids answer at once.
   */
  readResult?(runId: string, resultId: string): Promise<ResultRecord | null>;
  /**
   * Every result of one sample (of `datasetName` when given), in logging order within each run.
   * `runIds`, when given, names the only runs wanted: a store with an index may read just those
   * (the tracker drops the others). Optional: without it, the tracker reads every run of the
   * dataset with {@link ResultStore.readRun}.
   */
  readSample?(
    sampleId: string,
    options?: { datasetName?: string; runIds?: readonly string[] },
  ): AsyncIterable<ResultRecord>;
  /**
   * The narrow rows (run, dataset, trial, every value; no texts) of every result of one sample,
   * of `datasetName` when given. Optional, for stores with an index by sample: with it, a
   * sample's history reads whole only the results of the runs it shows.
   */
  readSampleOutcomes?(sampleId: string, datasetName?: string): AsyncIterable<OutcomeRow>;
  /**
   * The sample id, trial and the values of `columns` only (no texts, nor the other values) of
   * every result of the runs `runIds`, each run in logging order: what outcomes across many runs
   * need. Optional: without it, the tracker reads the runs whole with {@link ResultStore.readRun}.
   */
  readOutcomes?(runIds: readonly string[], columns: readonly string[]): AsyncIterable<OutcomeRow>;
  /**
   * Where the results and the leaderboard are, for people (a file path, a database address
   * without its password). Optional: `evaluate()` reports it as gllm-evals' `experimentUris`.
   */
  locations?(): { results: string; leaderboard: string };
  /**
   * A short text that changes whenever results or run changes are committed to the store, by this
   * process or another, and stays the same otherwise; it costs a `stat` or a tiny query, so that
   * a dashboard can poll it twice a second and read the runs again only when it changed.
   * Optional: without it, a watcher compares the runs list itself.
   */
  changeMarker?(): Promise<string>;
  /** Syncs and releases what the store holds. Called once. */
  close(): Promise<void>;
  /**
   * Recomputes every run's aggregates from the stored results (context and summaries kept),
   * setting aside what is damaged. Optional: stores whose aggregates cannot drift may omit it.
   */
  rebuild?(): Promise<{ setAside: number }>;
}

/**
 * The tracker's rules a store applies, resolved once by the tracker from its options, so that a
 * store never reads tracker options or re-implements a rule: how results fold into their run's
 * aggregates (the leaderboard), how run-level changes apply, and what kind and order columns
 * known only by name (read back from a file, copied from another store) have.
 */
export interface StoreRules {
  /**
   * The key the leaderboard ranks by, as data: a store that queues writes to be folded later, by
   * another process perhaps (the PostgreSQL journal), keeps it with them.
   */
  readonly leaderboardScoreKey: string;
  /** Folds one result into its run's aggregate (mutating and returning it). */
  readonly fold: (aggregate: RunAggregate | undefined, row: AggregateInput) => RunAggregate;
  /** Applies a run-level change (`logContext`, summaries, copies) to an aggregate, in place. */
  readonly applyPatch: (run: RunAggregate, patch: RunPatch) => RunAggregate;
  /** The kind of a column known only by its name: a score, a companion, or an extra score key. */
  readonly kindOfColumn: (name: string) => ColumnKind;
  /** `columns` in the order the result's own flattening gives them (which decides the run's score column). */
  readonly inResultOrder: <C extends { readonly name: string }>(
    columns: readonly C[],
    result: EvaluationOutput | null,
  ) => C[];
}

/** A store made for a tracker's rules: what a tracker class passes as `store`. */
export type StoreFactory = (rules: StoreRules) => ResultStore;
