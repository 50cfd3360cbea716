/**
 * Results as the bytes of CSV rows: cells encoded (and refused) before anything is written, each
 * result's columns placed in the file's header, and a batch's rows written into one reused buffer.
 */
import { StoreIoError } from '../../errors.js';
import type { ColumnKind, FlatColumn } from '../../tracker/flatten-result.js';
import type { PreparedResult } from '../../tracker/result-store.js';
import {
  CRLF,
  encodeText,
  encodeValue,
  formatRecord,
  overPythonFieldLimit,
  PYTHON_CSV_FIELD_LIMIT,
} from './csv-codec.js';
import type { WarningHandler } from './damage-reports.js';
import { JSON_COLUMNS, LEADING_COLUMNS, MEASURES_COLUMN, OWN_COLUMNS } from './results-layout.js';
import type { ResultsLayout } from './results-layout.js';

/** A column a results file must have, with what kind of column it is. */
export type NamedColumn = { name: string; kind: ColumnKind | 'leading' | 'json' | 'own' };

/** The columns every results file has, whatever its results. */
export const FIXED_COLUMNS: NamedColumn[] = [
  ...LEADING_COLUMNS.map((name) => ({ name, kind: 'leading' as const })),
  ...JSON_COLUMNS.map((name) => ({ name, kind: 'json' as const })),
  ...OWN_COLUMNS.map((name) => ({ name, kind: 'own' as const })),
];

/** Every column a file needs to hold these results, fixed ones included. */
export function neededColumns(results: readonly PreparedResult[]): NamedColumn[] {
  const columns = new Map<string, NamedColumn>();
  for (const c of FIXED_COLUMNS) columns.set(c.name, c);
  for (const r of results) {
    for (const c of r.columns) if (!columns.has(c.name)) columns.set(c.name, c);
    if (r.measures) columns.set(MEASURES_COLUMN, { name: MEASURES_COLUMN, kind: 'own' });
  }
  return [...columns.values()];
}

/** A header record: names quoted and formula-escaped like any text (metric keys are user text). */
export const formatHeader = (names: readonly string[]): string =>
  formatRecord(names.map((n) => encodeText(n, `column name ${JSON.stringify(n)}`)));

/** Where the quotes of the text just written are, in the buffer (reused: one per row cell). */
const quotesAt: number[] = [];

/**
 * Writes `text` at `pos` as a quoted CSV cell, its quotes doubled, and returns its length in
 * bytes; the caller has made room for 3 bytes per UTF-16 unit plus 2. Doubling the quotes of the
 * bytes in place costs less than building the doubled string (`replaceAll`) and copying it.
 */
export function writeQuoted(buf: Buffer, pos: number, text: string): number {
  buf[pos] = 0x22;
  const start = pos + 1;
  const n = buf.write(text, start);
  const end = start + n;
  let count = 0;
  if (n === text.length) {
    // ASCII only (any other character takes 2 bytes or more): the text's offsets are the bytes'.
    for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1))
      quotesAt[count++] = start + i;
  } else {
    for (let i = buf.indexOf(0x22, start); i !== -1 && i < end; i = buf.indexOf(0x22, i + 1))
      quotesAt[count++] = i;
  }
  // From the last quote back, each stretch moves right by the quotes before it, plus one.
  let stretchEnd = end;
  for (let q = count - 1; q >= 0; q--) {
    const at = quotesAt[q] as number;
    buf.copyWithin(at + q + 2, at + 1, stretchEnd);
    buf[at + q + 1] = 0x22;
    buf[at + q] = 0x22;
    stretchEnd = at + 1;
  }
  buf[end + count] = 0x22;
  return n + count + 2;
}

function sameNames(a: readonly FlatColumn[], b: readonly FlatColumn[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]?.name !== b[i]?.name) return false;
  return true;
}

