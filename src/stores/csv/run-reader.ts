/**
 * Reading one run's results back from the results file, in file order, in bounded memory: most
 * records are other runs', so their first cell's bytes are compared before anything is decoded.
 */
import { open } from 'node:fs/promises';
import { StoreIoError } from '../../errors.js';
import type { ResultRecord } from '../../types.js';
import { errnoOf } from '../fs/errno.js';
import { encodeText, parseRecord } from './csv-codec.js';
import type { DamageReports } from './damage-reports.js';
import { RecordReader } from './record-reader.js';
import type { RawRecord } from './record-reader.js';
import { firstCellMatches, readHeader, recordText } from './results-file.js';
import { DerivedIds, ResultsLayout } from './results-layout.js';

/**
 * The results of run `runId` in the file at `path` (none when there is no such file); damaged
 * records are skipped and reported to `damage`.
 */
export async function* readRunRecords(
  path: string,
  runId: string,
  damage: DamageReports,
): AsyncGenerator<ResultRecord> {
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
    const wanted = [Buffer.from(runId)];
    // A run id UTF-8 cannot hold is in no file; one with a formula prefix is stored escaped.
    if (!runId.isWellFormed()) return;
    wanted.push(Buffer.from(encodeText(runId, 'runId')));
    const reader = new RecordReader(header.end);
    const ids = new DerivedIds();
    const toRecord = (r: RawRecord, cells: string[]): ResultRecord =>
      layout.toResultRecord(
        cells,
        (text, column) => damage.parseJson(text, column, r.fileStart),
        ids,
      );
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
          damage.damaged(r, reader.resyncAfter(r), cells.length, layout.names.length);
          continue;
        }
        // The byte comparison can be fooled by escapes (run `=x` is stored as `'=x`).
        if (layout.runIdOf(cells) !== runId) continue;
        yield toRecord(r, cells);
      }
    }
    for (let damaged = reader.resyncPending(); damaged; damaged = reader.resyncPending()) {
      damage.damagedBytes(damaged.fileStart, damaged.bytes.length);
      for (let r = reader.next(); r; r = reader.next()) {
        const cells = parseRecord(recordText(r));
        if (cells.length !== layout.names.length) {
          damage.damaged(r, reader.resyncAfter(r), cells.length, layout.names.length);
        } else if (layout.runIdOf(cells) === runId) {
          yield toRecord(r, cells);
        }
      }
    }
    if (reader.pending.length > 0) damage.torn(reader.position, reader.pending.length, false);
  } finally {
    await handle.close();
  }
}
