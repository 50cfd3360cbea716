/** Writes runs as a gllm-evals experiments folder, which gllm-evals' CSV tracker reads. */
import { copyResults } from '../copy-results.js';
import { CSVExperimentTracker } from '../stores/csv/csv-experiment-tracker.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';

/**
 * Copies the results of `runIds` from `tracker` into the gllm-evals folder `dir` (created when
 * missing; results already there are kept, never written twice); `onResult` is told of each one
 * read. Resolves with the number of results of those runs, written or already there.
 */
export async function exportGllmFolder(
  tracker: BaseExperimentTracker,
  dir: string,
  runIds: string[],
  onResult: () => void = () => {},
): Promise<number> {
  const target = new CSVExperimentTracker('evaltrack', { outputDir: dir });
  try {
    const report = await copyResults(tracker, target, { runIds, onResult });
    return report.imported + report.skipped;
  } finally {
    await target.close();
  }
}
