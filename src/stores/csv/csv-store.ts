/**
 * The CSV store: `experiment_results.csv` and `leaderboard.csv` in one folder, as gllm-evals writes
 * them, safe for several processes at once.
 *
 * - Appending: each call writes its rows with one `write()` on an `O_APPEND` descriptor, so rows
 *   of concurrent writers never interleave or overwrite each other, and nothing is locked per row.
 * - Rewriting (a new metric column, or setting aside a torn record): under the folder's lock, the
 *   file is copied with the new header and renamed over the old one. A writer that appended to the
 *   old file meanwhile sees it unlinked (`nlink === 0`) right after its write, and under the lock
 *   appends again whichever of its rows the copy missed.
 * - The leaderboard is derived: exact aggregates plus the file offset they cover are kept in
 *   `.evaltrack-state.json`; whatever lies past that offset is folded in on read, so a writer
 *   killed before refreshing the leaderboard loses nothing. A process folds its own rows from
 *   memory when it knows exactly where they landed, and parses only rows of others.
 */
import {
  closeSync,
  fdatasyncSync,
  linkSync,
  readdirSync,
  statSync,
  unlinkSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import {
  EvaltrackError,
  LockTimeoutError,
  StoreIoError,
  UnstoredResultsError,
} from '../../errors.js';
import { inResultOrder } from '../../tracker/flatten-result.js';
import type { ColumnKind, FlatColumn, FlattenConfig } from '../../tracker/flatten-result.js';
import type { PreparedResult, ResultStore, RunPatch } from '../../tracker/result-store.js';
import {
  applyPatch,
  cloneAggregate,
  emptyAggregate,
  foldResult,
  mergeAggregates,
  toRunSummary,
} from '../../tracker/run-aggregate.js';
import type { AggregateInput, RunAggregate } from '../../tracker/run-aggregate.js';
import type { EvaluationOutput, ResultRecord, RunSummary } from '../../types.js';
import {
  CRLF,
  encodeText,
  encodeValue,
  formatRecord,
  overPythonFieldLimit,
  parseRecord,
  PYTHON_CSV_FIELD_LIMIT,
  quoteCell,
} from './csv-codec.js';
import { withFileLock } from './file-lock.js';
import {
  formatLeaderboard,
  readLeaderboard,
  readState,
  writeFileAtomic,
} from './leaderboard-file.js';
import { leaderboardDiffers, seeded, withRunFields } from './leaderboard-file.js';
import type { LeaderboardState, Previous } from './leaderboard-file.js';
import { RecordReader } from './record-reader.js';
import {
  endsTorn,
  fingerprint,
  firstCellMatches,
  gluedToTornRecord,
  readHeader,
  recordText,
  PartialWriteError,
  scanSync,
  truncateOwnTail,
  writeAll,
} from './results-file.js';
import type { RawRecord } from './record-reader.js';
import {
  DerivedIds,
  extendHeader,
  JSON_COLUMNS,
  LEADING_COLUMNS,
  newHeader,
  OWN_COLUMNS,
  ResultsLayout,
} from './results-layout.js';

/** Reports damage found while reading (a torn or malformed record, a cell that is not JSON). */
export type WarningHandler = (message: string, code: string) => void;

/** Options of {@link CsvStore}. */
export interface CsvStoreOptions {
  /** The folder of `experiment_results.csv` and `leaderboard.csv`; created when missing. */
  outputDir: string;
  /** The tracker's flattening and leaderboard rules (for classifying and ranking columns). */
  config: FlattenConfig & { leaderboardScoreKey: string };
  /** Where damage reports go. @default process.emitWarning */
  onWarning?: WarningHandler;
  /** How long to wait for another process's lock. @default 60000 */
  lockTimeoutMs?: number;
}

/** Rows this process wrote at a known place, with their aggregates, so they need no re-reading. */
interface OwnRange {
  start: number;
  end: number;
  runs: Map<string, RunAggregate>;
}

interface Snapshot {
  runs: Map<string, RunAggregate>;
  folded: LeaderboardState['results'];
}

type NamedColumn = { name: string; kind: ColumnKind | 'leading' | 'json' | 'own' };

const FIXED_COLUMNS: NamedColumn[] = [
  ...LEADING_COLUMNS.map((name) => ({ name, kind: 'leading' as const })),
  ...JSON_COLUMNS.map((name) => ({ name, kind: 'json' as const })),
  ...OWN_COLUMNS.map((name) => ({ name, kind: 'own' as const })),
];

/** Suffix of the second name an old results file keeps while a rewrite copies its late rows. */
const REWRITE_SUFFIX = '.rewrite-';

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** The header of the file at `path`, or `null` when there is no such file or it is empty. */
function readHeaderOf(path: string): { names: string[]; end: number } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return readHeader(fd);
  } finally {
    closeSync(fd);
  }
}

/** Every column a file needs to hold these results, fixed ones included. */
function neededColumns(results: readonly PreparedResult[]): NamedColumn[] {
  const columns = new Map<string, NamedColumn>();
  for (const c of FIXED_COLUMNS) columns.set(c.name, c);
  for (const r of results)
    for (const c of r.columns) if (!columns.has(c.name)) columns.set(c.name, c);
  return [...columns.values()];
}

function sameNames(a: readonly FlatColumn[], b: readonly FlatColumn[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]?.name !== b[i]?.name) return false;
  return true;
}

/** A result as a reader gets it back, for errors that hand back what was not stored. */
function toResultRecord(r: PreparedResult): ResultRecord {
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
  };
}

/** A header record: names quoted and formula-escaped like any text (metric keys are user text). */
const formatHeader = (names: readonly string[]): string =>
  formatRecord(names.map((n) => encodeText(n, `column name ${JSON.stringify(n)}`)));

