/**
 * The append protocol of the results file. Each call writes its rows with one `write()` on an
 * `O_APPEND` descriptor, so rows of concurrent writers never interleave or overwrite each other,
 * and nothing is locked per row. The lock is taken only to create the file, repair a torn tail,
 * extend the header, or append again rows that a concurrent rewrite's copy missed. A write that
 * fails part-way is cut back off the file, so a call stores all its results or none.
 */
import {
  closeSync,
  constants,
  existsSync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { EvaltrackError, StoreIoError } from '../../errors.js';
import type { ColumnKind } from '../../tracker/flatten-result.js';
import { recordOf } from '../../tracker/result-store.js';
import type { PreparedResult } from '../../tracker/result-store.js';
import type { AggregateInput } from '../../tracker/run-aggregate.js';
import { appendOrTakeBack, writeAll } from '../fs/append-whole.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { errnoOf } from '../fs/errno.js';
import { fileContains } from '../fs/file-contains.js';
import { sameFile } from '../fs/file-identity.js';
import { endsTorn, gluedToTornRecord } from '../fs/torn-tail.js';
import type { CsvFolder } from './csv-folder.js';
import { recoverRewrites, rewriteResults } from './header-rewrite.js';
import type { FoldedUpTo } from './leaderboard-file.js';
import type { OwnRange, OwnRows } from './leaderboard-snapshot.js';
import { readHeader } from './results-file.js';
import { addRange, bufferEdgeDigest, createIndex, segmentLine } from './results-index.js';
import { newHeader, ResultsLayout } from './results-layout.js';
import { FIXED_COLUMNS, formatHeader, neededColumns, RowEncoder } from './row-encoder.js';
import type { NamedColumn } from './row-encoder.js';

/** How many index lines a writer appends between checks that the index is still at its path. */
const CHECK_INDEX_EVERY = 16;

/** One store's open results file, and the rows it wrote there. */
export class ResultsAppender {
  readonly #folder: CsvFolder;
  readonly #encoder: RowEncoder;
  #fd: number | undefined;
  #dev = 0;
  #ino = 0;
  #layout: ResultsLayout | undefined;
  /** File size after our last write: a write that starts there is known to be ours alone. */
  #lastEnd = 0;
  /** Whether the byte before `#lastEnd` is the end of our own last row (a line feed). */
  #lastEndIsOurs = false;
  /** The index, open for appending (see `#index`). */
  #indexFd: number | undefined;
  #ranges: OwnRange[] = [];
  /** Index lines written since the index file was last seen at its path (see `#checkIndex`). */
  readonly #unchecked: string[] = [];

  constructor(folder: CsvFolder) {
    this.#folder = folder;
    this.#encoder = new RowEncoder(folder.resultsPath, folder.warn);
  }

  /** The rows this process wrote at known places, for folding them from memory. */
  get ownRows(): OwnRows {
    return { file: { dev: this.#dev, ino: this.#ino }, ranges: this.#ranges };
  }

  /** Forgets our rows that saved aggregates now cover. */
  forgetFolded(folded: FoldedUpTo): void {
    if (folded.ino !== this.#ino) return;
    const offset = folded.offset;
    this.#ranges = this.#ranges.filter((r) => r.start >= offset);
  }

  /** Appends the results as rows, all of them or (with an error saying so) none. */
  append(results: readonly PreparedResult[]): void {
    const path = this.#folder.resultsPath;
    // Encode everything first: text a CSV cell cannot hold fails here, before any write.
    const cells = results.map((r) => this.#encoder.cellsOf(r));
    try {
      let placed = this.#fd === undefined ? null : this.#placeColumns(results);
      if (!placed) {
        const needed = neededColumns(results);
        this.#openForWrite(needed);
        placed = this.#placeColumns(results);
        if (!placed) {
          placed = this.#folder.locked(() => {
            this.reopen();
            if (!this.#placeColumns(results)) this.rewrite(needed);
            return this.#placeColumns(results);
          });
        }
      }
      if (!placed) throw new StoreIoError(`the header of ${path} lacks columns it was given`);
      this.#write(results, cells, placed);
    } catch (e) {
      throw e instanceof EvaltrackError ? e : new StoreIoError(`cannot write ${path}`, e);
    }
  }

  /** Rewrites the file with `columns` added (see `rewriteResults`; caller holds the lock). */
  rewrite(columns: NamedColumn[]): number {
    const setAside = rewriteResults(this.#folder, columns);
    this.reopen();
    // Every record moved: the old index describes another file. A new one covering nothing yet
    // has the next reader index the whole file in the scan it makes anyway.
    this.#newIndex();
    return setAside;
  }

  /** (Re)opens the file at the path; the caller holds the lock or accepts a later re-check. */
  reopen(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    // 'a+': appends go to the end whatever the position, and the header can be read from the
    // very file we append to.
    const fd = openSync(this.#folder.resultsPath, 'a+');
    const st = fstatSync(fd);
    const header = readHeader(fd);
    this.#fd = fd;
    this.#dev = st.dev;
    this.#ino = st.ino;
    this.#layout = new ResultsLayout(header?.names ?? []);
    this.#lastEnd = st.size;
    this.#lastEndIsOurs = false;
    this.#ranges = [];
    this.#closeIndex();
  }

  /** Makes everything written durable against power loss (once, rather than per row), and closes. */
  close(): void {
    this.#checkIndex();
    this.#closeIndex();
    if (this.#fd === undefined) return;
    fdatasyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  #placeColumns(results: readonly PreparedResult[]): number[][] | null {
    return this.#encoder.placeColumns(this.#layout, results);
  }

  /** Opens the results file for appending, creating it, or repairing a torn tail, first. */
  #openForWrite(columns: NamedColumn[]): void {
    if (this.#fd !== undefined) return;
    const folder = this.#folder;
    folder.locked(() => {
      mkdirSync(folder.dir, { recursive: true });
      recoverRewrites(folder);
      let fd: number | undefined;
      try {
        fd = openSync(folder.resultsPath, 'r');
        if (fstatSync(fd).size === 0) this.#create(columns);
        else if (endsTorn(fd)) {
          this.reopen();
          this.rewrite([]);
        }
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') throw e;
        this.#create(columns);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      if (this.#fd === undefined) this.reopen();
      // A folder that Python (or an evaltrack without the index) wrote gets one now; readers
      // never add a file to a folder.
      if (!existsSync(folder.indexPath)) this.#newIndex();
    });
  }

  #create(columns: NamedColumn[]): void {
    const metrics = columns.filter(
      (c): c is { name: string; kind: ColumnKind } =>
        c.kind === 'score' || c.kind === 'companion' || c.kind === 'extra',
    );
    const names = newHeader(metrics, this.#folder.rules.kindOfColumn);
    writeFileAtomic(this.#folder.resultsPath, formatHeader(names));
    this.reopen();
    this.#newIndex();
  }

  /**
   * Starts the index of the open results file, covering none of its records (caller holds the
   * lock): readers index what it does not cover as they scan it.
   */
  #newIndex(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    try {
      const header = readHeader(fd);
      if (header) createIndex(this.#folder.indexPath, fd, fstatSync(fd), header.end);
    } catch {
      // The index is a cache: without one, readers scan.
    }
  }

  #write(results: readonly PreparedResult[], cells: string[][], placed: number[][]): void {
    const fd = this.#fd;
    if (fd === undefined) throw new StoreIoError('results file is not open');
    const buf = this.#encoder.encodeRows(this.#layout, results, cells, placed);
    this.#appendOrTakeBack(fd, buf, results);
    this.#encoder.releaseLargeBuffer();
    // Is the file we wrote to still the one at the path? A rewrite renames a new file over it;
    // our rows are then in the old one, unless the rewrite copied them.
    const st = statSync(this.#folder.resultsPath, { throwIfNoEntry: false });
    if (!st || !sameFile(st, { dev: this.#dev, ino: this.#ino })) {
      this.#folder.locked(() => this.#appendMissing(results, cells));
      return;
    }
    const start = st.size - buf.length;
    const alone = start === this.#lastEnd; // nothing written by others since our last write
    this.#lastEnd = st.size;
    // The index takes rows only where it is sure a reader finds them: at a known place, whole,
    // after a line feed (ours, or looked at; not glued to another writer's torn record).
    const afterOurs = this.#lastEndIsOurs;
    this.#lastEndIsOurs = false;
    if (alone) {
      this.#remember(start, st.size, results);
      if (afterOurs || landedAt(fd, start, null)) this.#index(start, buf, results);
    } else if (landedAt(fd, start, buf)) {
      this.#index(start, buf, results);
    } else if (gluedToTornRecord(fd, st.size, buf)) {
      // Another writer was killed in the middle of a record and ours went on the end of it:
      // unreadable there, so write it again (the damaged record is reported and set aside).
      this.#appendOrTakeBack(fd, buf, results);
      this.#lastEnd += buf.length;
      return;
    }
    this.#lastEndIsOurs = true;
  }

  /**
   * Appends to the index (when there is one) a segment for our rows, which landed at `start`:
   * each run's records in them. A writer killed before this line, or an index line lost, costs
   * the next reader a scan of these rows, nothing more.
   */
  #index(start: number, buf: Buffer, results: readonly PreparedResult[]): void {
    const runs = new Map<string, number[]>();
    const ends = this.#encoder.rowEnds;
    let at = 0;
    for (let k = 0; k < results.length; k++) {
      const end = ends[k] as number;
      addRange(runs, (results[k] as PreparedResult).runId, start + at, start + end);
      at = end;
    }
    const line = segmentLine(start, start + buf.length, bufferEdgeDigest(buf), runs);
    try {
      // No O_CREAT: a folder without an index gets one when a writer opens it under the lock.
      this.#indexFd ??= openSync(this.#folder.indexPath, constants.O_WRONLY | constants.O_APPEND);
      writeSync(this.#indexFd, line);
    } catch {
      // The index is a cache: its next reader scans these rows.
      this.#closeIndex();
      return;
    }
    this.#unchecked.push(line);
    if (this.#unchecked.length >= CHECK_INDEX_EVERY) this.#checkIndex();
  }

  /**
   * Makes sure the lines written since the last check are in the index at the path: a reader
   * that rewrote the index renamed a new file over ours (no link left), and then they go to the
   * new one, in one write. Checked every few calls rather than after each (an `fstat` per call),
   * as a line reaches the new file either way; until then, a reader scans those rows.
   */
  #checkIndex(): void {
    if (this.#unchecked.length === 0) return;
    const lines = this.#unchecked.splice(0);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        if (this.#indexFd !== undefined && fstatSync(this.#indexFd).nlink > 0) return;
        this.#closeIndex();
        this.#indexFd = openSync(this.#folder.indexPath, constants.O_WRONLY | constants.O_APPEND);
        writeSync(this.#indexFd, lines.join(''));
      } catch {
        // The index is a cache: its next reader scans these rows.
        this.#closeIndex();
        return;
      }
    }
  }

  #closeIndex(): void {
    if (this.#indexFd !== undefined) closeSync(this.#indexFd);
    this.#indexFd = undefined;
    // They describe the file the descriptor was for; the next reader scans what they covered.
    this.#unchecked.length = 0;
  }

  #appendOrTakeBack(fd: number, buf: Buffer, results: readonly PreparedResult[]): void {
    appendOrTakeBack(fd, buf, this.#folder.resultsPath, {
      ends: this.#encoder.rowEnds,
      results: () => results.map(recordOf),
      // A rewrite may have replaced the file after our rows landed, without them.
      stillHolds: (resultId) => this.#fileHolds(resultId),
      close: () => this.#closeFd(),
    });
  }

  #fileHolds(resultId: string): boolean {
    try {
      return fileContains(this.#folder.resultsPath, resultId);
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
      const input: AggregateInput = {
        runId: r.runId,
        datasetName: r.datasetName,
        projectName: r.projectName,
        evaluatorName: r.evaluatorName,
        modelName: r.modelName,
        timestamp: r.timestamp,
        columns: r.columns,
        measures: r.measures,
      };
      range.runs.set(r.runId, this.#folder.rules.fold(range.runs.get(r.runId), input));
    }
  }

  /**
   * Our rows went to a file that a rewrite replaced. Under the lock (no rewrite can run), find
   * which of them the rewrite's copy holds and append the rest to the current file. Rows of one
   * write reach the copy as a prefix, so a binary search over them finds the first missing one.
   */
  #appendMissing(results: readonly PreparedResult[], cells: string[][]): void {
    const path = this.#folder.resultsPath;
    this.reopen();
    const columns = new Map<string, NamedColumn>();
    for (const c of FIXED_COLUMNS) columns.set(c.name, c);
    for (const r of results) for (const c of r.columns) columns.set(c.name, c);
    if ([...columns.keys()].some((n) => !this.#layout?.has(n))) this.rewrite([...columns.values()]);
    let missing: number[];
    if (results.length <= 64) {
      missing = results.flatMap((r, k) => (fileContains(path, r.resultId) ? [] : [k]));
    } else {
      // A big batch reaches the copy as a prefix of its rows: search for the first one missing.
      let lo = 0;
      let hi = results.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (fileContains(path, results[mid]?.resultId ?? '')) lo = mid + 1;
        else hi = mid;
      }
      missing = results.slice(lo).map((_, k) => lo + k);
    }
    if (missing.length === 0) return;
    const fd = this.#fd;
    if (fd === undefined) throw new StoreIoError('results file is not open');
    const rest = missing.map((k) => results[k] as PreparedResult);
    const placed = this.#placeColumns(rest);
    if (!placed) throw new StoreIoError(`the header of ${path} lacks columns it was given`);
    const rows = missing.map((k) => cells[k] as string[]);
    writeAll(fd, this.#encoder.encodeRows(this.#layout, rest, rows, placed));
    this.#lastEnd = fstatSync(fd).size;
  }
}

/**
 * Whether `start` of the file follows a line feed (where a reader finds a record start) and, when
 * `buf` is given, holds it: then our rows landed there, with others' rows after them only.
 */
function landedAt(fd: number, start: number, buf: Buffer | null): boolean {
  if (start < 1) return false;
  const there = Buffer.allocUnsafe((buf?.length ?? 0) + 1);
  if (readSync(fd, there, 0, there.length, start - 1) !== there.length) return false;
  return there[0] === 0x0a && (!buf || there.compare(buf, 0, buf.length, 1) === 0);
}