/** Encodes the rows of one results file; keeps its caches and buffer from one batch to the next. */
export class RowEncoder {
  readonly #path: string;
  readonly #warn: WarningHandler;
  #writeBuffer = Buffer.allocUnsafe(64 * 1024);
  /** Where each row of the last encoded batch ends in its buffer. */
  readonly #rowEnds: number[] = [];
  #lastPlacement:
    { layout: ResultsLayout; columns: readonly FlatColumn[]; at: number[] } | undefined;
  // The identity cells repeat from one result to the next: encode each once.
  readonly #encoded = new Map<string, string>();
  // Columns already reported as holding a cell too large for Python's csv module.
  readonly #warnedLarge = new Set<string>();

  /** `path` is the results file, named in the warning about cells Python cannot read. */
  constructor(path: string, warn: WarningHandler) {
    this.#path = path;
    this.#warn = warn;
  }

  /** Where each row of the last {@link RowEncoder.encodeRows} batch ends in its bytes. */
  get rowEnds(): readonly number[] {
    return this.#rowEnds;
  }

  /** The small cells of a result: the fixed ones in `FIXED_CELLS` order, then its values. */
  cellsOf(r: PreparedResult): string[] {
    const where = `result of run ${r.runId}`;
    const cells = [
      this.#encodeRepeated(r.runId, 'runId'),
      this.#encodeRepeated(r.datasetName, 'datasetName'),
      r.timestamp,
      this.#encodeRepeated(r.evaluatorName, `${where}: evaluator_name`),
      this.#encodeRepeated(r.modelName, `${where}: model_name`),
      r.resultId,
      encodeText(r.sampleId, `${where}: sample id`),
      this.#encodeRepeated(r.projectName, 'projectName'),
    ];
    for (const c of r.columns) {
      // Only text can be refused: the place named in its error is built for text alone.
      cells.push(encodeValue(c.value, typeof c.value === 'string' ? `${where}: ${c.name}` : ''));
    }
    return cells;
  }

  #encodeRepeated(text: string, where: string): string {
    let cell = this.#encoded.get(text);
    if (cell === undefined) {
      cell = encodeText(text, where);
      if (this.#encoded.size > 10_000) this.#encoded.clear();
      this.#encoded.set(text, cell);
    }
    return cell;
  }

  /**
   * Where each result's columns go in `layout`'s header, or `null` when the header lacks one of
   * them (or a fixed column).
   */
  placeColumns(
    layout: ResultsLayout | undefined,
    results: readonly PreparedResult[],
  ): number[][] | null {
    if (!layout?.hasFixedColumns) return null;
    const placed: number[][] = [];
    const hasMeasures = layout.has(MEASURES_COLUMN);
    for (const r of results) {
      if (r.measures && !hasMeasures) return null;
      // Results of one evaluator share their columns: the last placement usually fits again.
      const last = this.#lastPlacement;
      if (last && last.layout === layout && sameNames(last.columns, r.columns)) {
        placed.push(last.at);
        continue;
      }
      const at: number[] = [];
      for (const c of r.columns) {
        // The name is a header cell: refuse what it could not hold before anything is written.
        encodeText(c.name, `result of run ${r.runId}: column name`);
        const i = layout.indexOf(c.name);
        if (i === undefined) return null;
        at.push(i);
      }
      this.#lastPlacement = { layout, columns: r.columns, at };
      placed.push(at);
    }
    return placed;
  }

