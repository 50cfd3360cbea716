import { InvalidInputError } from './errors.js';
import type { BaseExperimentTracker } from './tracker/base-experiment-tracker.js';
import { checkOptions } from './tracker/check-input.js';

/** Options of {@link copyResults}. */
export interface CopyResultsOptions {
  /** Only these runs; all of them when omitted. */
  runIds?: string[];
  /** Called after each run is copied, e.g. to show progress. */
  onRun?: (progress: {
    runId: string;
    imported: number;
    skipped: number;
    done: number;
    total: number;
  }) => void;
  /** Called for each result read from the source, e.g. to move a progress bar. */
  onResult?: () => void;
}

/** What {@link copyResults} did. */
export interface CopyResultsReport {
  runs: number;
  /** Results stored in the target. */
  imported: number;
  /** Results the target already had (same `resultId`), left as they were. */
  skipped: number;
}

/**
 * Copies runs and their results from one tracker's store to another's, e.g. a CSV folder into
 * SQLite, or several machines' stores into one team database. Results keep their ids, sample ids,
 * times and values; a result the target already has is skipped, so copying twice, or copying
 * overlapping sets, never duplicates anything, and the target's leaderboard is right afterwards.
 * It uses the public tracker API only, so it works between any two stores, and streams each run.
 */
export async function copyResults(
  from: BaseExperimentTracker,
  to: BaseExperimentTracker,
  options?: CopyResultsOptions,
): Promise<CopyResultsReport> {
  const opts = checkOptions(options, ['runIds', 'onRun', 'onResult'], 'options');
  let runs = await from.getExperimentHistory();
  if (opts.runIds) {
    const known = new Set(runs.map((r) => r.runId));
    const missing = opts.runIds.filter((id) => !known.has(id));
    if (missing.length > 0) {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `no run ${missing.map((id) => JSON.stringify(id)).join(', ')} in the source; nothing was copied`,
      );
    }
    const wanted = new Set(opts.runIds);
    runs = runs.filter((r) => wanted.has(r.runId));
  }
  const onResult = opts.onResult;
  const counted = <T>(results: AsyncIterable<T>): AsyncIterable<T> =>
    onResult
      ? (async function* () {
          for await (const r of results) {
            onResult();
            yield r;
          }
        })()
      : results;
  const report: CopyResultsReport = { runs: 0, imported: 0, skipped: 0 };
  // Oldest first, so that the target's history has the source's order even where times tie.
  for (const run of [...runs].reverse()) {
    const { imported, skipped } = await to.importResults(
      counted(from.iterateRunResults(run.runId)),
      {
        projectName: run.projectName,
      },
    );
    await to.importRun(run);
    report.runs++;
    report.imported += imported;
    report.skipped += skipped;
    opts.onRun?.({ runId: run.runId, imported, skipped, done: report.runs, total: runs.length });
  }
  return report;
}
