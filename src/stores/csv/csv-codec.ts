/**
 * The CSV dialect of gllm-evals files (RFC 4180, CRLF records) plus spreadsheet-formula protection,
 * and a record scanner fast enough to find one run's rows in a file of hundreds of megabytes: it
 * hops between quotes and newlines with `Buffer.indexOf` and decodes only the records it is asked to.
 */
import { InvalidInputError } from '../../errors.js';
import type { FlatValue } from '../../types.js';
import { pyFloatRepr } from '../../tracker/python-format.js';

export const CRLF = '\r\n';
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

// A cell a spreadsheet would run as a formula, possibly behind apostrophes that a previous
// escape added; see csv-format.md.
const FORMULA = /^'*[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** Quotes a cell when RFC 4180 requires it. */
export function quoteCell(s: string): string {
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * A text cell: formula-escaped with one leading `'` (removed again by {@link unescapeText}) and
 * quoted. Text that UTF-8 cannot hold (lone surrogates) is refused rather than mangled.
 */
export function encodeText(s: string, where: string): string {
  if (!s.isWellFormed()) {
    throw new InvalidInputError(
      'E_NOT_SERIALIZABLE',
      `${where} holds a lone surrogate, which a UTF-8 CSV cell cannot store (JSON cells such as data can)`,
      where,
    );
  }
  return quoteCell(FORMULA.test(s) ? `'${s}` : s);
}

/** The most characters Python's `csv` module reads in one field, unless raised (`csv.field_size_limit()`). */
export const PYTHON_CSV_FIELD_LIMIT = 131_072;

/**
 * Whether Python's `csv` module, at its default limit, refuses `cell` (as written: quoted or
 * not). Python counts the characters of the unquoted field, code points, not UTF-16 units.
 */
export function overPythonFieldLimit(cell: string): boolean {
  if (cell.length <= PYTHON_CSV_FIELD_LIMIT) return false;
  const field = cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell;
  if (field.length > 2 * PYTHON_CSV_FIELD_LIMIT) return true;
  let chars = 0;
  for (const _ of field) chars++;
  return chars > PYTHON_CSV_FIELD_LIMIT;
}

/** Undoes the formula escape of {@link encodeText}. */
export function unescapeText(s: string): string {
  return s.charCodeAt(0) === 0x27 && FORMULA.test(s.slice(1)) ? s.slice(1) : s;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
// Text in a value column that would read back as a number or a boolean, possibly behind
// apostrophes that a previous escape added: it gets the same one `'` as a formula.
const LOOKS_TYPED = /^'*(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|True|False)$/;

/**
 * A flattened value as gllm-evals writes it: floats as Python prints them, `True`/`False`. Text
 * that would read back as a formula, a number or a boolean gets one leading `'`, so that
 * {@link decodeValue} returns every value with its type.
 */
export function encodeValue(v: FlatValue, where: string): string {
  if (typeof v === 'number') return pyFloatRepr(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return LOOKS_TYPED.test(v) ? quoteCell(`'${v}`) : encodeText(v, where);
}

/** Reads a value cell back: `''` is no value, `True`/`False` booleans, numbers numbers. */
export function decodeValue(cell: string): FlatValue | undefined {
  if (cell === '') return undefined;
  if (cell === 'True') return true;
  if (cell === 'False') return false;
  if (NUMBER.test(cell)) return Number(cell);
  if (cell.charCodeAt(0) === 0x27 && LOOKS_TYPED.test(cell.slice(1))) return cell.slice(1);
  return unescapeText(cell);
}

/**
 * `s` as a string of its own. A cell {@link parseRecord} cut out of its record's text is, in V8, a
 * view of that text (a sliced string, from 13 characters on), which keeps the whole record alive as
 * long as the cell lives: a result that keeps its ids and names would hold the 4 KB of its CSV row,
 * twice the memory of the result itself. Cells that are kept get copied.
 */
export const ownCopy = (s: string): string =>
  s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');

/** Splits one record (without its line terminator) into cells. */
export function parseRecord(text: string): string[] {
  const cells: string[] = [];
  let pos = 0;
  const n = text.length;
  for (;;) {
    if (text.charCodeAt(pos) === QUOTE) {
      let value = '';
      let from = pos + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1) {
          // Unterminated: the scanner only hands over complete records, so keep what is there.
          value += text.slice(from);
          pos = n;
          break;
        }
        value += text.slice(from, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          from = q + 2;
        } else {
          pos = q + 1;
          break;
        }
      }
      // Anything between the closing quote and the comma is kept, as Python's reader does.
      const comma = text.indexOf(',', pos);
      if (comma === -1) {
        cells.push(value + text.slice(pos));
        return cells;
      }
      cells.push(value + text.slice(pos, comma));
      pos = comma + 1;
    } else {
      const comma = text.indexOf(',', pos);
      if (comma === -1) {
        cells.push(text.slice(pos));
        return cells;
      }
      cells.push(text.slice(pos, comma));
      pos = comma + 1;
    }
  }
}

/**
 * Finds the end of the record that starts at `from` in `buf` (whose length is the end of the valid
 * bytes): the index just past its line feed, or -1 when the record is not complete in the buffer.
 * `out.contentEnd` receives the end of the record without its terminator.
 */
export function findRecordEnd(buf: Buffer, from: number, out: { contentEnd: number }): number {
  let pos = from;
  // The next line feed is searched again only once the quotes have carried us past it, so a
  // record with many quoted sections is still scanned once.
  let lf = buf.indexOf(LF, pos);
  for (;;) {
    const q = buf.indexOf(QUOTE, pos);
    if (lf === -1 && q === -1) return -1;
    if (lf !== -1 && (q === -1 || q > lf)) {
      out.contentEnd = lf > from && buf[lf - 1] === CR ? lf - 1 : lf;
      return lf + 1;
    }
    // A quoted section: skip to its closing quote. `""` inside reads as close-and-reopen.
    const close = buf.indexOf(QUOTE, q + 1);
    if (close === -1) return -1;
    pos = close + 1;
    if (lf !== -1 && lf < pos) lf = buf.indexOf(LF, pos);
  }
}

/** The UTF-8 byte order mark some writers put first. */
export function bomLength(buf: Buffer): number {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
}

/** Encodes a list of cells as one record with its CRLF. */
export function formatRecord(cells: readonly string[]): string {
  return cells.join(',') + CRLF;
}
