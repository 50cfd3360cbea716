/**
 * The rows of the SQL stores (SQLite and PostgreSQL), written once: how a run aggregate and a
 * result map to table rows and back, and how the aggregates are refolded from stored results.
 * Both stores keep JSON as text, so a row reads back exactly as it was written.
 */
import { setOwn } from '../../tracker/check-input.js';
import type { PreparedResult } from '../../tracker/result-store.js';
import type { StoreRules } from '../../tracker/result-store.js';
import { emptyAggregate } from '../../tracker/run-aggregate.js';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import type { MeasureAggregate } from '../../tracker/measures.js';
import type { FlatValue, ResultMeasures, ResultRecord } from '../../types.js';

/** A row of the `runs` table: the leaderboard, with the exact sums it is computed from. */
export interface RunRow {
  run_id: string;
  dataset_name: string;
  project_name: string | null;
  evaluator_name: string;
  model_name: string;
  score_column: string | null;
  total_data: number;
  scored_count: number;
  score_sum: number;
  score_sum_sq: number;
  score_pass_fail_count: number;
  accuracy_total: number;
  accuracy_passed: number;
  created_at: string | null;
  updated_at: string | null;
  /** JSON object, from `logContext()`. */
  context: string;
  /** JSON object, from summary evaluators. */
  summary_extra: string;
  /** JSON: latency, tokens and cost aggregates; null until a result with measures. */
  measures: string | null;
}

/** The columns of {@link RunRow}, in table order. */
export const RUN_COLUMNS = [
  'run_id',
  'dataset_name',
  'project_name',
  'evaluator_name',
  'model_name',
  'score_column',
  'total_data',
  'scored_count',
  'score_sum',
  'score_sum_sq',
  'score_pass_fail_count',
  'accuracy_total',
  'accuracy_passed',
  'created_at',
  'updated_at',
  'context',
  'summary_extra',
  'measures',
] as const satisfies readonly (keyof RunRow)[];

/** A row of the `results` table, as written (`seq` is the store's logging order). */
export interface ResultRow {
  result_id: string;
  run_id: string;
  sample_id: string;
  dataset_name: string;
  project_name: string | null;
  timestamp: string;
  evaluator_name: string;
  model_name: string;
  /** JSON object: column name to value, in column order. */
  score_values: string;
  data: string;
  metadata: string;
  /** JSON, or null when not kept. */
  evaluation_result: string | null;
  /** JSON (latency, tokens, cost, trial), or null when not measured. */
  measures: string | null;
}

/** The columns of {@link ResultRow}, in table order (after `seq`). */
export const RESULT_COLUMNS = [
  'result_id',
  'run_id',
  'sample_id',
  'dataset_name',
  'project_name',
  'timestamp',
  'evaluator_name',
  'model_name',
  'score_values',
  'data',
  'metadata',
  'evaluation_result',
  'measures',
] as const satisfies readonly (keyof ResultRow)[];

export const toAggregate = (row: RunRow): RunAggregate => ({
  runId: row.run_id,
  datasetName: row.dataset_name,
  projectName: row.project_name,
  evaluatorName: row.evaluator_name,
  modelName: row.model_name,
  scoreColumn: row.score_column,
  totalData: Number(row.total_data),
  scoredCount: Number(row.scored_count),
  scoreSum: row.score_sum,
  scoreSumSq: row.score_sum_sq,
  scorePassFailCount: Number(row.score_pass_fail_count),
  accuracyTotal: Number(row.accuracy_total),
  accuracyPassed: Number(row.accuracy_passed),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  context: JSON.parse(row.context) as Record<string, unknown>,
  summaryExtra: JSON.parse(row.summary_extra) as Record<string, unknown>,
  ...(row.measures ? { measures: JSON.parse(row.measures) as MeasureAggregate } : {}),
});

export const toRunRow = (a: RunAggregate): RunRow => ({
  run_id: a.runId,
  dataset_name: a.datasetName,
  project_name: a.projectName,
  evaluator_name: a.evaluatorName,
  model_name: a.modelName,
  score_column: a.scoreColumn,
  total_data: a.totalData,
  scored_count: a.scoredCount,
  score_sum: a.scoreSum,
  score_sum_sq: a.scoreSumSq,
  score_pass_fail_count: a.scorePassFailCount,
  accuracy_total: a.accuracyTotal,
  accuracy_passed: a.accuracyPassed,
  created_at: a.createdAt,
  updated_at: a.updatedAt,
  context: JSON.stringify(a.context),
  summary_extra: JSON.stringify(a.summaryExtra),
  measures: a.measures ? JSON.stringify(a.measures) : null,
});

