/**
 * The columns of `experiment_results.csv` (csv-format.md): where each group goes, how a header
 * grows when a new metric appears, and how a record reads back as a result.
 */
import { setOwn } from '../../tracker/check-input.js';
import type { ColumnKind } from '../../tracker/flatten-result.js';
import type { OutcomeRow } from '../../tracker/result-store.js';
import { projectOfRunId, resultIdFromContent, sampleIdOf } from '../../tracker/ids.js';
import type { AggregateInput } from '../../tracker/run-aggregate.js';
import type { FlatValue, ResultMeasures, ResultRecord } from '../../types.js';
import { decodeValue, ownCopy, unescapeText } from './csv-codec.js';

export const LEADING_COLUMNS = [
  'run_id',
  'dataset_name',
  'timestamp',
  'evaluator_name',
  'model_name',
] as const;
export const JSON_COLUMNS = ['data', 'metadata'] as const;
/** Ours, after the gllm-evals columns. */
export const OWN_COLUMNS = ['result_id', 'sample_id', 'project_name', 'evaluation_result'] as const;
/**
 * Ours too, last, in a file only once a result with latency, tokens or cost is logged there: a
 * file without measures keeps the header it had (no rewrite of a large file for a column it
 * would not use).
 */
export const MEASURES_COLUMN = 'measures';

type Group = 'leading' | ColumnKind | 'json' | 'own';
const RANK: Record<Group, number> = {
  leading: 0,
  score: 1,
  companion: 2,
  extra: 3,
  json: 4,
  own: 5,
};

const LEADING = new Set<string>(LEADING_COLUMNS);
const JSONS = new Set<string>(JSON_COLUMNS);
const OWN = new Set<string>([...OWN_COLUMNS, MEASURES_COLUMN]);

/** The group of a column already in a header; for metric columns, guessed from its name. */
function groupOf(name: string, kindOf: (name: string) => ColumnKind): Group {
  if (LEADING.has(name)) return 'leading';
  if (JSONS.has(name)) return 'json';
  if (OWN.has(name)) return 'own';
  return kindOf(name);
}

/**
 * The header after adding `columns` that it lacks: each new column goes after the last column of
 * its own group or an earlier one, so groups stay in csv-format.md's order and old columns keep
 * their relative order. Several new columns at one place keep their order within a group, earlier
 * groups first. Linear in the header and the columns: a result may add thousands of them.
 */
export function extendHeader(
  header: readonly string[],
  columns: readonly { name: string; kind: ColumnKind | 'leading' | 'json' | 'own' }[],
  kindOf: (name: string) => ColumnKind,
): string[] {
  const groups = Object.keys(RANK).length;
  // After which old column each group's new columns go: after the last one of a group not later.
  const insertAt = new Array<number>(groups).fill(0);
  for (let i = 0; i < header.length; i++) {
    const rank = RANK[groupOf(header[i] ?? '', kindOf)];
    for (let r = rank; r < groups; r++) insertAt[r] = i + 1;
  }
  const added: string[][] = Array.from({ length: groups }, () => []);
  const present = new Set(header);
  for (const { name, kind } of columns) {
    if (present.has(name)) continue;
    present.add(name);
    added[RANK[kind]]?.push(name);
  }
  const names: string[] = [];
  for (let at = 0; at <= header.length; at++) {
    for (let r = 0; r < groups; r++) {
      if (insertAt[r] === at) for (const name of added[r] ?? []) names.push(name);
    }
    if (at < header.length) names.push(header[at] ?? '');
  }
  return names;
}

/** The header of a new file holding these columns. */
export function newHeader(
  columns: readonly { name: string; kind: ColumnKind }[],
  kindOf: (name: string) => ColumnKind,
): string[] {
  const all = [
    ...LEADING_COLUMNS.map((name) => ({ name, kind: 'leading' as const })),
    ...columns,
    ...JSON_COLUMNS.map((name) => ({ name, kind: 'json' as const })),
    ...OWN_COLUMNS.map((name) => ({ name, kind: 'own' as const })),
  ];
  return extendHeader([], all, kindOf);
}

/** The small cells every result has, in the order the store encodes them. */
export const FIXED_CELLS = [
  'run_id',
  'dataset_name',
  'timestamp',
  'evaluator_name',
  'model_name',
  'result_id',
  'sample_id',
  'project_name',
] as const;

/** Columns written from a result's JSON text rather than from a cell value. */
export type JsonColumn = 'data' | 'metadata' | 'evaluation_result' | typeof MEASURES_COLUMN;
/** The JSON columns every file of ours has. */
const JSON_TEXT_COLUMNS = new Set<string>(['data', 'metadata', 'evaluation_result']);
const JSON_CELLS = new Set<string>([...JSON_TEXT_COLUMNS, MEASURES_COLUMN]);

