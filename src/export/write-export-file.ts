/**
 * Writes runs as an export file: our JSON Lines (one result a line, lossless), or the flat CSV
 * (one row a result, one column a score value). `readExportFile` reads both back.
 */
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { flatCsvHeader, flatCsvRow } from './flat-csv.js';
import type { ExportFormat } from './read-export-file.js';

/** Where an export is written, text in order; a file, a temporary file, stdout. */
export interface ExportSink {
  write(s: string): Promise<void>;
}

/**
 * Streams the results of `runIds`, in that order, to `sink` as `format`; `onResult` is told of
 * each one. Resolves with the number of results written. The sink is not closed.
 */
export async function writeExportFile(
  tracker: BaseExperimentTracker,
  runIds: readonly string[],
  format: ExportFormat,
  sink: ExportSink,
  onResult: () => void = () => {},
): Promise<number> {
  let count = 0;
  let columns: string[] = [];
  if (format === 'csv') {
    // The value columns of every run, first: a CSV has one header.
    const names = new Set<string>();
    for (const runId of runIds)
      for await (const r of tracker.iterateRunResults(runId))
        for (const n of Object.keys(r.values)) names.add(n);
    columns = [...names];
    await sink.write(flatCsvHeader(columns));
  }
  for (const runId of runIds) {
    for await (const r of tracker.iterateRunResults(runId)) {
      count++;
      onResult();
      await sink.write(format === 'jsonl' ? `${JSON.stringify(r)}\n` : flatCsvRow(r, columns));
    }
  }
  return count;
}