/** A prepared result as a row: its JSON serialised now, as `ResultStore.append` requires. */
export function toResultRow(r: PreparedResult): ResultRow {
  const values: Record<string, FlatValue> = {};
  for (const c of r.columns) setOwn(values, c.name, c.value);
  return {
    result_id: r.resultId,
    run_id: r.runId,
    sample_id: r.sampleId,
    dataset_name: r.datasetName,
    project_name: r.projectName,
    timestamp: r.timestamp,
    evaluator_name: r.evaluatorName,
    model_name: r.modelName,
    score_values: JSON.stringify(values),
    data: JSON.stringify(r.data),
    metadata: JSON.stringify(r.metadata),
    evaluation_result: r.keepEvaluationResult ? JSON.stringify(r.evaluationResult) : null,
    measures: r.measures ? JSON.stringify(r.measures) : null,
  };
}

export const toRecord = (row: ResultRow): ResultRecord => ({
  resultId: row.result_id,
  sampleId: row.sample_id,
  runId: row.run_id,
  datasetName: row.dataset_name,
  timestamp: row.timestamp,
  evaluatorName: row.evaluator_name,
  modelName: row.model_name,
  values: JSON.parse(row.score_values) as Record<string, FlatValue>,
  data: JSON.parse(row.data) as Record<string, unknown>,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  evaluationResult:
    row.evaluation_result === null
      ? null
      : (JSON.parse(row.evaluation_result) as Record<string, unknown>),
  // Rows of a journal written before measures have none.
  measures: row.measures == null ? null : (JSON.parse(row.measures) as ResultMeasures),
});

/** What refolding reads of a result: no texts. */
export type FoldRow = Pick<
  ResultRow,
  | 'run_id'
  | 'dataset_name'
  | 'project_name'
  | 'timestamp'
  | 'evaluator_name'
  | 'model_name'
  | 'score_values'
  | 'measures'
>;

/** Folds a stored result into its run's aggregate (`undefined` for the run's first). */
export function foldRow(
  run: RunAggregate | undefined,
  row: FoldRow,
  rules: Pick<StoreRules, 'fold'>,
): RunAggregate {
  const values = JSON.parse(row.score_values) as Record<string, FlatValue>;
  return rules.fold(run, {
    runId: row.run_id,
    datasetName: row.dataset_name,
    projectName: row.project_name,
    evaluatorName: row.evaluator_name,
    modelName: row.model_name,
    timestamp: row.timestamp,
    columns: Object.entries(values).map(([name, value]) => ({ name, value })),
    measures: row.measures == null ? null : (JSON.parse(row.measures) as ResultMeasures),
  });
}

/**
 * Every run's aggregates refolded from its results, fed in logging order with {@link add}, keeping
 * what results cannot give from the aggregates `before`: context, summaries, times, and the score
 * column already chosen. Synchronous, so that it runs inside a SQLite transaction.
 */
export class RunRefold {
  readonly #runs = new Map<string, RunAggregate>();
  readonly #before: ReadonlyMap<string, RunAggregate>;
  readonly #rules: Pick<StoreRules, 'fold' | 'applyPatch'>;

  constructor(
    before: ReadonlyMap<string, RunAggregate>,
    rules: Pick<StoreRules, 'fold' | 'applyPatch'>,
  ) {
    this.#before = before;
    this.#rules = rules;
  }

  add(row: FoldRow): void {
    let run = this.#runs.get(row.run_id);
    if (!run) {
      run = emptyAggregate(row.run_id, row.dataset_name, row.project_name);
      run.scoreColumn = this.#before.get(row.run_id)?.scoreColumn ?? null;
    }
    this.#runs.set(row.run_id, foldRow(run, row, this.#rules));
  }

  /** The refolded runs: those with results. Runs without any keep their aggregates as they are. */
  finish(): RunAggregate[] {
    for (const [runId, run] of this.#runs) {
      const prev = this.#before.get(runId);
      if (!prev) continue;
      run.context = prev.context;
      run.summaryExtra = prev.summaryExtra;
      this.#rules.applyPatch(run, {
        datasetName: run.datasetName,
        projectName: prev.projectName,
        ...(prev.updatedAt ? { at: prev.updatedAt } : {}),
        ...(prev.createdAt ? { createdAt: prev.createdAt } : {}),
      });
    }
    return [...this.#runs.values()];
  }
}