/**
 * gllm-evals (0.1.41) keeps the whole evaluator output in `eval_result`: read as our
 * `evaluation_result` where a row has none, never as a score value.
 */
export const GLLM_EVAL_RESULT_COLUMN = 'eval_result';

const FIXED = new Set<string>([
  ...LEADING_COLUMNS,
  ...JSON_COLUMNS,
  ...OWN_COLUMNS,
  MEASURES_COLUMN,
  GLLM_EVAL_RESULT_COLUMN,
]);

/**
 * Ids for rows written without one (by the Python tracker), made while reading a file from its
 * start, in order. A row's id is made from its content, so every read and every copy gives it
 * the same id. The first row with a given run, dataset, time, data and metadata keeps the id
 * those alone gave in earlier versions (so a folder copied before is not copied twice); a later
 * one also hashes its evaluator, model and every cell, and how many identical rows came before it
 * (its position), so two distinct rows never share an id.
 */
export class DerivedIds {
  readonly #seen = new Map<string, number>();

  /** The id of the next row read, given its legacy key and its full content. */
  next(timestamp: string, legacyKey: string, content: () => string): string {
    const before = this.#seen.get(legacyKey) ?? 0;
    this.#seen.set(legacyKey, before + 1);
    if (before === 0) return resultIdFromContent(timestamp, legacyKey);
    const full = `${legacyKey}\u0000${content()}`;
    const position = this.#seen.get(full) ?? 0;
    this.#seen.set(full, position + 1);
    return resultIdFromContent(timestamp, `${full}\u0000#${position}`);
  }
}

/** Reads records of one header as results and as leaderboard input. */
export class ResultsLayout {
  readonly names: readonly string[];
  readonly #index: ReadonlyMap<string, number>;
  /** Metric columns (score, companion, extra, or unknown to us), in header order. */
  readonly #valueColumns: readonly (readonly [number, string])[];
  /** Where each of {@link FIXED_CELLS} is in the header (-1 when missing). */
  readonly fixedAt: readonly number[];
  /** Whether the header has every column of {@link FIXED_CELLS} and the JSON columns. */
  readonly hasFixedColumns: boolean;
  /** For each column, the JSON text of a result it holds, if it is one of those. */
  readonly jsonAt: readonly (JsonColumn | undefined)[];

  constructor(names: readonly string[]) {
    this.names = names;
    this.jsonAt = names.map((n) => (JSON_CELLS.has(n) ? (n as JsonColumn) : undefined));
    this.fixedAt = FIXED_CELLS.map((n) => names.indexOf(n));
    this.hasFixedColumns =
      this.fixedAt.every((i) => i !== -1) && [...JSON_TEXT_COLUMNS].every((n) => names.includes(n));
    this.#index = new Map(names.map((n, i) => [n, i]));
    this.#valueColumns = names.flatMap((n, i) => (FIXED.has(n) ? [] : [[i, n] as const]));
  }

  indexOf(name: string): number | undefined {
    return this.#index.get(name);
  }

  has(name: string): boolean {
    return this.#index.has(name);
  }

