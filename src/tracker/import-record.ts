/** Records read from another tracker, checked before they are stored as they are. */
import { InvalidInputError } from '../errors.js';
import type { FlatValue, ResultRecord, RunSummary } from '../types.js';
import { checkName, checkRecord, checkWellFormed } from './check-input.js';
import { inResultOrder, kindOfColumn, RESERVED_COLUMNS } from './flatten-result.js';
import type { FlatColumn, FlattenConfig } from './flatten-result.js';
import { projectOfRunId } from './ids.js';
import { checkMeasures } from './measures.js';
import { assertJsonable } from './python-format.js';
import type { PreparedResult, ResultStore, RunPatch } from './result-store.js';

/**
 * A result read from another store, checked and made ready to be stored unchanged: ids, times,
 * values and texts kept. `projectName` is the importing tracker's, used when neither the caller
 * nor the run id says.
 */
export function preparedFromRecord(
  record: ResultRecord,
  options: FlattenConfig,
  projectName: { given: string | null; fallback: string },
  where: string,
): PreparedResult {
  const values = checkRecord(record.values, `${where}.values`);
  const columns: FlatColumn[] = [];
  for (const [name, value] of Object.entries(values)) {
    // Values read from files may be text (Python wrote them); the names and text must still
    // be storable everywhere, a copy to CSV included.
    if (!(typeof value === 'string' || typeof value === 'boolean' || Number.isFinite(value))) {
      throw new InvalidInputError(
        'E_NON_FINITE_SCORE',
        `${where}.values.${name} is ${String(value)}; values must be finite numbers, booleans or text`,
        `${where}.values.${name}`,
      );
    }
    checkWellFormed(name, `${where}.values.${name}`);
    if (typeof value === 'string') checkWellFormed(value, `${where}.values.${name}`);
    if (RESERVED_COLUMNS.has(name)) {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `${where}.values has a column named ${JSON.stringify(name)}, one of the results file's own columns; rename it before importing`,
        `${where}.values.${name}`,
      );
    }
    columns.push({ name, kind: kindOfColumn(name, options), value: value as FlatValue });
  }
  const data = checkRecord(record.data, `${where}.data`);
  const metadata = checkRecord(record.metadata, `${where}.metadata`);
  assertJsonable(data, `${where}.data`);
  assertJsonable(metadata, `${where}.metadata`);
  const evaluationResult =
    record.evaluationResult === null
      ? null
      : checkRecord(record.evaluationResult, `${where}.evaluationResult`);
  if (evaluationResult) assertJsonable(evaluationResult, `${where}.evaluationResult`);
  const datasetName = checkName(record.datasetName, `${where}.datasetName`);
  return {
    resultId: checkName(record.resultId, `${where}.resultId`),
    sampleId: checkName(record.sampleId, `${where}.sampleId`),
    runId: record.runId,
    datasetName,
    projectName:
      projectName.given ?? projectOfRunId(record.runId, datasetName) ?? projectName.fallback,
    timestamp: checkName(record.timestamp, `${where}.timestamp`),
    evaluatorName: checkName(record.evaluatorName, `${where}.evaluatorName`),
    modelName: checkName(record.modelName, `${where}.modelName`),
    // The result's own column order decides its run's score column, in every store.
    columns: inResultOrder(columns, evaluationResult, options),
    data,
    metadata,
    evaluationResult: evaluationResult ?? {},
    keepEvaluationResult: evaluationResult !== null,
    // Records of older stores and readers have none.
    measures: checkMeasures(record.measures, `${where}.measures`),
  };
}

/**
 * Stores `records` as they are, in batches of 500 (each all or nothing), skipping those the store
 * already holds (same `resultId` in the same run), so importing twice stores once. `prepare`
 * checks a record and makes it ready; a bad one throws, naming its place (`records[7]`).
 */
export async function importRecords(
  store: ResultStore,
  records: Iterable<ResultRecord> | AsyncIterable<ResultRecord>,
  prepare: (record: ResultRecord, where: string) => PreparedResult,
): Promise<{ imported: number; skipped: number }> {
  const known = new Map<string, Set<string>>();
  let batch: PreparedResult[] = [];
  let imported = 0;
  let skipped = 0;
  const flush = (): void => {
    store.append(batch);
    imported += batch.length;
    batch = [];
  };
  let i = 0;
  for await (const record of records) {
    const where = `records[${i++}]`;
    checkRecord(record, where);
    const runId = checkName(record.runId, `${where}.runId`);
    let ids = known.get(runId);
    if (!ids) {
      ids = new Set<string>();
      for await (const r of store.readRun(runId)) ids.add(r.resultId);
      known.set(runId, ids);
    }
    if (ids.has(record.resultId)) {
      skipped++;
      continue;
    }
    ids.add(checkName(record.resultId, `${where}.resultId`));
    batch.push(prepare(record, where));
    if (batch.length >= 500) flush();
  }
  if (batch.length > 0) flush();
  return { imported, skipped };
}

/**
 * A run's own fields read from another tracker's history (context, summary evaluators' results,
 * times), checked, as the change that copies them: its run id and the patch.
 */
export function runPatchOf(run: RunSummary): [string, RunPatch] {
  checkRecord(run, 'run');
  const { accuracy: _accuracy, ...summary } = checkRecord(run.summaryResult, 'run.summaryResult');
  assertJsonable(run.context, 'run.context');
  assertJsonable(summary, 'run.summaryResult');
  return [
    checkName(run.runId, 'run.runId'),
    {
      datasetName: checkName(run.datasetName, 'run.datasetName'),
      projectName: run.projectName,
      context: checkRecord(run.context, 'run.context'),
      summary,
      ...(run.updatedAt ? { at: run.updatedAt } : {}),
      ...(run.createdAt ? { createdAt: run.createdAt } : {}),
    },
  ];
}
