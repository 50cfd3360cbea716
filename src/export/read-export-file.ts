/**
 * Reads back what `writeExportFile` writes, JSONL or flat CSV, result by result, streaming,
 * with the line each result starts on, so that a bad one can be named.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { EvaltrackError } from '../errors.js';
import { bomLength, parseRecord } from '../stores/csv/csv-codec.js';
import { RecordReader } from '../stores/csv/record-reader.js';
import type { ResultRecord } from '../types.js';
import { flatCsvColumns, flatCsvRecord } from './flat-csv.js';
import type { FlatCsvLayout } from './flat-csv.js';

/** The formats of an export file: our JSON Lines, or the flat CSV. */
export type ExportFormat = 'jsonl' | 'csv';

/** A result of an export file and the line it starts on (1 is the first). */
export interface NumberedRecord {
  line: number;
  record: ResultRecord;
}

/** A line of an export file that is not a result. */
export class BadLineError extends EvaltrackError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super('E_INVALID_ARGUMENT', `${file} line ${line}: ${reason}`);
  }
}

/** The format of an export file, by its name; `null` for a name of neither. */
export const exportFormatOf = (file: string): ExportFormat | null =>
  /\.jsonl$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : null;

/**
 * The results of an export file. `onLines` is told of every line read, blank ones included, for
 * progress against {@link countLines}.
 */
export function readExportFile(
  file: string,
  format: ExportFormat,
  onLines: (n: number) => void = () => {},
): AsyncGenerator<NumberedRecord> {
  return format === 'jsonl' ? readJsonl(file, onLines) : readFlatCsv(file, onLines);
}

async function* readJsonl(
  file: string,
  onLines: (n: number) => void,
): AsyncGenerator<NumberedRecord> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    onLines(1);
    if (text.trim() === '') continue;
    let record: ResultRecord;
    try {
      record = JSON.parse(text) as ResultRecord;
    } catch (e) {
      throw new BadLineError(file, line, `not JSON (${(e as Error).message})`);
    }
    yield { line, record };
  }
}

async function* readFlatCsv(
  file: string,
  onLines: (n: number) => void,
): AsyncGenerator<NumberedRecord> {
  const handle = await open(file, 'r');
  try {
    const reader = new RecordReader(0);
    let line = 1;
    let columns: FlatCsvLayout | undefined;
    let ended = false;
    let first = true;
    while (!ended) {
      const space = reader.space();
      const { bytesRead } = await handle.read(space.buf, space.offset, space.length, null);
      if (bytesRead === 0) {
        ended = true;
        // A last record without its line terminator is still a record.
        if (reader.pending.length === 0) break;
        const end = reader.space();
        end.buf[end.offset] = 0x0a;
        reader.filled(1);
      } else {
        reader.filled(bytesRead);
      }
      for (let r = reader.next(); r; r = reader.next()) {
        const start = line;
        const end = r.start + (r.fileEnd - r.fileStart);
        for (let lf = r.buf.indexOf(0x0a, r.start); lf !== -1 && lf < end;) {
          line++;
          lf = r.buf.indexOf(0x0a, lf + 1);
        }
        onLines(line - start);
        const from = first ? r.start + bomLength(r.buf.subarray(r.start, r.contentEnd)) : r.start;
        first = false;
        if (r.contentEnd === from) continue;
        const cells = parseRecord(r.buf.toString('utf8', from, r.contentEnd));
        if (!columns) {
          const named = flatCsvColumns(cells);
          if (typeof named === 'string') throw new BadLineError(file, start, named);
          columns = named;
          continue;
        }
        let record: ResultRecord;
        try {
          record = flatCsvRecord(cells, columns);
        } catch (e) {
          throw new BadLineError(file, start, (e as Error).message);
        }
        yield { line: start, record };
      }
    }
    if (reader.pending.length > 0) {
      throw new BadLineError(file, line, 'a quoted cell is never closed (the file is cut short?)');
    }
  } finally {
    await handle.close();
  }
}

/** The lines of a file (a last line without its newline counted), for a progress total. */
export async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    last = chunk[chunk.length - 1] ?? last;
  }
  return last === 10 ? lines : lines + 1;
}
