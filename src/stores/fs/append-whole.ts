/**
 * Appending a buffer whole, and cutting back what landed of a write that failed part-way (a full
 * disk), so that readers see all of a call's records or none.
 */
import { fstatSync, ftruncateSync, readSync, writeSync } from 'node:fs';

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