  #cell(cells: readonly string[], name: string): string {
    const i = this.#index.get(name);
    return i === undefined ? '' : (cells[i] ?? '');
  }

  /** The JSON text of a record's whole evaluator output: ours, else gllm-evals' `eval_result`. */
  evaluationResultText(cells: readonly string[]): string {
    return this.#cell(cells, 'evaluation_result') || this.#cell(cells, GLLM_EVAL_RESULT_COLUMN);
  }

  /** The run id of a record, from its cells. */
  runIdOf(cells: readonly string[]): string {
    return unescapeText(cells[this.#index.get('run_id') ?? 0] ?? '');
  }

  /**
   * A record's sample id: its cell, else made from its data as the tracker makes it (rows
   * written by Python). Data that is not JSON gives the id {@link toResultRecord} gives it.
   */
  sampleIdOf(cells: readonly string[]): string {
    const cell = unescapeText(this.#cell(cells, 'sample_id'));
    if (cell !== '') return cell;
    const text = this.#cell(cells, 'data');
    let data: unknown = {};
    try {
      if (text !== '') data = JSON.parse(text);
    } catch {
      data = { __invalid_json__: text };
    }
    return sampleIdOf(data as Record<string, unknown>);
  }

  /** What the narrow read needs of a record: `columns` values only, and its trial. */
  toOutcomeRow(cells: readonly string[], columns: readonly string[]): OutcomeRow {
    const values: Record<string, FlatValue> = {};
    for (const c of columns) {
      const i = FIXED.has(c) ? undefined : this.#index.get(c);
      const value = i === undefined ? undefined : decodeValue(cells[i] ?? '');
      if (value !== undefined) setOwn(values, c, value);
    }
    let trial: unknown = null;
    const measures = this.#cell(cells, MEASURES_COLUMN);
    try {
      if (measures !== '') trial = (JSON.parse(measures) as ResultMeasures | null)?.trial;
    } catch {
      // Reported when the record is read whole; here it only has no trial.
    }
    return {
      runId: this.runIdOf(cells),
      datasetName: unescapeText(this.#cell(cells, 'dataset_name')),
      sampleId: this.sampleIdOf(cells),
      trial: typeof trial === 'number' ? trial : null,
      values,
    };
  }

  #values(cells: readonly string[]): { name: string; value: FlatValue }[] {
    const out: { name: string; value: FlatValue }[] = [];
    for (const [i, name] of this.#valueColumns) {
      const value = decodeValue(cells[i] ?? '');
      if (value !== undefined) out.push({ name, value });
    }
    return out;
  }

  /** What the leaderboard needs of a record. */
  toAggregateInput(cells: readonly string[]): AggregateInput {
    const runId = this.runIdOf(cells);
    const datasetName = unescapeText(this.#cell(cells, 'dataset_name'));
    const timestamp = this.#cell(cells, 'timestamp');
    const project = this.#cell(cells, 'project_name');
    return {
      runId,
      datasetName,
      projectName: project !== '' ? unescapeText(project) : projectOfRunId(runId, datasetName),
      evaluatorName: unescapeText(this.#cell(cells, 'evaluator_name')) || 'unknown',
      modelName: unescapeText(this.#cell(cells, 'model_name')) || 'unknown',
      timestamp,
      columns: this.#values(cells),
      measures: this.#measures(cells, (text) => JSON.parse(text) as unknown),
    };
  }

  /** A record's measures, or null (none, or a file without the column). */
  #measures(
    cells: readonly string[],
    parseJson: (text: string, column: string) => unknown,
  ): ResultMeasures | null {
    const text = this.#cell(cells, MEASURES_COLUMN);
    return text === '' ? null : (parseJson(text, MEASURES_COLUMN) as ResultMeasures);
  }

  /** A record as a result. `parseJson` reports cells that are not valid JSON. */
  toResultRecord(
    cells: readonly string[],
    parseJson: (text: string, column: string) => unknown,
    ids: DerivedIds = new DerivedIds(),
  ): ResultRecord {
    const runId = this.runIdOf(cells);
    const datasetName = unescapeText(this.#cell(cells, 'dataset_name'));
    const timestamp = this.#cell(cells, 'timestamp');
    const dataText = this.#cell(cells, 'data');
    const metadataText = this.#cell(cells, 'metadata');
    const evalText = this.evaluationResultText(cells);
    const data = (dataText === '' ? {} : parseJson(dataText, 'data')) as Record<string, unknown>;
    const resultId =
      this.#cell(cells, 'result_id') ||
      ids.next(
        timestamp,
        [runId, datasetName, timestamp, dataText, metadataText].join('\u0000'),
        () =>
          // Every non-empty cell under its name: the same whatever columns a rewrite added.
          JSON.stringify(
            this.names
              .map((n, i) => [n, cells[i] ?? ''])
              .filter(([, c]) => c !== '')
              .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)),
          ),
      );
    // The strings a result keeps are copied out of the record's text (see ownCopy).
    return {
      resultId: ownCopy(resultId),
      sampleId: ownCopy(unescapeText(this.#cell(cells, 'sample_id')) || sampleIdOf(data)),
      runId: ownCopy(runId),
      datasetName: ownCopy(datasetName),
      timestamp: ownCopy(timestamp),
      evaluatorName: ownCopy(unescapeText(this.#cell(cells, 'evaluator_name')) || 'unknown'),
      modelName: ownCopy(unescapeText(this.#cell(cells, 'model_name')) || 'unknown'),
      values: Object.fromEntries(
        this.#values(cells).map((c) => [
          c.name,
          typeof c.value === 'string' ? ownCopy(c.value) : c.value,
        ]),
      ),
      data,
      metadata: (metadataText === '' ? {} : parseJson(metadataText, 'metadata')) as Record<
        string,
        unknown
      >,
      evaluationResult:
        evalText === ''
          ? null
          : (parseJson(evalText, 'evaluation_result') as Record<string, unknown>),
      measures: this.#measures(cells, parseJson),
    };
  }
}
