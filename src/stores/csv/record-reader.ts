/**
 * Cuts a byte stream into CSV records without decoding it. The caller reads into `space()` (sync
 * or async, as it likes) and takes complete records with `next()`; a record larger than the buffer
 * grows it, so cells of any size work.
 */
import { findRecordEnd } from './csv-codec.js';

/** A complete record: `buf[start, contentEnd)` without its line terminator. */
export interface RawRecord {
  buf: Buffer;
  start: number;
  contentEnd: number;
  /** File offsets of the record's first byte and of the byte after its terminator. */
  fileStart: number;
  fileEnd: number;
}

const CHUNK = 4 * 1024 * 1024;

export class RecordReader {
  #buf: Buffer;
  #filled = 0;
  #at = 0;
  #bufOffset: number;
  readonly #out = { contentEnd: 0 };

  /** `from` is the file offset of the first byte that will be read. */
  constructor(from: number, chunkSize = CHUNK) {
    this.#bufOffset = from;
    this.#buf = Buffer.allocUnsafe(chunkSize);
  }

  /** Where the next read goes: compacts the buffer first, and grows it when a record fills it. */
  space(): { buf: Buffer; offset: number; length: number } {
    if (this.#at > 0) {
      this.#buf.copy(this.#buf, 0, this.#at, this.#filled);
      this.#bufOffset += this.#at;
      this.#filled -= this.#at;
      this.#at = 0;
    }
    if (this.#filled === this.#buf.length) {
      const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
      this.#buf.copy(bigger, 0, 0, this.#filled);
      this.#buf = bigger;
    }
    return { buf: this.#buf, offset: this.#filled, length: this.#buf.length - this.#filled };
  }

  /** Records that `n` bytes were read into `space()`. */
  filled(n: number): void {
    this.#filled += n;
  }

  /** The next complete record, or `undefined` until more bytes are read. */
  next(): RawRecord | undefined {
    if (this.#at >= this.#filled) return undefined;
    const view = this.#buf.subarray(0, this.#filled);
    const end = findRecordEnd(view, this.#at, this.#out);
    if (end === -1) return undefined;
    const start = this.#at;
    this.#at = end;
    return {
      buf: view,
      start,
      contentEnd: this.#out.contentEnd,
      fileStart: this.#bufOffset + start,
      fileEnd: this.#bufOffset + end,
    };
  }

  /**
   * Whether a record has a line feed inside it. Records written by evaltrack have none (JSON cells
   * escape newlines), so one that does is either text with newlines or a record torn short that
   * swallowed the next ones, and is worth a closer look.
   */
  static hasInnerLineFeed(r: RawRecord): boolean {
    const lf = r.buf.indexOf(0x0a, r.start);
    return lf !== -1 && lf < r.contentEnd;
  }

  /**
   * After a damaged record `r` (the last one taken), goes back to the line after its first line
   * feed, so that a record torn short (an unterminated quote) does not swallow the records after
   * it. Returns the file offset reading resumes at, or -1 when there is no line feed inside.
   */
  resyncAfter(r: RawRecord): number {
    const lf = r.buf.indexOf(0x0a, r.start);
    if (lf === -1 || lf >= r.contentEnd) return -1;
    this.#at = lf + 1;
    return this.#bufOffset + lf + 1;
  }

  /**
   * At the end of the input, when the bytes left over hold a line feed: a record torn inside a
   * quote, which made the records after it look like part of one unterminated cell. Goes back to
   * the line after that line feed and returns the damaged bytes, or `undefined` when there are none.
   */
  resyncPending(): { fileStart: number; bytes: Buffer } | undefined {
    const lf = this.#buf.indexOf(0x0a, this.#at);
    if (lf === -1 || lf >= this.#filled) return undefined;
    const damaged = {
      fileStart: this.#bufOffset + this.#at,
      bytes: this.#buf.subarray(this.#at, lf + 1),
    };
    this.#at = lf + 1;
    return damaged;
  }

  /** File offset just past the last complete record taken. */
  get position(): number {
    return this.#bufOffset + this.#at;
  }

  /** Bytes read but not part of a complete record (a torn tail, once the input has ended). */
  get pending(): Buffer {
    return this.#buf.subarray(this.#at, this.#filled);
  }
}
