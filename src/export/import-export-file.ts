/**
 * Imports an export file (JSONL or flat CSV) into a tracker in two passes: the whole file is read
 * and every result checked first, so that a bad line stores nothing; then the results are stored.
 */
import { EvaltrackError } from '../errors.js';
import { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { ResultStore } from '../tracker/result-store.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { BadLineError, readExportFile } from './read-export-file.js';
import type { ExportFormat } from './read-export-file.js';

/** A store that keeps nothing: the tracker's checks, run over a file before anything is stored. */
class NoStore implements ResultStore {
  append(): void {}
  patchRun(): void {}
  async sync(): Promise<void> {}
  async listRuns(): Promise<RunSummary[]> {
    return [];
  }
  async *readRun(): AsyncGenerator<ResultRecord> {}
  async close(): Promise<void> {}
}

/** A tracker that stores nothing: `importResults` on it runs every check and keeps nothing. */
export class CheckingTracker extends BaseExperimentTracker {
  constructor() {
    super('evaltrack', { store: new NoStore() });
  }
}

/**
 * Reads a whole export file and puts every result through the checks `importResults` makes,
 * storing nothing; resolves with the number of results, or rejects with a {@link BadLineError}
 * naming the first bad line.
 */
export async function checkExportFile(
  file: string,
  format: ExportFormat,
  onLines?: (n: number) => void,
): Promise<number> {
  let line = 0;
  let count = 0;
  const records = async function* (): AsyncGenerator<ResultRecord> {
    for await (const r of readExportFile(file, format, onLines)) {
      line = r.line;
      count++;
      yield r.record;
    }
  };
  const checker = new CheckingTracker();
  try {
    await checker.importResults(records());
  } catch (e) {
    if (e instanceof BadLineError || !(e instanceof EvaltrackError)) throw e;
    // The tracker names the record by its place in the stream; the line says more.
    const reason = e.message
      .replace(/^\[evaltrack\] /, '')
      .replace(/\brecords\[\d+\]\./g, '')
      .replace(/\brecords\[\d+\]/g, 'the record');
    throw new BadLineError(file, line, reason);
  } finally {
    await checker.close();
  }
  return count;
}

/** Hooks of {@link importExportFile}, e.g. for progress bars. */
export interface ImportExportFileOptions {
  /** Lines read by the first pass, blank ones included (for progress against `countLines`). */
  onCheckLines?: (n: number) => void;
  /** The first pass found no bad line; `results` results are about to be stored. */
  onChecked?: (results: number) => void;
  /** A result read by the second pass, which stores them. */
  onResult?: () => void;
}

/**
 * Imports an export file into `tracker`: checks the whole file first (a {@link BadLineError}
 * names the first bad line, and nothing is stored), then stores its results, skipping those the
 * tracker has already. Resolves with how many were stored and skipped.
 */
export async function importExportFile(
  tracker: BaseExperimentTracker,
  file: string,
  format: ExportFormat,
  options: ImportExportFileOptions = {},
): Promise<{ imported: number; skipped: number }> {
  const results = await checkExportFile(file, format, options.onCheckLines);
  options.onChecked?.(results);
  const records = async function* (): AsyncGenerator<ResultRecord> {
    for await (const r of readExportFile(file, format)) {
      options.onResult?.();
      yield r.record;
    }
  };
  return tracker.importResults(records());
}
