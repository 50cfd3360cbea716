/**
 * What the CSV store does to the bytes of a results file: read its header, cut it into records,
 * append whole, tell a torn end from a write still landing, fingerprint it.
 */
import { createHash } from 'node:crypto';
import { fstatSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { bomLength, parseRecord, unescapeText } from './csv-codec.js';
import { sleep } from './file-lock.js';
import { RecordReader } from './record-reader.js';
import type { RawRecord } from './record-reader.js';

/**
 * Whether a file ends in the middle of a record that is not being written: a large write of
 * another process may be landing, so a growing file is watched until it stops growing.
 */
export function endsTorn(fd: number): boolean {
  const last = Buffer.alloc(1);
  let size = -1;
  for (let tries = 0; tries < 50; tries++) {
    const now = fstatSync(fd).size;
    if (now === 0) return false;
    readSync(fd, last, 0, 1, now - 1);
    if (last[0] === 0x0a) return false;
    if (now === size) return true;
    size = now;
    sleep(20);
  }
  return true;
}

/**
 * Whether the rows just written follow a record cut short (no line feed before them). Others may
 * have appended after them before the file's size was read, so they are looked for in the file's
 * tail, in a window that widens up to 4 MiB past them.
 */
export function gluedToTornRecord(fd: number, size: number, rows: Buffer): boolean {
  for (let margin = 64 * 1024; margin <= 4 * 1024 * 1024; margin *= 4) {
    const from = Math.max(0, size - rows.length - margin - 1);
    const tail = Buffer.allocUnsafe(size - from);
    const n = readSync(fd, tail, 0, tail.length, from);
    const at = tail.subarray(0, n).lastIndexOf(rows);
    if (at > 0) return tail[at - 1] !== 0x0a;
    if (at === 0) {
      if (from === 0) return false;
      const before = Buffer.alloc(1);
      readSync(fd, before, 0, 1, from - 1);
      return before[0] !== 0x0a;
    }
    if (from === 0) return false;
  }
  return false;
}

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

/** Reads the header record at the start of a file: its names and the offset after it. */
export function readHeader(fd: number): { names: string[]; end: number } | null {
  const reader = new RecordReader(0, 64 * 1024);
  let pos = 0;
  for (;;) {
    const space = reader.space();
    const n = readSync(fd, space.buf, space.offset, space.length, pos);
    reader.filled(n);
    pos += n;
    const first = reader.next();
    if (first) {
      const bom = bomLength(first.buf);
      return {
        names: parseRecord(first.buf.toString('utf8', first.start + bom, first.contentEnd)).map(
          unescapeText,
        ),
        end: first.fileEnd,
      };
    }
    if (n === 0) return null;
  }
}

/** Calls `onRecord` for each complete record of `fd` in `[from, to)`; returns where they end. */
export function scanSync(
  fd: number,
  from: number,
  to: number,
  onRecord: (r: RawRecord, reader: RecordReader) => void,
  onDamaged?: (fileStart: number, bytes: Buffer) => void,
): RecordReader {
  const reader = new RecordReader(from);
  let pos = from;
  while (pos < to) {
    const space = reader.space();
    const n = readSync(fd, space.buf, space.offset, Math.min(space.length, to - pos), pos);
    if (n === 0) break;
    reader.filled(n);
    pos += n;
    for (let r = reader.next(); r; r = reader.next()) onRecord(r, reader);
  }
  for (let damaged = reader.resyncPending(); damaged; damaged = reader.resyncPending()) {
    onDamaged?.(damaged.fileStart, damaged.bytes);
    for (let r = reader.next(); r; r = reader.next()) onRecord(r, reader);
  }
  return reader;
}

export const recordText = (r: RawRecord): string => r.buf.toString('utf8', r.start, r.contentEnd);

/**
 * A digest of the first bytes of a results file, up to `offset`: appends never change them, a
 * new file in place of the old one does.
 */
export function fingerprint(fd: number, offset: number): string {
  const buf = Buffer.alloc(Math.min(offset, 64 * 1024));
  const n = readSync(fd, buf, 0, buf.length, 0);
  return createHash('sha256').update(buf.subarray(0, n)).digest('hex').slice(0, 32);
}

/** Whether a record's first cell (the run id) is `runId`, looking at bytes only when it can. */
export function firstCellMatches(r: RawRecord, wanted: readonly Buffer[], runId: string): boolean {
  const { buf, start, contentEnd } = r;
  if (buf[start] === 0x22) return unescapeText(parseRecord(recordText(r))[0] ?? '') === runId;
  let end = buf.indexOf(0x2c, start);
  if (end === -1 || end > contentEnd) end = contentEnd;
  return wanted.some(
    (w) => w.length === end - start && buf.compare(w, 0, w.length, start, end) === 0,
  );
}
