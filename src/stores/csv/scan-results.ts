/**
 * One streaming pass over the results file, in file order and bounded memory, yielding what a
 * reader picks of each record: damaged records are skipped and reported, a record torn short is
 * resynced past, as every reader of the file needs.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { StoreIoError } from '../../errors.js';
import { errnoOf } from '../fs/errno.js';
import { parseRecord, unescapeText } from './csv-codec.js';
import type { DamageReports } from './damage-reports.js';
import { RecordReader } from './record-reader.js';
import type { RawRecord } from './record-reader.js';
import { readHeader, recordText } from './results-file.js';
import { ResultsLayout } from './results-layout.js';

/** What a reader takes of the records of one file. */
export interface RecordPicker<T> {
  /**
   * Whether a record may be wanted, from its bytes alone (records are decoded only when it says
   * so, or when they look damaged). @default every record
   */
  quick?: (r: RawRecord) => boolean;
  /** What to yield for a record's cells, or undefined to pass over it. */
  take(cells: string[], r: RawRecord): T | undefined;
}

/** Called with every whole record a scan passes (not the damaged ones), and its run id. */
export type RecordObserver = (r: RawRecord, runId: string) => void;

/**
 * The run id in a record's first cell: its bytes when unquoted (the usual case), else decoded.
 * It is the run id when the header's first column is `run_id`.
 */
export function firstCellOf(r: RawRecord): string {
  const { buf, start, contentEnd } = r;
  if (buf[start] === 0x22) return unescapeText(parseRecord(recordText(r))[0] ?? '');
  let end = buf.indexOf(0x2c, start);
  if (end === -1 || end > contentEnd) end = contentEnd;
  return unescapeText(buf.toString('utf8', start, end));
}

/**
 * The record's cells, or undefined (reported) when it has not as many as the header; reading goes
 * on past a record torn short (see {@link RecordReader.resyncAfter}).
 */
export function cellsOf(
  r: RawRecord,
  reader: RecordReader,
  layout: ResultsLayout,
  damage: DamageReports,
): string[] | undefined {
  const cells = parseRecord(recordText(r));
  if (cells.length === layout.names.length) return cells;
  damage.damaged(r, reader.resyncAfter(r), cells.length, layout.names.length);
  return undefined;
}

/**
 * What `picker` takes of the records of `[from, size)` of an open results file, `from` being the
 * start of a record. `observe`, when given, sees every whole record before the first damaged or
 * incomplete tail. Returns the offset up to which records were observed: a later scan may start
 * there and find what this one would have.
 */
export async function* scanRecords<T>(
  handle: FileHandle,
  layout: ResultsLayout,
  from: number,
  size: number,
  picker: RecordPicker<T>,
  damage: DamageReports,
  observe?: RecordObserver,
): AsyncGenerator<T, number> {
  const reader = new RecordReader(from);
  let pos = from;
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
      if (picker.quick && !RecordReader.hasInnerLineFeed(r) && !picker.quick(r)) {
        observe?.(r, firstCellOf(r));
        continue;
      }
      const cells = cellsOf(r, reader, layout, damage);
      if (!cells) continue;
      observe?.(r, layout.runIdOf(cells));
      const taken = picker.take(cells, r);
      if (taken !== undefined) yield taken;
    }
  }
  const observed = reader.position;
  for (let damaged = reader.resyncPending(); damaged; damaged = reader.resyncPending()) {
    damage.damagedBytes(damaged.fileStart, damaged.bytes.length);
    for (let r = reader.next(); r; r = reader.next()) {
      const cells = cellsOf(r, reader, layout, damage);
      const taken = cells && picker.take(cells, r);
      if (taken !== undefined) yield taken;
    }
  }
  if (reader.pending.length > 0) damage.torn(reader.position, reader.pending.length, false);
  return observed;
}

/** Opens the results file for reading, or undefined when there is none. */
export async function openResults(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw new StoreIoError(`cannot read ${path}`, e);
  }
}

/**
 * What `pick` (made for the file's header) takes of every record of the file at `path`, in file
 * order; nothing when there is no such file.
 */
export async function* scanResults<T>(
  path: string,
  damage: DamageReports,
  pick: (layout: ResultsLayout) => RecordPicker<T>,
): AsyncGenerator<T> {
  const handle = await openResults(path);
  if (!handle) return;
  try {
    const size = (await handle.stat()).size;
    const header = readHeader(handle.fd);
    if (!header) return;
    const layout = new ResultsLayout(header.names);
    yield* scanRecords(handle, layout, header.end, size, pick(layout), damage);
  } finally {
    await handle.close();
  }
}