/** A store over the two CSV files of gllm-evals. Used by `CSVExperimentTracker`. */
export class CsvStore implements ResultStore {
  readonly resultsPath: string;
  readonly leaderboardPath: string;
  readonly statePath: string;
  readonly lockPath: string;

  readonly #dir: string;
  readonly #config: CsvStoreOptions['config'];
  readonly #warn: WarningHandler;
  readonly #lockTimeoutMs: number;

  #fd: number | undefined;
  #dev = 0;
  #ino = 0;
  #layout: ResultsLayout | undefined;
  /** File size after our last write: a write that starts there is known to be ours alone. */
  #lastEnd = 0;
  #ranges: OwnRange[] = [];
  readonly #patches: [string, RunPatch][] = [];
  #dirty = false;
  /** Whether results were written since the last `sync()`. */
  #appendedSinceSync = false;
  /** When leaderboard.csv was last rewritten by this store. */
  #persistedAt = Date.now();
  readonly #reported = new Set<string>();
  #writeBuffer = Buffer.allocUnsafe(64 * 1024);
  /** Where each row of the last encoded batch ends in its buffer. */
  readonly #rowEnds: number[] = [];
  #lastPlacement:
    { layout: ResultsLayout; columns: readonly FlatColumn[]; at: number[] } | undefined;
  // The identity cells repeat from one result to the next: encode each once.
  readonly #encoded = new Map<string, string>();
  // Columns already reported as holding a cell too large for Python's csv module.
  readonly #warnedLarge = new Set<string>();

