/**
 * Stores what another tool's file holds, in two passes: the whole file is read, its shape checked
 * and every result put through the tracker's checks first, storing nothing; then it is read again
 * and stored. A file refused in the first pass stores nothing; a result already stored (same
 * result id, derived from the source's ids) is skipped, so importing a file twice stores it once.
 */
import { EvaltrackError, PeerFormatError } from '../errors.js';
import { CheckingTracker } from '../export/import-export-file.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { checkName } from '../tracker/check-input.js';
import { createHash } from 'node:crypto';
import { resultIdFromContent, sampleIdOf } from '../tracker/ids.js';
import type { ResultRecord } from '../types.js';
import { EXPECTED } from './detect-peer-format.js';
import type { PeerFormat, PeerTool } from './detect-peer-format.js';

/** A run an import makes: one per model (promptfoo's provider, evalite's variant). */
export interface PeerRun {
  runId: string;
  datasetName: string;
  modelName: string;
  /** Set on the run with `logContext`: the source's tool, version and eval id, and more. */
  context: Record<string, unknown>;
}

/** A result read from the file, and where it is in the file, for messages. */
export interface PeerRecord {
  record: ResultRecord;
  where: string;
}

/** A file of another tool, as an importer reads it. */
export interface PeerSource {
  readonly file: string;
  readonly format: PeerFormat;
  /**
   * Its results, read from the file. The first pass (`final` false) checks the whole file and
   * learns what the ids need (the eval id may come after the rows); its ids and names may be
   * placeholders. The second (`final` true) comes only after the first has ended.
   */
  records(final: boolean): AsyncGenerator<PeerRecord>;
  /** The runs, once the first pass has ended; throws a {@link PeerFormatError} for bad names. */
  runs(): PeerRun[];
  /** The version of the tool that wrote the file, when it says. */
  version(): string | null;
}

/** Options of the import functions. */
export interface PeerImportOptions {
  /**
   * The dataset of the runs; default: what the file names (promptfoo's `description`, evalite's
   * variant group or eval name), else the file's name without its extension.
   */
  datasetName?: string;
  /** The first pass found nothing wrong; `results` results are about to be stored. */
  onChecked?: (results: number) => void;
  /** A result read by the second pass, which stores them (for progress). */
  onResult?: () => void;
}

/** What an import did. */
export interface PeerImportReport {
  tool: PeerTool;
  format: PeerFormat;
  /** The version of the tool that wrote the file, when it says. */
  version: string | null;
  /** The runs, one per model, in the order they first appear in the file. */
  runs: { runId: string; modelName: string; datasetName: string }[];
  /** Results in the file. */
  results: number;
  /** Results stored. */
  imported: number;
  /** Results the store had already (imported before), left as they were. */
  skipped: number;
}

/** Imports `source` into `tracker`: see the module comment. */
export async function importPeerRecords(
  tracker: BaseExperimentTracker,
  source: PeerSource,
  tool: PeerTool,
  options: PeerImportOptions = {},
): Promise<PeerImportReport> {
  const expected = EXPECTED[source.format];
  let where = '';
  let results = 0;
  const checker = new CheckingTracker();
  try {
    await checker.importResults(
      (async function* (): AsyncGenerator<ResultRecord> {
        for await (const r of source.records(false)) {
          where = r.where;
          results++;
          yield r.record;
        }
      })(),
    );
  } catch (e) {
    if (e instanceof PeerFormatError || !(e instanceof EvaltrackError)) throw e;
    // The tracker names the record by its place in the stream; the file's place says more.
    const reason = e.message.replace(/^\[evaltrack\] /, '').replace(/\brecords\[\d+\]\.?/g, '');
    throw new PeerFormatError(source.file, where, expected, `${where}: ${reason}`);
  } finally {
    await checker.close();
  }
  if (results === 0) throw new PeerFormatError(source.file, '', expected, 'holds no results');
  const runs = source.runs();
  options.onChecked?.(results);
  const onResult = options.onResult;
  const { imported, skipped } = await tracker.importResults(
    (async function* (): AsyncGenerator<ResultRecord> {
      for await (const r of source.records(true)) {
        onResult?.();
        yield r.record;
      }
    })(),
  );
  for (const run of runs) {
    const known = await tracker.getRun(run.runId);
    // Set once: importing again changes nothing, not even the run's update time.
    const missing = Object.entries(run.context).some(
      ([k, v]) => JSON.stringify(known?.context[k]) !== JSON.stringify(v),
    );
    if (missing) {
      await tracker.logContext(run.context, { runId: run.runId, datasetName: run.datasetName });
    }
  }
  return {
    tool,
    format: source.format,
    version: source.version(),
    runs: runs.map(({ runId, modelName, datasetName }) => ({ runId, modelName, datasetName })),
    results,
    imported,
    skipped,
  };
}

/**
 * A run id in the form gllm-evals makes them (`{project}_{dataset}_{8 hex}`), the hex derived from
 * the source's ids, so that the same eval and model give the same run every time.
 */
export function peerRunId(projectName: string, datasetName: string, ...keys: string[]): string {
  const digest = createHash('sha256').update(keys.join('\0')).digest('hex');
  return `${projectName}_${datasetName}_${digest.slice(0, 8)}`;
}

/** A result id (UUIDv7-shaped) derived from the source's ids: the same row, the same id. */
export const peerResultId = (timestamp: string, ...keys: string[]): string =>
  resultIdFromContent(timestamp, keys.join('\0'));

/**
 * The sample id: the source's (a non-empty string or a finite number) when it has one, else the
 * hash `evaluate()` gives a sample without an id (of its input and expected answer).
 */
export function peerSampleId(given: unknown, data: Record<string, unknown>): string {
  if (typeof given === 'string' && given.trim() !== '') return given;
  if (typeof given === 'number' && Number.isFinite(given)) return String(given);
  const { id: _id, sample_id: _sampleId, question_id: _questionId, ...texts } = data;
  return sampleIdOf(texts);
}

/**
 * The dataset name: the caller's, else the file's own, else the file's name without its
 * extension; refused (as the tracker would) when not a usable name.
 */
export function peerDatasetName(
  given: string | undefined,
  fromFile: string | undefined,
  file: string,
): string {
  const stem = (file.split(/[\\/]/).pop() ?? file).replace(/\.[^.]*$/, '');
  const name =
    given ?? (fromFile !== undefined && fromFile.trim() !== '' ? fromFile : stem || 'imported');
  return checkName(name, 'options.datasetName');
}

/** An ISO-8601 UTC time of a time the source wrote, or `null` when it is not a time. */
export function isoTime(text: string): string | null {
  // SQLite's text times (evalite's): UTC, a space for the `T`, no zone.
  const sqlite = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(text)
    ? `${text.replace(' ', 'T')}Z`
    : text;
  const ms = Date.parse(sqlite);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
