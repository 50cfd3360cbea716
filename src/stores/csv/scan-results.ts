/**
 * One streaming pass over the results file, in file order and bounded memory, yielding what a
 * reader picks of each record: damaged records are skipped and reported, a record torn short is
 * resynced past, as every reader of the file needs.
 */
import { open } from 'node:fs/promises';
import { StoreIoError } from '../../errors.js';
import { errnoOf } from '../fs/errno.js';
import { parseRecord } from './csv-codec.js';
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

/**
 * What `pick` (made for the file's header) takes of every record of the file at `path`, in file
 * order; nothing when there is no such file.
 */
export async function* scanResults<T>(
  path: string,
  damage: DamageReports,
  pick: (layout: ResultsLayout) => RecordPicker<T>,
): AsyncGenerator<T> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    throw new StoreIoError(`cannot read ${path}`, e);
  }
  try {
    const size = (await handle.stat()).size;
    const header = readHeader(handle.fd);
    if (!header) return;
    const layout = new ResultsLayout(header.names);
    const picker = pick(layout);
    const reader = new RecordReader(header.end);
    /** The record's cells, or undefined (reported) when it has not as many as the header. */
    const cellsOf = (r: RawRecord): string[] | undefined => {
      const cells = parseRecord(recordText(r));
      if (cells.length === layout.names.length) return cells;
      damage.damaged(r, reader.resyncAfter(r), cells.length, layout.names.length);
      return undefined;
    };
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
        if (picker.quick && !RecordReader.hasInnerLineFeed(r) && !picker.quick(r)) continue;
        const cells = cellsOf(r);
        const taken = cells && picker.take(cells, r);
        if (taken !== undefined) yield taken;
      }
    }
    for (let damaged = reader.resyncPending(); damaged; damaged = reader.resyncPending()) {
      damage.damagedBytes(damaged.fileStart, damaged.bytes.length);
      for (let r = reader.next(); r; r = reader.next()) {
        const cells = cellsOf(r);
        const taken = cells && picker.take(cells, r);
        if (taken !== undefined) yield taken;
      }
    }
    if (reader.pending.length > 0) damage.torn(reader.position, reader.pending.length, false);
  } finally {
    await handle.close();
  }
}
