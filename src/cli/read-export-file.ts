/**
 * Reads back what `export` writes to a file, JSONL or flat CSV, result by result, streaming, with
 * the line each result starts on, so that a bad one can be named.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { EvaltrackError } from '../errors.js';
import { bomLength, parseRecord } from '../stores/csv/csv-codec.js';
import { RecordReader } from '../stores/csv/record-reader.js';
import { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { ResultStore } from '../tracker/result-store.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { flatCsvColumns, flatCsvRecord } from './flat-csv.js';

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

/** The export formats `import` reads, by file name. */
export const exportFormatOf = (file: string): 'jsonl' | 'csv' | null =>
  /\.jsonl$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : null;

/**
 * The results of an export file. `onLines` is told of every line read, blank ones included, for
 * progress against {@link countLines}.
 */
export function readExportFile(
  file: string,
  format: 'jsonl' | 'csv',
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
    let columns: string[] | undefined;
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

/** A store that keeps nothing: the tracker's checks, run over a file before anything is stored. */
class NoStore implements ResultStore {
  append(): void {}
  patchRun(): void {}
  async sync(): Promise<void> {}
  async listRuns(): Promise<RunSummary[]> {
    return [];
  }
  async *readRun(): AsyncGenerator<ResultRecord> {}
  async close(): Promise<void> {}
}

class CheckingTracker extends BaseExperimentTracker {
  constructor() {
    super('evaltrack', { store: new NoStore() });
  }
}

/**
 * Reads a whole export file and puts every result through the checks `importResults` makes,
 * storing nothing; resolves with the number of results, or rejects with a {@link BadLineError}
 * naming the first bad line.
 */
export async function checkExportFile(
  file: string,
  format: 'jsonl' | 'csv',
  onLines?: (n: number) => void,
): Promise<number> {
  let line = 0;
  let count = 0;
  const records = async function* (): AsyncGenerator<ResultRecord> {
    for await (const r of readExportFile(file, format, onLines)) {
      line = r.line;
      count++;
      yield r.record;
    }
  };
  const checker = new CheckingTracker();
  try {
    await checker.importResults(records());
  } catch (e) {
    if (e instanceof BadLineError || !(e instanceof EvaltrackError)) throw e;
    // The tracker names the record by its place in the stream; the line says more.
    const reason = e.message
      .replace(/^\[evaltrack\] /, '')
      .replace(/\brecords\[\d+\]\./g, '')
      .replace(/\brecords\[\d+\]/g, 'the record');
    throw new BadLineError(file, line, reason);
  } finally {
    await checker.close();
  }
  return count;
}
