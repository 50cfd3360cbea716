/**
 * The warnings a damaged results file gets (a torn tail, a record with the wrong number of cells,
 * a cell that is not JSON), each said once per place, however often the file is read.
 */
import type { RawRecord } from './record-reader.js';

/** Reports damage found while reading (a torn or malformed record, a cell that is not JSON). */
export type WarningHandler = (message: string, code: string) => void;

/** The damage reports of one results file. */
export class DamageReports {
  readonly #path: string;
  readonly #warn: WarningHandler;
  readonly #reported = new Set<string>();

  constructor(path: string, warn: WarningHandler) {
    this.#path = path;
    this.#warn = warn;
  }

  /** A record's JSON cell, or `{ __invalid_json__: text }` with a warning when it is not JSON. */
  parseJson(text: string, column: string, offset: number): unknown {
    try {
      return JSON.parse(text);
    } catch {
      this.#warn(
        `the ${column} cell of the record at byte ${offset} of ${this.#path} is not valid JSON; returned as { __invalid_json__: text }`,
        'EVALTRACK_INVALID_JSON',
      );
      return { __invalid_json__: text };
    }
  }

  /** Reports a damaged record; `resumeAt` is where reading went on (-1: after the record). */
  damaged(r: RawRecord, resumeAt: number, got: number, expected: number): void {
    const end = resumeAt === -1 ? r.fileEnd : resumeAt;
    this.damagedBytes(
      r.fileStart,
      end - r.fileStart,
      ` (${got} cells where the header has ${expected})`,
    );
  }

  /** Reports bytes that are not a record (skipped by a reader that found its footing after them). */
  damagedBytes(fileStart: number, length: number, why = ''): void {
    const key = `damaged:${fileStart}:${length}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#warn(
      `bytes ${fileStart}-${fileStart + length} of ${this.#path} are not a valid record${why}, ` +
        'e.g. a write cut short by kill -9 while others appended; they were skipped, and are set aside at the next header rewrite',
      'EVALTRACK_DAMAGED_RECORD',
    );
  }

  /** Reports an incomplete last record: skipped by a read, or `setAside` by a rewrite. */
  torn(offset: number, length: number, setAside: boolean): void {
    // Reads come often; say it once per torn record, and again when it is set aside.
    const key = `${offset}:${length}:${setAside}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#warn(
      `${this.#path} ends with an incomplete record (${length} bytes at byte ${offset}, e.g. a write cut short by kill -9); ` +
        (setAside ? 'it was set aside' : 'it was skipped, and will be set aside at the next write'),
      'EVALTRACK_TORN_RECORD',
    );
  }

  /** Reports records set aside by a rewrite, and where they went. */
  setAside(count: number, aside: string): void {
    this.#warn(
      `set aside ${count} damaged record(s) of ${this.#path} in ${aside}`,
      'EVALTRACK_SET_ASIDE',
    );
  }
}
