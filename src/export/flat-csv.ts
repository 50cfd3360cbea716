/**
 * The flat CSV that `writeExportFile` writes and `readExportFile` reads back (`evaltrack export
 * --format csv`, `import`): one row per result, the identity columns, one column per score value
 * (the union over the exported runs), then the JSON cells. Cells are read by position, so a value
 * column named like a fixed column (`data`) is safe.
 */
import {
  decodeValue,
  encodeText,
  encodeValue,
  formatRecord,
  quoteCell,
  unescapeText,
} from '../stores/csv/csv-codec.js';
import type { FlatValue, ResultRecord } from '../types.js';

const HEAD = [
  'result_id',
  'sample_id',
  'run_id',
  'dataset_name',
  'timestamp',
  'evaluator_name',
  'model_name',
] as const;
const TAIL = ['data', 'metadata', 'evaluation_result', 'measures'] as const;
/** Exports of earlier versions end without `measures`; they read back without measures. */
const OLD_TAIL = TAIL.slice(0, -1);

/** The header record for these value columns. */
export function flatCsvHeader(columns: readonly string[]): string {
  return formatRecord([...HEAD, ...columns, ...TAIL].map((h) => encodeText(h, 'column name')));
}

/** One result as a record of the file whose value columns are `columns`. */
export function flatCsvRow(r: ResultRecord, columns: readonly string[]): string {
  return formatRecord([
    encodeText(r.resultId, 'resultId'),
    encodeText(r.sampleId, 'sampleId'),
    encodeText(r.runId, 'runId'),
    encodeText(r.datasetName, 'datasetName'),
    encodeText(r.timestamp, 'timestamp'),
    encodeText(r.evaluatorName, 'evaluatorName'),
    encodeText(r.modelName, 'modelName'),
    ...columns.map((c) => {
      const v = r.values[c];
      return v === undefined ? '' : encodeValue(v, c);
    }),
    quoteCell(JSON.stringify(r.data)),
    quoteCell(JSON.stringify(r.metadata)),
    r.evaluationResult === null ? '' : quoteCell(JSON.stringify(r.evaluationResult)),
    r.measures === null ? '' : quoteCell(JSON.stringify(r.measures)),
  ]);
}

/** The layout of a flat CSV's header: its value columns, and whether it has `measures`. */
export interface FlatCsvLayout {
  columns: string[];
  hasMeasures: boolean;
}

/**
 * The value columns named by a header, or a reason why it is not the header of our flat CSV.
 */
export function flatCsvColumns(header: readonly string[]): FlatCsvLayout | string {
  const names = header.map(unescapeText);
  const endsWith = (tail: readonly string[]): boolean =>
    names.length >= HEAD.length + tail.length &&
    HEAD.every((h, i) => names[i] === h) &&
    tail.every((t, i) => names[names.length - tail.length + i] === t);
  const tail = endsWith(TAIL) ? TAIL : endsWith(OLD_TAIL) ? OLD_TAIL : null;
  if (!tail) {
    return `not a CSV that evaltrack exported: its header must start with ${HEAD.join(',')} and end with ${TAIL.join(',')} (a gllm-evals folder is imported by naming the folder)`;
  }
  return {
    columns: names.slice(HEAD.length, names.length - tail.length),
    hasMeasures: tail === TAIL,
  };
}

/** A record of the file back to a result; throws a message naming the bad cell. */
export function flatCsvRecord(cells: readonly string[], layout: FlatCsvLayout): ResultRecord {
  const { columns } = layout;
  const width = HEAD.length + columns.length + (layout.hasMeasures ? TAIL : OLD_TAIL).length;
  if (cells.length !== width) {
    throw new Error(`${cells.length} cells where the header has ${width}`);
  }
  const text = (i: number): string => unescapeText(cells[i] ?? '');
  const json = (i: number, name: string): unknown => {
    try {
      return JSON.parse(cells[i] ?? '') as unknown;
    } catch (e) {
      throw new Error(`the ${name} cell is not JSON (${(e as Error).message})`, { cause: e });
    }
  };
  // fromEntries defines own properties: a column named `__proto__` stays data.
  const values = Object.fromEntries(
    columns.flatMap((c, i): [string, FlatValue][] => {
      const v = decodeValue(cells[HEAD.length + i] ?? '');
      return v === undefined ? [] : [[c, v]];
    }),
  );
  const at = HEAD.length + columns.length;
  return {
    resultId: text(0),
    sampleId: text(1),
    runId: text(2),
    datasetName: text(3),
    timestamp: text(4),
    evaluatorName: text(5),
    modelName: text(6),
    values,
    data: json(at, 'data') as ResultRecord['data'],
    metadata: json(at + 1, 'metadata') as ResultRecord['metadata'],
    evaluationResult:
      cells[at + 2] === ''
        ? null
        : (json(at + 2, 'evaluation_result') as ResultRecord['evaluationResult']),
    measures:
      !layout.hasMeasures || cells[at + 3] === ''
        ? null
        : (json(at + 3, 'measures') as ResultRecord['measures']),
  };
}
