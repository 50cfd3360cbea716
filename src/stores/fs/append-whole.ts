/**
 * Appending a buffer whole, and cutting back what landed of a write that failed part-way (a full
 * disk), so that readers see all of a call's records or none.
 */
import { fstatSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { StoreIoError, UnstoredResultsError } from '../../errors.js';
import type { ResultRecord } from '../../types.js';
import { isAtPath } from './file-identity.js';

/** A write that failed after `written` bytes of it had landed (a full disk, say). */
export class PartialWriteError extends Error {
  readonly written: number;

  constructor(written: number, cause: unknown) {
    super(`write failed after ${written} bytes`, { cause });
    this.written = written;
  }
}

/** Writes all of `buf`; on failure, throws {@link PartialWriteError} saying how much landed. */
export function writeAll(fd: number, buf: Buffer): void {
  // One write() is what keeps concurrent appends whole; a short write is finished if it can be.
  let done = 0;
  try {
    done = writeSync(fd, buf);
    while (done < buf.length) done += writeSync(fd, buf, done);
  } catch (e) {
    throw new PartialWriteError(done, e);
  }
}

/**
 * Takes back the last `written` bytes of `buf` from the end of the file of `fd`, if they are
 * still its last bytes (nobody appended after them). Returns whether it did.
 */
export function truncateOwnTail(fd: number, buf: Buffer, written: number): boolean {
  if (written === 0) return true;
  const size = fstatSync(fd).size;
  if (size < written) return false;
  const tail = Buffer.allocUnsafe(written);
  if (readSync(fd, tail, 0, written, size - written) !== written) return false;
  if (tail.compare(buf, 0, written) !== 0) return false;
  ftruncateSync(fd, size - written);
  return true;
}

/** A call's records as appended in one buffer, for {@link appendOrTakeBack}. */
export interface AppendedRecords {
  /** Where each record ends in the buffer, in bytes. */
  readonly ends: readonly number[];
  /** The call's results, in buffer order (asked for only when a write fails). */
  results(): readonly ResultRecord[];
  /** Whether a result whose bytes landed is still in the file (it may have been replaced). */
  stillHolds?(resultId: string): boolean;
  /** Closes the file: the next call reopens it, and sets aside a torn tail under the lock. */
  close(): void;
}

/**
 * Appends `buf` to the file at `path` (open as `fd`). When the write fails part-way (a full disk),
 * the bytes that landed are cut off the end of the file again, so that readers see none of the
 * call's records and a retry stores each once. When others appended after them before they could
 * be cut off, the error says exactly which results are not stored.
 */
export function appendOrTakeBack(
  fd: number,
  buf: Buffer,
  path: string,
  records: AppendedRecords,
): void {
  try {
    writeAll(fd, buf);
    return;
  } catch (e) {
    const written = e instanceof PartialWriteError ? e.written : 0;
    const cause = e instanceof PartialWriteError ? e.cause : e;
    let takenBack = false;
    try {
      takenBack = truncateOwnTail(fd, buf, written) && isAtPath(fd, path);
    } catch {
      // Not taken back: said below, record by record.
    }
    records.close();
    const results = records.results();
    const n = results.length;
    if (takenBack) {
      throw new StoreIoError(
        `cannot write ${path}; none of the ${n} result(s) of this call was stored`,
        cause,
      );
    }
    const unstored = results.filter(
      (r, k) =>
        (records.ends[k] ?? Infinity) > written || !(records.stillHolds?.(r.resultId) ?? true),
    );
    throw new UnstoredResultsError(
      `cannot write ${path}: ${n - unstored.length} of the ${n} result(s) of this call were stored, ` +
        `${unstored.length} were not (in error.results; importResults() stores them once)`,
      unstored,
      0,
      cause,
    );
  }
}
