/**
 * The score-key rules, written once for every store: which leaves of an evaluator output become
 * columns, under which dotted names, in which order.
 */
import { EvaltrackError, InvalidInputError } from '../errors.js';
import { describe, ownValue, setOwn } from './check-input.js';
import { assertJsonable, MAX_NESTING } from './python-format.js';
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

/**
 * The results file's own columns (csv-format.md). No score or companion column may take one of
 * these names, in any store: in a CSV file it would overwrite that column, and a result stored
 * elsewhere must stay copyable to CSV.
 */
export const RESERVED_COLUMNS: ReadonlySet<string> = new Set([
  'run_id',
  'dataset_name',
  'timestamp',
  'evaluator_name',
  'model_name',
  'data',
  'metadata',
  'result_id',
  'sample_id',
  'project_name',
  'evaluation_result',
]);

/** The companion field that is a verdict, and so must be a boolean or a number like a score. */
const VERDICT_FIELD = 'success';

/** How a leaf is checked: a score (or verdict) must be a number or a boolean; text is kept. */
type LeafRule = 'score' | 'text';

const shortly = (v: unknown): string =>
  typeof v === 'string'
    ? `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
    : describe(v);

/**
 * A leaf's column value, or `undefined` for no value: `null` and a missing key mean "not scored".
 * A score that is not a finite number or a boolean is refused, never stored as a failure; other
 * companions (an `explanation`) keep their text, and leave out what a cell cannot hold.
 */
function leafValue(v: unknown, where: string, name: string, rule: LeafRule): FlatValue | undefined {
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
  if (v === null || v === undefined) return undefined;
  if (rule === 'text') return typeof v === 'string' && v !== '' ? v : undefined;
  throw new InvalidInputError(
    'E_INVALID_ARGUMENT',
    `${where}.${name} is ${shortly(v)}; a score must be a number or a boolean (null: not scored)`,
    `${where}.${name}`,
  );
}

/**
 * Dotted names, made once: results of one evaluator repeat the same paths, and the same string
 * for the same path spares building it per result, and makes comparing names (a store placing
 * columns) and hashing them (`seen`) cheap. Bounded: results with ever new keys only refill it.
 */
const NAMES = new Map<string, Map<string, string>>();
let namesCount = 0;

function join(base: string, key: string): string {
  let names = NAMES.get(base);
  if (names === undefined) {
    if (namesCount > 50_000) {
      NAMES.clear();
      namesCount = 0;
    }
    names = new Map();
    NAMES.set(base, names);
  }
  let name = names.get(key);
  if (name === undefined) {
    name = base === '' ? key : `${base}.${key}`;
    names.set(key, name);
    namesCount++;
  }
  return name;
}

/** A value JSON holds as it is: the checks of {@link assertJsonable} have nothing to add. */
const isJsonLeaf = (v: unknown): boolean =>
  typeof v === 'string'
    ? v.isWellFormed()
    : typeof v === 'boolean' ||
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
 * output is one JSON can hold (as {@link assertJsonable}: nesting, lone surrogates, getters that
 * throw), so a result is traversed once. Time is linear in the size of the output. `where` names
 * the input in error messages.
 */
export function flattenResult(
  result: EvaluationOutput,
  config: FlattenConfig,
  where: string,
): FlatColumn[] {
  try {
    return flatten(result, config, where);
  } catch (e) {
    if (e instanceof EvaltrackError) throw e;
    // A getter, toJSON or proxy threw: the full check finds where, and throws a typed error.
    assertJsonable(result, where);
    throw new InvalidInputError(
      'E_NOT_SERIALIZABLE',
      `${where} could not be read (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`,
      where,
      { cause: e },
    );
  }
}

function flatten(result: EvaluationOutput, config: FlattenConfig, where: string): FlatColumn[] {
  const scores: FlatColumn[] = [];
  const companions: FlatColumn[] = [];
  const seen = new Set<string>();
  // Values JSON cannot hold are reported after the scores, whose errors say more.
  const problems: (() => void)[] = [];

  const claim = (name: string): void => {
    if (RESERVED_COLUMNS.has(name)) {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `${where}.${name} would be a column named ${JSON.stringify(name)}, one of the results file's own columns (${[...RESERVED_COLUMNS].join(', ')}); rename the key or choose another scoreKey or companionFields`,
        `${where}.${name}`,
      );
    }
    if (seen.has(name)) {
      // Keys with dots in them (`{"a.b": {...}}` beside `{a: {b: {...}}}`): two leaves, one name.
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `${where} has two score leaves named ${JSON.stringify(name)} (a key contains a dot); rename one`,
        `${where}.${name}`,
      );
    }
    seen.add(name);
  };

  // `base` is the dotted path of `parent`; paths are built as strings, not arrays, as this runs
  // for every logged result.
  const addScore = (parent: Json, base: string, leaf: string): void => {
    const name = join(base, leaf);
    const value = leafValue(ownValue(parent, leaf), where, name, 'score');
    if (value === undefined) return;
    claim(name);
    scores.push({ name, kind: 'score', value });
    for (const field of config.companionFields) {
      if (field === leaf) continue;
      const cname = join(base, field);
      const rule = field === VERDICT_FIELD ? 'score' : 'text';
      const cvalue = leafValue(ownValue(parent, field), where, cname, rule);
      if (cvalue === undefined || seen.has(cname)) continue;
      claim(cname);
      companions.push({ name: cname, kind: 'companion', value: cvalue });
    }
  };

  const exact = exactScorePath(config.scoreKey);
  if (exact) {
    assertJsonable(result, where);
    let parent: unknown = result;
    for (const key of exact.slice(0, -1))
      parent = isObject(parent) ? ownValue(parent, key) : undefined;
    if (isObject(parent)) {
      addScore(parent, exact.slice(0, -1).join('.'), exact[exact.length - 1] ?? '');
    }
  } else {
    const key = config.scoreKey as string;
    const ancestors: object[] = [];
    const visit = (obj: Json, base: string, depth: number): void => {
      if (ancestors.includes(obj)) {
        problems.push(() => assertJsonable(result, where)); // names the cycle
        return;
      }
      // Refused with its path before the stack runs out.
      if (depth > MAX_NESTING) return assertJsonable(result, where);
      ancestors.push(obj);
      // Own enumerable keys in JSON's order, as `for…in` with `Object.hasOwn` gives them, in less
      // time per key (this runs for every key of every logged result).
      const keys = Object.keys(obj);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        if (!k.isWellFormed()) problems.push(() => assertJsonable(result, where));
        const v = obj[k];
        if (k === key) addScore(obj, base, k);
        if (isObject(v) && isPlainJson(v)) visit(v, join(base, k), depth + 1);
        else if (!isJsonLeaf(v)) {
          problems.push(() => assertJsonable(v, `${where}.${join(base, k)}`, depth + 1));
        }
      }
      ancestors.pop();
    };
    visit(result, '', 1);
  }

  const extras: FlatColumn[] = [];
  for (const evaluator of Object.keys(result)) {
    const block = result[evaluator];
    if (!isObject(block)) continue;
    for (const key of config.extraScoreKeys) {
      // An evaluator named '' gives `.key`, as it always has: not the join of a top-level path.
      const name = evaluator === '' ? `.${key}` : join(evaluator, key);
      const value = leafValue(ownValue(block, key), where, name, 'score');
      if (value === undefined || seen.has(name)) continue;
      seen.add(name);
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
      // Keys are data: `__proto__` is a key like any other, never the way to Object.prototype.
      const next = ownValue(node, key);
      if (isObject(next)) node = next;
      else {
        const child: Json = {};
        setOwn(node, key, child);
        node = child;
      }
    }
    setOwn(node, path[path.length - 1] ?? name, value);
  }
  return out;
}