  constructor(options: CsvStoreOptions) {
    this.#dir = options.outputDir;
    this.#config = options.config;
    this.#warn =
      options.onWarning ??
      ((message, code) => process.emitWarning(message, { code, type: 'EvaltrackWarning' }));
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
    this.resultsPath = join(this.#dir, 'experiment_results.csv');
    this.leaderboardPath = join(this.#dir, 'leaderboard.csv');
    this.statePath = join(this.#dir, '.evaltrack-state.json');
    this.lockPath = join(this.#dir, '.evaltrack.lock');
  }

  append(results: readonly PreparedResult[]): void {
    if (results.length === 0) return;
    // Encode everything first: text a CSV cell cannot hold fails here, before any write.
    const cells = results.map((r) => this.#cellsOf(r));
    try {
      let placed = this.#fd === undefined ? null : this.#placeColumns(results);
      if (!placed) {
        const needed = neededColumns(results);
        this.#openForWrite(needed);
        placed = this.#placeColumns(results);
        if (!placed) {
          placed = this.#locked(() => {
            this.#reopen();
            if (!this.#placeColumns(results)) this.#rewrite(needed);
            return this.#placeColumns(results);
          });
        }
      }
      if (!placed)
        throw new StoreIoError(`the header of ${this.resultsPath} lacks columns it was given`);
      this.#write(results, cells, placed);
    } catch (e) {
      throw e instanceof EvaltrackError
        ? e
        : new StoreIoError(`cannot write ${this.resultsPath}`, e);
    }
    this.#dirty = true;
    this.#appendedSinceSync = true;
    // Keep leaderboard.csv current for other readers while log() runs on, without waiting.
    if (Date.now() - this.#persistedAt > 2000) this.#tryPersist();
  }

  /**
   * Where each result's columns go in the open file's header, or `null` when the header lacks
   * one of them (or a fixed column).
   */
  #placeColumns(results: readonly PreparedResult[]): number[][] | null {
    const layout = this.#layout;
    if (!layout?.hasFixedColumns) return null;
    const placed: number[][] = [];
    for (const r of results) {
      // Results of one evaluator share their columns: the last placement usually fits again.
      const last = this.#lastPlacement;
      if (last && last.layout === layout && sameNames(last.columns, r.columns)) {
        placed.push(last.at);
        continue;
      }
      const at: number[] = [];
      for (const c of r.columns) {
        // The name is a header cell: refuse what it could not hold before anything is written.
        encodeText(c.name, `result of run ${r.runId}: column name`);
        const i = layout.indexOf(c.name);
        if (i === undefined) return null;
        at.push(i);
      }
      this.#lastPlacement = { layout, columns: r.columns, at };
      placed.push(at);
    }
    return placed;
  }

  patchRun(runId: string, patch: RunPatch): void {
    this.#patches.push([runId, patch]);
    this.#dirty = true;
  }

  /**
   * Saves the aggregates and run changes. Results are in the results file already: when only the
   * derived leaderboard could not be refreshed (the lock held too long, a read-only folder), that
   * is a warning, as reads fold what it lacks, and failing would make a caller store them twice.
   * Run context exists nowhere else: when it cannot be saved, this rejects with
   * `UnstoredResultsError` and keeps it for the next call, unless this call wrote results. A
   * summary evaluators' result is kept the same way, with a warning; `close()` rejects for both.
   */
  async sync(): Promise<void> {
    // A call that wrote results (logBatch, alog) resolves: they are stored, and rejecting would
    // make its caller store them twice. Context still unsaved then waits for the next call.
    const wroteResults = this.#appendedSinceSync;
    this.#appendedSinceSync = false;
    this.#syncOrThrow(false, wroteResults);
  }

  #syncOrThrow(closing: boolean, wroteResults = false): void {
    if (!this.#dirty) return;
    try {
      this.#locked(() => this.#persist());
    } catch (e) {
      const why = (e as Error).message.replace(/^\[evaltrack\] /, '');
      const given = wroteResults ? [] : this.#patches.filter(([, p]) => p.context !== undefined);
      if (given.length > 0 || (closing && this.#patches.length > 0)) {
        const runs = (closing ? this.#patches : given).map(
          ([runId, p]) =>
            `run ${JSON.stringify(runId)}: ${[
              ...(p.context === undefined
                ? []
                : [`context (${Object.keys(p.context).join(', ') || 'empty'})`]),
              ...(p.summary === undefined ? [] : ['summary']),
            ].join(' and ')}`,
        );
        throw new UnstoredResultsError(
          `run changes not stored in ${this.#dir}: ${why}. Not stored: ${runs.join('; ')}. ` +
            (closing
              ? 'Every result is stored; log these changes again once the folder can be written.'
              : 'Every result is stored; the changes are kept and written by the next call that can.'),
          [],
          runs.length,
          e,
        );
      }
      this.#warn(
        `leaderboard.csv in ${this.#dir} was not refreshed: ${why}; the results are stored, ` +
          `and ${this.#patches.length > 0 ? 'the run summary is kept and ' : ''}the leaderboard is refreshed by the next call that can`,
        'EVALTRACK_LEADERBOARD_STALE',
      );
    }
  }

  async listRuns(): Promise<RunSummary[]> {
    const snap = this.#snapshot();
    const runs = [...snap.runs.values()].map(toRunSummary);
    // leaderboard.csv is for other readers (pandas, Python): rebuild it when it is missing or
    // says something else (a writer was killed before refreshing it), if this folder can be
    // written and nobody holds the lock; a folder that cannot be is read as it is.
    if (snap.folded && leaderboardDiffers(this.leaderboardPath, runs)) this.#tryPersist();
    return runs;
  }

  /** Saves the aggregates and rewrites leaderboard.csv (caller holds the lock). */
  #persist(): void {
    const snap = this.#snapshot();
    const runs = [...snap.runs.values()];
    const state: LeaderboardState = { version: 2, results: snap.folded, runs };
    writeFileAtomic(this.statePath, JSON.stringify(state));
    writeFileAtomic(this.leaderboardPath, formatLeaderboard(runs));
    this.#patches.length = 0;
    if (snap.folded && snap.folded.ino === this.#ino) {
      const offset = snap.folded.offset;
      this.#ranges = this.#ranges.filter((r) => r.start >= offset);
    }
    this.#dirty = false;
    this.#persistedAt = Date.now();
  }

  /**
   * {@link CsvStore.#persist} if the lock is free and the folder writable. Otherwise nothing:
   * the results are stored, and leaderboard.csv is a copy that a later call refreshes.
   */
  #tryPersist(): void {
    try {
      withFileLock(this.lockPath, () => this.#persist(), 0);
    } catch (e) {
      const code = errno((e as { cause?: unknown }).cause) ?? errno(e);
      if (e instanceof LockTimeoutError || ['EACCES', 'EPERM', 'EROFS'].includes(code ?? ''))
        return;
      this.#warn(
        `leaderboard.csv in ${this.#dir} was not refreshed: ${(e as Error).message}`,
        'EVALTRACK_LEADERBOARD_STALE',
      );
    }
  }

  async *readRun(runId: string): AsyncGenerator<ResultRecord> {
    let handle;
    try {
      handle = await open(this.resultsPath, 'r');
    } catch (e) {
      if (errno(e) === 'ENOENT') return;
      throw new StoreIoError(`cannot read ${this.resultsPath}`, e);
    }
    try {
      const size = (await handle.stat()).size;
      const header = readHeader(handle.fd);
      if (!header) return;
      const layout = new ResultsLayout(header.names);
      // Compare the first cell's bytes before decoding anything: most records are other runs'.
      const wanted = [Buffer.from(runId)];
      // A run id UTF-8 cannot hold is in no file; one with a formula prefix is stored escaped.
      if (!runId.isWellFormed()) return;
      wanted.push(Buffer.from(encodeText(runId, 'runId')));
      const reader = new RecordReader(header.end);
      const ids = new DerivedIds();
      let pos = header.end;
      while (pos < size) {
        const space = reader.space();
        const { bytesRead } = await handle.read(
          space.buf,
          space.offset,
          Math.min(space.length, size - pos),
          pos,
        );
        if (bytesRead === 0) break;
        reader.filled(bytesRead);
        pos += bytesRead;
        for (let r = reader.next(); r; r = reader.next()) {
          const suspicious = RecordReader.hasInnerLineFeed(r);
          if (!suspicious && !firstCellMatches(r, wanted, runId)) continue;
          const cells = parseRecord(recordText(r));
          if (cells.length !== layout.names.length) {
            this.#reportDamaged(r, reader.resyncAfter(r), cells.length, layout.names.length);
            continue;
          }
          // The byte comparison can be fooled by escapes (run `=x` is stored as `'=x`).
          if (layout.runIdOf(cells) !== runId) continue;
          yield layout.toResultRecord(
            cells,
            (text, column) => this.#parseJson(text, column, r.fileStart),
            ids,
          );
        }
      }
      for (let damaged = reader.resyncPending(); damaged; damaged = reader.resyncPending()) {
        this.#reportDamagedBytes(damaged.fileStart, damaged.bytes.length);
        for (let r = reader.next(); r; r = reader.next()) {
          const cells = parseRecord(recordText(r));
          if (cells.length !== layout.names.length) {
            this.#reportDamaged(r, reader.resyncAfter(r), cells.length, layout.names.length);
          } else if (layout.runIdOf(cells) === runId) {
            yield layout.toResultRecord(
              cells,
              (text, column) => this.#parseJson(text, column, r.fileStart),
              ids,
            );
          }
        }
      }
      if (reader.pending.length > 0)
        this.#reportTorn(reader.position, reader.pending.length, false);
    } finally {
      await handle.close();
    }
  }

  /** Syncs and closes; rejects with `UnstoredResultsError` naming any run change not stored. */
  async close(): Promise<void> {
    try {
      this.#syncOrThrow(true);
    } finally {
      if (this.#fd !== undefined) {
        // Power-loss durability for everything written, once, rather than per row.
        fdatasyncSync(this.#fd);
        closeSync(this.#fd);
        this.#fd = undefined;
      }
    }
  }

  /**
   * Rewrites the results file and refolds the leaderboard from it (runs keep their context and
   * summaries); damaged records are set aside to `experiment_results.csv.corrupt-<time>`.
   */
  async rebuild(): Promise<{ setAside: number }> {
    if (!readHeaderOf(this.resultsPath)) return { setAside: 0 };
    return this.#locked(() => {
      this.#recoverRewrites();
      this.#reopen();
      return { setAside: this.#rewrite([]) };
    });
  }

  // --- internal ---

  #locked<T>(fn: () => T): T {
    mkdirSync(this.#dir, { recursive: true });
    return withFileLock(this.lockPath, fn, this.#lockTimeoutMs);
  }

  #encodeRepeated(text: string, where: string): string {
    let cell = this.#encoded.get(text);
    if (cell === undefined) {
      cell = encodeText(text, where);
      if (this.#encoded.size > 10_000) this.#encoded.clear();
      this.#encoded.set(text, cell);
    }
    return cell;
  }

  /** The small cells of a result: the fixed ones in {@link FIXED_CELLS} order, then its values. */
  #cellsOf(r: PreparedResult): string[] {
    const where = `result of run ${r.runId}`;
    const cells = [
      this.#encodeRepeated(r.runId, 'runId'),
      this.#encodeRepeated(r.datasetName, 'datasetName'),
      r.timestamp,
      this.#encodeRepeated(r.evaluatorName, `${where}: evaluator_name`),
      this.#encodeRepeated(r.modelName, `${where}: model_name`),
      r.resultId,
      encodeText(r.sampleId, `${where}: sample id`),
      this.#encodeRepeated(r.projectName, 'projectName'),
    ];
    for (const c of r.columns) cells.push(encodeValue(c.value, `${where}: ${c.name}`));
    return cells;
  }

  /**
   * The rows' CSV bytes, encoded row by row into a buffer reused across calls: no batch-sized
   * string is built, which keeps large batches out of the garbage collector's way.
   */
  #encodeRows(
    results: readonly PreparedResult[],
    cells: readonly string[][],
    placed: readonly number[][],
  ): Buffer {
    const layout = this.#layout;
    if (!layout) throw new StoreIoError('results file is not open');
    const { names, jsonAt } = layout;
    let buf = this.#writeBuffer;
    let pos = 0;
    const put = (s: string): void => {
      if (pos + s.length * 3 > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(2 * buf.length, pos + s.length * 3));
        buf.copy(bigger, 0, 0, pos);
        buf = bigger;
      }
      pos += buf.write(s, pos, 'utf8');
    };
    const fixedAt = layout.fixedAt;
    const rowEnds = this.#rowEnds;
    rowEnds.length = results.length;
    const row: string[] = new Array<string>(names.length);
    // A batch shares one metadata object: serialise it once.
    let lastMetadata: unknown;
    let lastMetadataJson = '';
    const metadataJson = (m: Record<string, unknown>): string => {
      if (m !== lastMetadata) {
        lastMetadata = m;
        lastMetadataJson = JSON.stringify(m);
      }
      return lastMetadataJson;
    };
    for (let k = 0; k < results.length; k++) {
      const r = results[k] as PreparedResult;
      const small = cells[k] as string[];
      for (let i = 0; i < names.length; i++) {
        const json = jsonAt[i];
        // Serialised here rather than earlier, so a batch never holds all of its JSON text.
        const text =
          json === undefined
            ? ''
            : json === 'data'
              ? JSON.stringify(r.data)
              : json === 'metadata'
                ? metadataJson(r.metadata)
                : r.keepEvaluationResult
                  ? JSON.stringify(r.evaluationResult)
                  : '';
        row[i] = text ? `"${text.replaceAll('"', '""')}"` : '';
      }
      for (let f = 0; f < fixedAt.length; f++) row[fixedAt[f] as number] = small[f] as string;
      const at = placed[k] as number[];
      for (let c = 0; c < at.length; c++) {
        row[at[c] as number] = small[fixedAt.length + c] as string;
      }
      for (let i = 0; i < row.length; i++) {
        if ((row[i] as string).length > PYTHON_CSV_FIELD_LIMIT)
          this.#checkCellSize(names[i], row[i], r);
      }
      // One string, one encode per row: cheaper than a write call per piece. The line end is a
      // write of its own, so that the row's string is not copied again to append it.
      put(row.join(','));
      put(CRLF);
      rowEnds[k] = pos;
    }
    this.#writeBuffer = buf;
    return buf.subarray(0, pos);
  }

  /** Warns, once per column, of a cell Python's `csv` module cannot read without a raised limit. */
  #checkCellSize(column: string | undefined, cell: string | undefined, r: PreparedResult): void {
    if (column === undefined || cell === undefined || this.#warnedLarge.has(column)) return;
    if (!overPythonFieldLimit(cell)) return;
    this.#warnedLarge.add(column);
    this.#warn(
      `a cell of column ${JSON.stringify(column)} (result ${r.resultId} of run ${JSON.stringify(r.runId)}) holds more than ${PYTHON_CSV_FIELD_LIMIT.toLocaleString('en')} characters, more than Python's csv module reads by default: Python readers of ${this.resultsPath} must call csv.field_size_limit(sys.maxsize) first (pandas and evaltrack read it as it is); further cells of this column are not reported`,
      'EVALTRACK_LARGE_CELL',
    );
  }

