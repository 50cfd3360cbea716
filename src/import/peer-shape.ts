/**
 * The shape check every importer of another tool's file makes: each value it reads is checked
 * where it is read, and a value of the wrong kind is refused with a {@link PeerFormatError} naming
 * its place in the file and the shape that was expected.
 */
import { PeerFormatError } from '../errors.js';
import { describe, isPlainRecord } from '../tracker/check-input.js';

type Json = Record<string, unknown>;

const shortly = (v: unknown): string =>
  typeof v === 'string'
    ? `the text ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : describe(v);

/** Checks the values read from one file, of one expected shape. */
export class PeerShape {
  /**
   * @param file the file, as named to the user
   * @param expected the shape expected, for every message: e.g. `a promptfoo results.json
   *   (results.version 3)`
   */
  constructor(
    readonly file: string,
    readonly expected: string,
  ) {}

  /** Refuses the file: `what` says what is wrong at `where`. */
  fail(where: string, what: string): never {
    throw new PeerFormatError(this.file, where, this.expected, where ? `${where} ${what}` : what);
  }

  /** An object. */
  object(v: unknown, where: string): Json {
    if (!isPlainRecord(v)) this.fail(where, `is ${shortly(v)}, not an object`);
    return v;
  }

  /** An array. */
  array(v: unknown, where: string): unknown[] {
    if (!Array.isArray(v)) this.fail(where, `is ${shortly(v)}, not an array`);
    return v;
  }

  /** A string (`''` allowed). */
  string(v: unknown, where: string): string {
    if (typeof v !== 'string') this.fail(where, `is ${shortly(v)}, not a string`);
    return v;
  }

  /** A finite number. */
  number(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.fail(where, `is ${shortly(v)}, not a finite number`);
    return v;
  }

  /** An integer >= 0. */
  index(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      this.fail(where, `is ${shortly(v)}, not an integer >= 0`);
    return v;
  }

  /** A boolean. */
  boolean(v: unknown, where: string): boolean {
    if (typeof v !== 'boolean') this.fail(where, `is ${shortly(v)}, not a boolean`);
    return v;
  }

  /** One of `values`. */
  oneOf<T extends string | number>(v: unknown, values: readonly T[], where: string): T {
    if (!values.includes(v as T))
      this.fail(
        where,
        `is ${shortly(v)}, not ${values.map((x) => JSON.stringify(x)).join(' or ')}`,
      );
    return v as T;
  }

  /** `check(v)` when `v` is present (neither missing nor null), else `undefined`. */
  optional<T>(v: unknown, check: (v: unknown) => T): T | undefined {
    return v === undefined || v === null ? undefined : check(v);
  }
}
