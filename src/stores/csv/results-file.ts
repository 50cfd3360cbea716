/**
 * Reading the records of a CSV results file: its header, the records of a byte range, and a quick
 * look at a record's first cell. (Appending, torn ends and fingerprints are in `../fs/`.)
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { bomLength, parseRecord, unescapeText } from './csv-codec.js';
import { RecordReader } from './record-reader.js';
import type { RawRecord } from './record-reader.js';

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

/** The header of the file at `path`, or `null` when there is no such file or it is empty. */
export function readHeaderAt(path: string): { names: string[]; end: number } | null {
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