  /** Opens the results file for appending, creating it, or repairing a torn tail, first. */
  #openForWrite(columns: NamedColumn[]): void {
    if (this.#fd !== undefined) return;
    this.#locked(() => {
      mkdirSync(this.#dir, { recursive: true });
      this.#recoverRewrites();
      let fd: number | undefined;
      try {
        fd = openSync(this.resultsPath, 'r');
        if (fstatSync(fd).size === 0) this.#create(columns);
        else if (endsTorn(fd)) {
          this.#reopen();
          this.#rewrite([]);
        }
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw e;
        this.#create(columns);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      if (this.#fd === undefined) this.#reopen();
    });
  }

  #create(columns: NamedColumn[]): void {
    const metrics = columns.filter(
      (c): c is { name: string; kind: ColumnKind } =>
        c.kind === 'score' || c.kind === 'companion' || c.kind === 'extra',
    );
    writeFileAtomic(this.resultsPath, formatHeader(newHeader(metrics, this.#config)));
    this.#reopen();
  }

  /** (Re)opens the file at the path; the caller holds the lock or accepts a later re-check. */
  #reopen(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    // 'a+': appends go to the end whatever the position, and the header can be read from the
    // very file we append to.
    const fd = openSync(this.resultsPath, 'a+');
    const st = fstatSync(fd);
    const header = readHeader(fd);
    this.#fd = fd;
    this.#dev = st.dev;
    this.#ino = st.ino;
    this.#layout = new ResultsLayout(header?.names ?? []);
    this.#lastEnd = st.size;
    this.#ranges = [];
  }

  #write(results: readonly PreparedResult[], cells: string[][], placed: number[][]): void {
    const fd = this.#fd;
    if (fd === undefined) throw new StoreIoError('results file is not open');
    const buf = this.#encodeRows(results, cells, placed);
    this.#appendOrTakeBack(fd, buf, results);
    // Keep the buffer for the next batch, but not the memory of one huge one (e.g. 10 MB cells).
    if (this.#writeBuffer.length > 32 * 1024 * 1024) {
      this.#writeBuffer = Buffer.allocUnsafe(64 * 1024);
    }
    // Is the file we wrote to still the one at the path? A rewrite renames a new file over it;
    // our rows are then in the old one, unless the rewrite copied them.
    const st = statSync(this.resultsPath, { throwIfNoEntry: false });
    if (!st || st.ino !== this.#ino || st.dev !== this.#dev) {
      this.#locked(() => this.#appendMissing(results, cells));
      return;
    }
    const start = st.size - buf.length;
    const alone = start === this.#lastEnd; // nothing written by others since our last write
    this.#lastEnd = st.size;
    if (alone) this.#remember(start, st.size, results);
    else if (gluedToTornRecord(fd, st.size, buf)) {
      // Another writer was killed in the middle of a record and ours went on the end of it:
      // unreadable there, so write it again (the damaged record is reported and set aside).
      this.#appendOrTakeBack(fd, buf, results);
      this.#lastEnd += buf.length;
    }
  }