  /**
   * The rows' CSV bytes, encoded row by row into a buffer reused across calls: no batch-sized
   * string is built, which keeps large batches out of the garbage collector's way. The bytes are
   * valid until the next call.
   */
  encodeRows(
    layout: ResultsLayout | undefined,
    results: readonly PreparedResult[],
    cells: readonly string[][],
    placed: readonly number[][],
  ): Buffer {
    if (!layout) throw new StoreIoError('results file is not open');
    const { names, jsonAt } = layout;
    let buf = this.#writeBuffer;
    let pos = 0;
    const room = (bytes: number): void => {
      if (pos + bytes > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(2 * buf.length, pos + bytes));
        buf.copy(bigger, 0, 0, pos);
        buf = bigger;
      }
    };
    const fixedAt = layout.fixedAt;
    const rowEnds = this.#rowEnds;
    rowEnds.length = results.length;
    const row: string[] = new Array<string>(names.length);
    // A batch shares one metadata object: serialise it once.
    let lastMetadata: unknown;
    let lastMetadataJson = '';
    const metadataJson = (m: Record<string, unknown>): string => {
      if (m !== lastMetadata) {
        lastMetadata = m;
        lastMetadataJson = JSON.stringify(m);
      }
      return lastMetadataJson;
    };
    for (let k = 0; k < results.length; k++) {
      const r = results[k] as PreparedResult;
      const small = cells[k] as string[];
      for (let f = 0; f < fixedAt.length; f++) row[fixedAt[f] as number] = small[f] as string;
      const at = placed[k] as number[];
      for (let c = 0; c < at.length; c++) {
        row[at[c] as number] = small[fixedAt.length + c] as string;
      }
      // The cells between JSON cells go as one string; each JSON cell is quoted in the buffer.
      let text = '';
      for (let i = 0; i < names.length; i++) {
        if (i > 0) text += ',';
        const json = jsonAt[i];
        if (json === undefined) {
          const cell = row[i] ?? '';
          if (cell.length > PYTHON_CSV_FIELD_LIMIT) this.#checkCellSize(names[i], cell, r);
          text += cell;
          row[i] = '';
          continue;
        }
        // Serialised here rather than earlier, so a batch never holds all of its JSON text.
        const value =
          json === 'data'
            ? JSON.stringify(r.data)
            : json === 'metadata'
              ? metadataJson(r.metadata)
              : json === 'evaluation_result'
                ? r.keepEvaluationResult
                  ? JSON.stringify(r.evaluationResult)
                  : ''
                : r.measures
                  ? JSON.stringify(r.measures)
                  : '';
        if (!value) continue;
        // At most 3 bytes per UTF-16 unit, a quote doubled included, and the two quotes.
        room(text.length * 3 + value.length * 3 + 2);
        pos += buf.write(text, pos);
        text = '';
        const length = writeQuoted(buf, pos, value);
        // Python counts the characters of the field, its quotes undoubled: the JSON text.
        if (value.length > PYTHON_CSV_FIELD_LIMIT) {
          this.#checkCellSize(names[i], `"${value.replaceAll('"', '""')}"`, r);
        }
        pos += length;
      }
      text += CRLF;
      room(text.length * 3);
      pos += buf.write(text, pos);
      rowEnds[k] = pos;
    }
    this.#writeBuffer = buf;
    return buf.subarray(0, pos);
  }

  /** Keeps the buffer for the next batch, but not the memory of one huge one (e.g. 10 MB cells). */
  releaseLargeBuffer(): void {
    if (this.#writeBuffer.length > 32 * 1024 * 1024) {
      this.#writeBuffer = Buffer.allocUnsafe(64 * 1024);
    }
  }

  /** Warns, once per column, of a cell Python's `csv` module cannot read without a raised limit. */
  #checkCellSize(column: string | undefined, cell: string | undefined, r: PreparedResult): void {
    if (column === undefined || cell === undefined || this.#warnedLarge.has(column)) return;
    if (!overPythonFieldLimit(cell)) return;
    this.#warnedLarge.add(column);
    this.#warn(
      `a cell of column ${JSON.stringify(column)} (result ${r.resultId} of run ${JSON.stringify(r.runId)}) holds more than ${PYTHON_CSV_FIELD_LIMIT.toLocaleString('en')} characters, more than Python's csv module reads by default: Python readers of ${this.#path} must call csv.field_size_limit(sys.maxsize) first (pandas and evaltrack read it as it is); further cells of this column are not reported`,
      'EVALTRACK_LARGE_CELL',
    );
  }
}
