/** A run named on the command line, found in the store, and its results. */
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { ExitError } from './command.js';
import type { Context } from './command.js';
import { resolveRun } from './run-name.js';

/** The run `name` names (an id, a prefix, `latest~N`…), within `--dataset` when given. */
export async function findRun(
  tracker: BaseExperimentTracker,
  name: string,
  values: Context['values'],
): Promise<RunSummary> {
  const dataset = typeof values['dataset'] === 'string' ? values['dataset'] : undefined;
  return resolveRun(await tracker.getExperimentHistory(), name, dataset);
}

/**
 * The results of a run; a run without any is an error (exit code 1), there is nothing to show.
 * `keep` maps each result as it is read, to hold only part of it.
 */
export async function runRecords(
  tracker: BaseExperimentTracker,
  runId: string,
  keep?: (record: ResultRecord) => ResultRecord,
): Promise<ResultRecord[]> {
  let records: ResultRecord[];
  if (keep === undefined) records = await tracker.getRunResults(runId);
  else {
    records = [];
    for await (const r of tracker.iterateRunResults(runId)) records.push(keep(r));
  }
  if (records.length === 0) throw new ExitError(1, `run ${runId} has no results`);
  return records;
}