  /**
   * Appends a call's rows. When the write fails part-way (a full disk), the bytes that landed are
   * cut off the end of the file again, so that readers see none of the call's results and a retry
   * stores each once; the next write starts from a clean end, with nothing to repair.
   */
  #appendOrTakeBack(fd: number, buf: Buffer, results: readonly PreparedResult[]): void {
    try {
      writeAll(fd, buf);
      return;
    } catch (e) {
      const written = e instanceof PartialWriteError ? e.written : 0;
      const cause = e instanceof PartialWriteError ? e.cause : e;
      const rowEnds = this.#rowEnds;
      let takenBack = false;
      try {
        takenBack = truncateOwnTail(fd, buf, written) && this.#isAtPath(fd);
      } catch {
        // Not taken back: found below, row by row.
      }
      this.#closeFd();
      if (takenBack) {
        throw new StoreIoError(
          `cannot write ${this.resultsPath}; none of the ${results.length} result(s) of this call was stored`,
          cause,
        );
      }
      // Another writer appended after our rows, or a rewrite replaced the file, before they could
      // be cut off: say exactly which results are not stored.
      const unstored = results.filter(
        (r, k) => (rowEnds[k] ?? Infinity) > written || !this.#fileHolds(r.resultId),
      );
      throw new UnstoredResultsError(
        `cannot write ${this.resultsPath}: ${results.length - unstored.length} of the ${results.length} result(s) of this call were stored, ` +
          `${unstored.length} were not (in error.results; importResults() stores them once)`,
        unstored.map(toResultRecord),
        0,
        cause,
      );
    }
  }

  /** Whether `fd` is the file at the results path (no rewrite renamed another over it). */
  #isAtPath(fd: number): boolean {
    const st = statSync(this.resultsPath, { throwIfNoEntry: false });
    const own = fstatSync(fd);
    return st !== undefined && st.ino === own.ino && st.dev === own.dev;
  }

  #fileHolds(resultId: string): boolean {
    try {
      return this.#fileContains(resultId);
    } catch {
      return false;
    }
  }

  #closeFd(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#layout = undefined;
  }

  #remember(start: number, end: number, results: readonly PreparedResult[]): void {
    let range = this.#ranges[this.#ranges.length - 1];
    if (range?.end !== start) {
      range = { start, end, runs: new Map() };
      this.#ranges.push(range);
    }
    range.end = end;
    for (let k = 0; k < results.length; k++) {
      const r = results[k] as PreparedResult;
      // The result's own column order, as every store folds it (see inResultOrder).
      const columns = r.columns;
      const input: AggregateInput = {
        runId: r.runId,
        datasetName: r.datasetName,
        projectName: r.projectName,
        evaluatorName: r.evaluatorName,
        modelName: r.modelName,
        timestamp: r.timestamp,
        columns,
      };
      range.runs.set(
        r.runId,
        foldResult(range.runs.get(r.runId), input, this.#config.leaderboardScoreKey),
      );
    }
  }

  /**
   * Our rows went to a file that a rewrite replaced. Under the lock (no rewrite can run), find
   * which of them the rewrite's copy holds and append the rest to the current file. Rows of one
   * write reach the copy as a prefix, so a binary search over them finds the first missing one.
   */
  #appendMissing(results: readonly PreparedResult[], cells: string[][]): void {
    this.#reopen();
    const columns = new Map<string, NamedColumn>();
    for (const c of FIXED_COLUMNS) columns.set(c.name, c);
    for (const r of results) for (const c of r.columns) columns.set(c.name, c);
    if ([...columns.keys()].some((n) => !this.#layout?.has(n)))
      this.#rewrite([...columns.values()]);
    let missing: number[];
    if (results.length <= 64) {
      missing = results.flatMap((r, k) => (this.#fileContains(r.resultId) ? [] : [k]));
    } else {
      // A big batch reaches the copy as a prefix of its rows: search for the first one missing.
      let lo = 0;
      let hi = results.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.#fileContains(results[mid]?.resultId ?? '')) lo = mid + 1;
        else hi = mid;
      }
      missing = results.slice(lo).map((_, k) => lo + k);
    }
    if (missing.length === 0) return;
    const fd = this.#fd;
    if (fd === undefined) throw new StoreIoError('results file is not open');
    const rest = missing.map((k) => results[k] as PreparedResult);
    const placed = this.#placeColumns(rest);
    if (!placed)
      throw new StoreIoError(`the header of ${this.resultsPath} lacks columns it was given`);
    writeAll(
      fd,
      this.#encodeRows(
        rest,
        missing.map((k) => cells[k] as string[]),
        placed,
      ),
    );
    this.#lastEnd = fstatSync(fd).size;
  }

  #fileContains(text: string): boolean {
    const fd = openSync(this.resultsPath, 'r');
    try {
      const needle = Buffer.from(text);
      const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
      let pos = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n === 0) return false;
        if (buf.subarray(0, n).includes(needle)) return true;
        if (n < needle.length) return false;
        pos += n - needle.length + 1;
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Copies the results file with `columns` added to its header, setting aside damaged records,
   * and renames the copy over it. Caller holds the lock. The aggregates are refolded from the copy.
   */
  #rewrite(columns: NamedColumn[]): number {
    let setAsideCount: number;
    const oldFd = openSync(this.resultsPath, 'r');
    // A name of its own ('x': never an old file left by a crash), appended to ('a'), since
    // after the rename other writers append to it too.
    const tmp = `${this.resultsPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const outFd = openSync(tmp, 'ax+');
    const setAside: Buffer[] = [];
    // Until the rename, the copy and the second name are ours alone to remove when this fails
    // (a full disk): left behind, the copy would keep the space that the next attempt needs.
    let backup: string | undefined;
    let renamed = false;
    try {
      const header = readHeader(oldFd);
      const oldNames = header?.names ?? [];
      const names = extendHeader(oldNames, columns, this.#config);
      const oldLayout = new ResultsLayout(oldNames);
      const to = names.map((n) => oldNames.indexOf(n));
      let out: string[] = [formatHeader(names)];
      let outBytes = 0;
      const flushOut = (): void => {
        writeAll(outFd, Buffer.from(out.join('')));
        out = [];
        outBytes = 0;
      };
      const previous = this.#previousRuns();
      const runs = new Map<string, RunAggregate>();
      const setAsideBytes = (at: number, bytes: Buffer): void => {
        this.#reportDamagedBytes(at, bytes.length);
        setAside.push(Buffer.from(bytes));
      };
      const copy = (r: RawRecord, reader: RecordReader, fold: boolean): void => {
        if (r.contentEnd === r.start) return;
        const text = recordText(r);
        const cells = parseRecord(text);
        if (cells.length !== oldNames.length) {
          const resumeAt = reader.resyncAfter(r);
          this.#reportDamaged(r, resumeAt, cells.length, oldNames.length);
          const end = (resumeAt === -1 ? r.fileEnd : resumeAt) - r.fileStart + r.start;
          setAside.push(Buffer.from(r.buf.subarray(r.start, end)));
          return;
        }
        out.push(formatRecord(to.map((i) => (i === -1 ? '' : quoteCell(cells[i] ?? '')))));
        outBytes += text.length;
        if (outBytes > 4 * 1024 * 1024) flushOut();
        if (fold) this.#foldCells(runs, oldLayout, cells, previous);
      };
      const start = header?.end ?? 0;
      const first = scanSync(
        oldFd,
        start,
        fstatSync(oldFd).size,
        (r, reader) => copy(r, reader, true),
        setAsideBytes,
      );
      flushOut();
      fdatasyncSync(outFd);
      const folded = fstatSync(outFd);
      // The old file keeps a second name until its late rows are copied below: if this process
      // dies in between, the next writer finds it and copies them (#recoverRewrites).
      backup = `${this.resultsPath}${REWRITE_SUFFIX}${first.position}-${process.pid}-${randomBytes(4).toString('hex')}`;
      linkSync(this.resultsPath, backup);
      renameSync(tmp, this.resultsPath);
      renamed = true;
      // Rows appended to the old file while we copied: copy them too (folded later, by offset).
      const drained = scanSync(
        oldFd,
        first.position,
        fstatSync(oldFd).size,
        (r, reader) => copy(r, reader, false),
        setAsideBytes,
      );
      flushOut();
      unlinkSync(backup);
      if (drained.pending.length > 0) {
        this.#reportTorn(drained.position, drained.pending.length, true);
        setAside.push(Buffer.from(drained.pending));
      }
      setAsideCount = setAside.length;
      if (setAside.length > 0) {
        const aside = `${this.resultsPath}.corrupt-${new Date().toISOString().replaceAll(':', '-')}`;
        writeFileSync(aside, Buffer.concat(setAside));
        this.#warn(
          `set aside ${setAside.length} damaged record(s) of ${this.resultsPath} in ${aside}`,
          'EVALTRACK_SET_ASIDE',
        );
      }
      const merged = withRunFields(runs, previous);
      const state: LeaderboardState = {
        version: 2,
        results: {
          dev: folded.dev,
          ino: folded.ino,
          offset: folded.size,
          fingerprint: fingerprint(outFd, folded.size),
        },
        runs: [...merged.values()],
      };
      writeFileAtomic(this.statePath, JSON.stringify(state));
      writeFileAtomic(this.leaderboardPath, formatLeaderboard(state.runs));
    } catch (e) {
      if (!renamed) {
        rmSync(tmp, { force: true });
        if (backup !== undefined) rmSync(backup, { force: true });
      }
      throw e;
    } finally {
      closeSync(outFd);
      closeSync(oldFd);
    }
    this.#reopen();
    return setAsideCount;
  }

  /**
   * Finishes rewrites that a killed process left half done (caller holds the lock): rows that
   * reached the old file after its copy, kept under `experiment_results.csv.rewrite-<offset>-…`,
   * are appended unless the current file has them; copies never renamed are removed.
   */
  #recoverRewrites(): void {
    const base = basename(this.resultsPath);
    // Temporary files are only made under the lock, which we hold: any found is a dead or failed
    // writer's.
    const temporary = [base, basename(this.leaderboardPath), basename(this.statePath)].map(
      (f) => `${f}.tmp-`,
    );
    for (const name of readdirSync(this.#dir)) {
      if (temporary.some((t) => name.startsWith(t))) {
        rmSync(join(this.#dir, name), { force: true });
        continue;
      }
      const offset = name.startsWith(base + REWRITE_SUFFIX)
        ? Number(name.slice(base.length + REWRITE_SUFFIX.length).split('-')[0])
        : NaN;
      if (!Number.isSafeInteger(offset)) continue;
      const backup = join(this.#dir, name);
      const fd = openSync(backup, 'r');
      try {
        const header = readHeader(fd);
        if (header) this.#appendAbsent(fd, new ResultsLayout(header.names), offset);
      } finally {
        closeSync(fd);
      }
      unlinkSync(backup);
      this.#warn(
        `recovered the rows of an interrupted rewrite of ${this.resultsPath}`,
        'EVALTRACK_RECOVERED',
      );
    }
  }

  /** Appends the records of `fd` from `offset` on that the results file does not hold yet. */
  #appendAbsent(fd: number, layout: ResultsLayout, offset: number): void {
    const late: string[][] = [];
    scanSync(fd, offset, fstatSync(fd).size, (r) => {
      const cells = parseRecord(recordText(r));
      if (cells.length === layout.names.length) late.push(cells);
    });
    if (late.length === 0) return;
    const idOf = (l: ResultsLayout, cells: string[]): string =>
      l.toResultRecord(cells, () => ({})).resultId;
    const current = openSync(this.resultsPath, 'r');
    let out = '';
    try {
      const header = readHeader(current);
      if (!header) return;
      const now = new ResultsLayout(header.names);
      const held = new Set<string>();
      scanSync(current, header.end, fstatSync(current).size, (r) => {
        const cells = parseRecord(recordText(r));
        if (cells.length === now.names.length) held.add(idOf(now, cells));
      });
      const from = now.names.map((n) => layout.indexOf(n) ?? -1);
      for (const cells of late) {
        if (held.has(idOf(layout, cells))) continue;
        out += formatRecord(from.map((i) => (i === -1 ? '' : quoteCell(cells[i] ?? ''))));
      }
    } finally {
      closeSync(current);
    }
    if (out === '') return;
    const append = openSync(this.resultsPath, 'a');
    try {
      writeAll(append, Buffer.from(out));
    } finally {
      closeSync(append);
    }
  }

  /**
   * The runs as last saved (the state file, else the leaderboard file, e.g. written by Python),
   * and which of them `leaderboard.csv` lists: only those outlive their results.
   */
  #previousRuns(): Previous {
    const listed = readLeaderboard(this.leaderboardPath);
    const saved = readState(this.statePath)?.runs ?? listed;
    return {
      saved: new Map(saved.map((r) => [r.runId, r])),
      listed: new Set(listed.map((r) => r.runId)),
    };
  }

  /**
   * The aggregates now: the saved ones, plus the results past the offset they cover (from memory
   * for our own rows, parsed for others'), plus our pending patches. Writes nothing.
   */
  #snapshot(): Snapshot {
    const state = readState(this.statePath);
    let fd: number;
    try {
      fd = openSync(this.resultsPath, 'r');
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw new StoreIoError(`cannot read ${this.resultsPath}`, e);
      // No results file: the runs leaderboard.csv still lists (context-only runs, or results
      // deleted by hand), with what was saved about them.
      const { saved: known, listed } = this.#previousRuns();
      const runs = new Map([...known].filter(([runId]) => listed.has(runId)));
      return { runs: this.#withPatches(runs), folded: null };
    }
    try {
      const st = fstatSync(fd);
      const header = readHeader(fd);
      if (!header) {
        const runs = new Map((state?.runs ?? []).map((r) => [r.runId, r]));
        return { runs: this.#withPatches(runs), folded: null };
      }
      const layout = new ResultsLayout(header.names);
      const saved = state?.results;
      // The same file (an inode number can be reused by a new file), grown only by appends.
      const valid =
        saved != null &&
        saved.dev === st.dev &&
        saved.ino === st.ino &&
        saved.offset >= header.end &&
        saved.offset <= st.size &&
        saved.fingerprint === fingerprint(fd, saved.offset);
      let runs: Map<string, RunAggregate>;
      let from: number;
      if (valid && state) {
        runs = new Map(state.runs.map((r) => [r.runId, r]));
        from = saved.offset;
      } else {
        runs = new Map();
        from = header.end;
      }
      const previous = valid ? undefined : this.#previousRuns();
      const foldRecord = (r: RawRecord, reader: RecordReader): void => {
        if (r.contentEnd === r.start) return;
        const cells = parseRecord(recordText(r));
        if (cells.length !== layout.names.length) {
          this.#reportDamaged(r, reader.resyncAfter(r), cells.length, layout.names.length);
          return;
        }
        this.#foldCells(runs, layout, cells, previous);
      };
      // Walk the unfolded part in file order: our own ranges from memory, the gaps by parsing.
      const own =
        st.ino === this.#ino && st.dev === this.#dev
          ? this.#ranges.filter((r) => r.start >= from)
          : [];
      let pos = from;
      let torn: RecordReader | undefined;
      for (const range of [...own, undefined]) {
        const gapEnd = range ? range.start : st.size;
        if (gapEnd > pos) {
          const reader = scanSync(fd, pos, gapEnd, foldRecord, (at, bytes) =>
            this.#reportDamagedBytes(at, bytes.length),
          );
          pos = reader.position;
          if (reader.pending.length > 0) {
            torn = reader;
            break;
          }
        }
        if (!range || range.end > st.size) break;
        let usable = true;
        const staged = new Map<string, RunAggregate>();
        for (const [runId, delta] of range.runs) {
          const merged = mergeAggregates(
            cloneAggregate(
              runs.get(runId) ?? emptyAggregate(runId, delta.datasetName, delta.projectName),
            ),
            cloneAggregate(delta),
          );
          if (!merged) {
            usable = false;
            break;
          }
          staged.set(runId, merged);
        }
        if (usable) for (const [runId, a] of staged) runs.set(runId, a);
        else scanSync(fd, range.start, range.end, foldRecord);
        pos = range.end;
      }
      if (previous) withRunFields(runs, previous);
      if (torn && pos + torn.pending.length >= st.size)
        this.#reportTorn(pos, torn.pending.length, false);
      return {
        runs: this.#withPatches(runs),
        folded: { dev: st.dev, ino: st.ino, offset: pos, fingerprint: fingerprint(fd, pos) },
      };
    } finally {
      closeSync(fd);
    }
  }

  /** Folds a record read from the file into its run's aggregate. */
  #foldCells(
    runs: Map<string, RunAggregate>,
    layout: ResultsLayout,
    cells: readonly string[],
    previous: Previous | undefined,
  ): void {
    const input = layout.toAggregateInput(cells);
    const run = runs.get(input.runId) ?? (previous && seeded(previous, input.runId));
    if (!run?.scoreColumn) {
      // The run's first scored result picks its column, in the result's own column order (the
      // header's order depends on other runs); the stored output tells that order.
      const text = layout.evaluationResultText(cells);
      if (text !== '') {
        try {
          const result = JSON.parse(text) as EvaluationOutput;
          input.columns = inResultOrder([...input.columns], result, this.#config);
        } catch {
          // Not JSON: header order, as for rows the Python tracker wrote.
        }
      }
    }
    runs.set(input.runId, foldResult(run, input, this.#config.leaderboardScoreKey));
  }

  #withPatches(runs: Map<string, RunAggregate>): Map<string, RunAggregate> {
    for (const [runId, patch] of this.#patches) {
      const base = runs.get(runId);
      const run = base
        ? cloneAggregate(base)
        : emptyAggregate(runId, patch.datasetName, patch.projectName);
      runs.set(runId, applyPatch(run, patch));
    }
    return runs;
  }

  #parseJson(text: string, column: string, offset: number): unknown {
    try {
      return JSON.parse(text);
    } catch {
      this.#warn(
        `the ${column} cell of the record at byte ${offset} of ${this.resultsPath} is not valid JSON; returned as { __invalid_json__: text }`,
        'EVALTRACK_INVALID_JSON',
      );
      return { __invalid_json__: text };
    }
  }

  /** Reports a damaged record; `resumeAt` is where reading went on (-1: after the record). */
  #reportDamaged(r: RawRecord, resumeAt: number, got: number, expected: number): void {
    const end = resumeAt === -1 ? r.fileEnd : resumeAt;
    this.#reportDamagedBytes(
      r.fileStart,
      end - r.fileStart,
      ` (${got} cells where the header has ${expected})`,
    );
  }

  #reportDamagedBytes(fileStart: number, length: number, why = ''): void {
    const key = `damaged:${fileStart}:${length}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#warn(
      `bytes ${fileStart}-${fileStart + length} of ${this.resultsPath} are not a valid record${why}, ` +
        'e.g. a write cut short by kill -9 while others appended; they were skipped, and are set aside at the next header rewrite',
      'EVALTRACK_DAMAGED_RECORD',
    );
  }

  #reportTorn(offset: number, length: number, setAside: boolean): void {
    // Reads come often; say it once per torn record, and again when it is set aside.
    const key = `${offset}:${length}:${setAside}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#warn(
      `${this.resultsPath} ends with an incomplete record (${length} bytes at byte ${offset}, e.g. a write cut short by kill -9); ` +
        (setAside ? 'it was set aside' : 'it was skipped, and will be set aside at the next write'),
      'EVALTRACK_TORN_RECORD',
    );
  }
}
