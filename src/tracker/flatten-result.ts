/**
 * The score-key rules, written once for every store: which leaves of an evaluator output become
 * columns, under which dotted names, in which order.
 */
import { InvalidInputError } from '../errors.js';
import { assertJsonable } from './python-format.js';
import type { EvaluationOutput, FlatValue } from '../types.js';

/** The group a column belongs to, in the order groups appear in a results file. */
export type ColumnKind = 'score' | 'companion' | 'extra';

/** One flattened column of one result. */
export interface FlatColumn {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly value: FlatValue;
}

/** How an evaluator output is flattened. */
export interface FlattenConfig {
  /** A bare key (every leaf of that name), a dotted path, or an array path. */
  readonly scoreKey: string | readonly string[];
  /** Fields beside each score leaf written as `<path>.<field>`, e.g. `success`. */
  readonly companionFields: readonly string[];
  /** Keys of each top-level evaluator written as `<evaluator>.<key>`, booleans as 1/0. */
  readonly extraScoreKeys: readonly string[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Only JSON leaves a CSV cell can hold are columns; `null` and `''` mean "no value". */
function leafValue(v: unknown, where: string, name: string): FlatValue | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      throw new InvalidInputError(
        'E_NON_FINITE_SCORE',
        `${where}.${name} is ${v}; scores must be finite numbers`,
        `${where}.${name}`,
      );
    }
    return v;
  }
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

const join = (base: string, key: string): string => (base === '' ? key : `${base}.${key}`);

/** A value JSON holds as it is: the checks of {@link assertJsonable} have nothing to add. */
const isJsonLeaf = (v: unknown): boolean =>
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  v === null ||
  v === undefined ||
  (typeof v === 'number' && Number.isFinite(v));

/** An object JSON writes key by key (not a Map, a Date or another object with `toJSON`). */
const isPlainJson = (v: object): boolean =>
  typeof (v as { toJSON?: unknown }).toJSON !== 'function' &&
  !(v instanceof Map || v instanceof Set || ArrayBuffer.isView(v));

/** The dotted path a score key names, when it names one exact path. */
export function exactScorePath(scoreKey: string | readonly string[]): readonly string[] | null {
  if (typeof scoreKey !== 'string') return scoreKey;
  return scoreKey.includes('.') ? scoreKey.split('.') : null;
}

/**
 * Flattens one evaluator output into its columns: score columns first (in the order their leaves
 * appear), then companions, then extra score keys. It also checks, on the same walk, that the
 * output is one JSON can hold (as {@link assertJsonable}), so a result is traversed once. `where`
 * names the input in error messages.
 */
export function flattenResult(
  result: EvaluationOutput,
  config: FlattenConfig,
  where: string,
): FlatColumn[] {
  const scores: FlatColumn[] = [];
  const companions: FlatColumn[] = [];
  const seen: string[] = [];
  // Values JSON cannot hold are reported after the scores, whose errors say more.
  const problems: (() => void)[] = [];

  // `base` is the dotted path of `parent`; paths are built as strings, not arrays, as this runs
  // for every logged result.
  const addScore = (parent: Json, base: string, leaf: string): void => {
    const name = join(base, leaf);
    const value = leafValue(parent[leaf], where, name);
    if (value === undefined) return;
    if (seen.includes(name)) {
      // Keys with dots in them (`{"a.b": {...}}` beside `{a: {b: {...}}}`): two leaves, one name.
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `${where} has two score leaves named ${JSON.stringify(name)} (a key contains a dot); rename one`,
        `${where}.${name}`,
      );
    }
    seen.push(name);
    scores.push({ name, kind: 'score', value });
    for (const field of config.companionFields) {
      if (field === leaf) continue;
      const cname = join(base, field);
      const cvalue = leafValue(parent[field], where, cname);
      if (cvalue === undefined || seen.includes(cname)) continue;
      seen.push(cname);
      companions.push({ name: cname, kind: 'companion', value: cvalue });
    }
  };

  const exact = exactScorePath(config.scoreKey);
  if (exact) {
    assertJsonable(result, where);
    let parent: unknown = result;
    for (const key of exact.slice(0, -1)) parent = isObject(parent) ? parent[key] : undefined;
    if (isObject(parent)) {
      addScore(parent, exact.slice(0, -1).join('.'), exact[exact.length - 1] ?? '');
    }
  } else {
    const key = config.scoreKey as string;
    const ancestors: object[] = [];
    const visit = (obj: Json, base: string): void => {
      if (ancestors.includes(obj)) {
        problems.push(() => assertJsonable(result, where)); // names the cycle
        return;
      }
      ancestors.push(obj);
      for (const k in obj) {
        if (!Object.hasOwn(obj, k)) continue;
        const v = obj[k];
        if (isObject(v) && isPlainJson(v)) visit(v, join(base, k));
        else {
          if (k === key) addScore(obj, base, k);
          if (!isJsonLeaf(v)) problems.push(() => assertJsonable(v, `${where}.${join(base, k)}`));
        }
      }
      ancestors.pop();
    };
    visit(result, '');
  }

  const extras: FlatColumn[] = [];
  for (const evaluator of Object.keys(result)) {
    const block = result[evaluator];
    if (!isObject(block)) continue;
    for (const key of config.extraScoreKeys) {
      const name = `${evaluator}.${key}`;
      const value = leafValue(block[key], where, name);
      if (value === undefined || seen.includes(name)) continue;
      seen.push(name);
      extras.push({
        name,
        kind: 'extra',
        value: typeof value === 'boolean' ? Number(value) : value,
      });
    }
  }
  for (const report of problems) report();
  return [...scores, ...companions, ...extras];
}

/**
 * The kind of a column known only by its name (read from a file, or copied from another store):
 * `<evaluator>.<extra key>` is an extra score column, `<path>.<companion field>` a companion, any
 * other a score.
 */
export function kindOfColumn(name: string, config: FlattenConfig): ColumnKind {
  const segments = name.split('.');
  const last = segments[segments.length - 1] ?? '';
  if (segments.length === 2 && config.extraScoreKeys.includes(last)) return 'extra';
  if (config.companionFields.includes(last)) return 'companion';
  return 'score';
}

/**
 * `columns` in the order {@link flattenResult} gives them for `result`: the order that decides
 * which column a run is ranked by, whatever order a file's header or a copy put them in. Columns
 * the result does not produce keep their place after the others.
 */
export function inResultOrder<C extends { readonly name: string }>(
  columns: readonly C[],
  result: EvaluationOutput | null,
  config: FlattenConfig,
): C[] {
  if (!result) return [...columns];
  let names: FlatColumn[];
  try {
    names = flattenResult(result, config, 'stored result');
  } catch {
    return [...columns];
  }
  const rank = new Map(names.map((c, i) => [c.name, i]));
  const at = (c: C): number => rank.get(c.name) ?? Number.MAX_SAFE_INTEGER;
  return [...columns].sort((a, b) => at(a) - at(b));
}

/** The evaluator a result is from when metadata does not say: its first object-valued key. */
export function firstEvaluatorName(result: EvaluationOutput): string | undefined {
  return Object.keys(result).find((k) => isObject(result[k]));
}

/** Rebuilds a nested object from dotted columns (for rows stored without the whole output). */
export function unflattenValues(values: Record<string, FlatValue>): EvaluationOutput {
  const out: Json = {};
  for (const [name, value] of Object.entries(values)) {
    const path = name.split('.');
    let node = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      node = isObject(next) ? next : (node[key] = {});
    }
    node[path[path.length - 1] ?? name] = value;
  }
  return out;
}
