/**
 * Text exactly as Python writes it, so files we write read like the gllm-evals tracker's:
 * floats as `repr(float)`, JSON as `json.dumps` (`", "` and `": "` separators, non-ASCII as
 * `\uXXXX`), rounding as `round(x, n)`.
 */
import { InvalidInputError } from '../errors.js';

/** `repr(float(x))` in Python: `1.0`, `0.5`, `0.8333333333333334`, `1e-05`, `1e+16`. */
export function pyFloatRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  // Between 1e-4 and 1e16 both languages print plain digits; JS only drops the `.0` of integers.
  if (abs >= 1e-4 && abs < 1e16) {
    const plain = String(x);
    if (!plain.includes('e')) return Number.isInteger(x) ? `${plain}.0` : plain;
  }
  // Both languages print the shortest digits that round-trip; only the layout differs.
  const [mantissa = '', exponentText = '0'] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent >= 16 || exponent < -4) {
    const frac = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${frac}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fracPart = digits.slice(exponent + 1);
  return `${sign}${intPart}.${fracPart === '' ? '0' : fracPart}`;
}

/**
 * Python's `round(x, ndigits)`: the nearest multiple of 10^-ndigits to the exact value of the
 * double, ties to even. `toFixed` already rounds the exact value, but ties away from zero.
 */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x)) return x;
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + ndigits);
  const rounded = Number(x.toFixed(ndigits));
  if (!/^50*$/.test(tail)) return rounded;
  // An exact tie: keep the even neighbour.
  const scaled = Number(exact.slice(0, dot) + exact.slice(dot + 1, dot + 1 + ndigits));
  const down = scaled % 2 === 0 ? scaled : scaled + 1;
  const magnitude = down / 10 ** ndigits;
  return x < 0 ? -magnitude : magnitude;
}

// Everything outside printable ASCII that JSON.stringify left as is; Python escapes it.
const NON_ASCII = /[\u007f-\uffff]/g;
const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A JSON string literal as Python's `json.dumps` writes it (lone surrogates included). */
export function pyJsonString(s: string): string {
  return asciiJson(JSON.stringify(s));
}

function pyJsonNumber(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? String(x) : pyFloatRepr(x);
}

/**
 * The deepest nesting of objects and arrays a stored JSON value may have (the value itself is
 * level 1). Python's `json` module fails near 1,000 levels (994 at the top of the stack, fewer
 * inside a caller's frames); 500 leaves room for the code around it.
 */
export const MAX_NESTING = 500;

/**
 * Throws {@link InvalidInputError} (naming where, from `path`) for what JSON cannot hold: BigInt,
 * functions, symbols, NaN/Infinity, cycles, Maps, Sets and typed arrays, `undefined` inside
 * arrays, and text with a lone surrogate (in values or keys), all `E_NOT_SERIALIZABLE`, as is a
 * getter or `toJSON` that throws (the error is the `cause`); nesting deeper than
 * {@link MAX_NESTING} levels is `E_INVALID_ARGUMENT`. `undefined` object properties are fine: JSON
 * leaves them out. `level` is the nesting level of `value` within the stored value.
 */
export function assertJsonable(value: unknown, path: string, level = 1): void {
  // The path is a stack of keys, spelled out only when something is wrong: this runs over every
  // logged sample, and allocating a path per value would cost more than the check.
  const keys: (string | number)[] = [];
  // Objects on the way down, for cycles; nesting is shallow, so an array beats a Set.
  const ancestors: object[] = [];
  const at = (): string =>
    path + keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
  function fail(
    what: string,
    code: 'E_NOT_SERIALIZABLE' | 'E_INVALID_ARGUMENT' = 'E_NOT_SERIALIZABLE',
    cause?: unknown,
  ): never {
    const where = at();
    throw new InvalidInputError(code, `${where} ${what}`, where, { cause });
  }
  const walk = (v: unknown, depth: number): void => {
    switch (typeof v) {
      case 'string':
        if (!v.isWellFormed()) fail(LONE_SURROGATE);
        return;
      case 'boolean':
      case 'undefined':
        return;
      case 'number':
        if (!Number.isFinite(v)) fail(`is ${v}, which JSON cannot hold`);
        return;
      case 'object':
        break;
      default:
        fail(`is a ${typeof v}, which JSON cannot hold`);
    }
    if (v === null) return;
    if (depth > MAX_NESTING) {
      fail(
        `is nested more than ${MAX_NESTING} levels deep, the most evaltrack stores (Python's json cannot read much deeper)`,
        'E_INVALID_ARGUMENT',
      );
    }
    if (ancestors.includes(v)) fail('refers back to itself (a cycle)');
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      walk((v as { toJSON: () => unknown }).toJSON(), depth);
      return;
    }
    ancestors.push(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        keys.push(i);
        const item: unknown = v[i];
        if (item === undefined) fail('is undefined, which JSON cannot hold in an array');
        walk(item, depth + 1);
        keys.pop();
      }
    } else {
      if (v instanceof Map || v instanceof Set || ArrayBuffer.isView(v)) {
        fail(
          `is a ${v.constructor.name}, which JSON cannot hold; convert it to an object or array`,
        );
      }
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        keys.push(key);
        if (!key.isWellFormed()) fail(`is a key that ${LONE_SURROGATE}`);
        walk((v as Record<string, unknown>)[key], depth + 1);
        keys.pop();
      }
    }
    ancestors.pop();
  };
  try {
    walk(value, level);
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    // A getter, a toJSON or a proxy threw: `keys` still names where.
    fail(
      `could not be read (a getter or toJSON threw: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`,
      'E_NOT_SERIALIZABLE',
      e,
    );
  }
}

const LONE_SURROGATE = 'holds a lone surrogate (half of a UTF-16 pair), which UTF-8 cannot store';

/** Escapes non-ASCII characters of JSON text as `\uXXXX`, as Python's `ensure_ascii` does. */
export function asciiJson(json: string): string {
  // Counting UTF-8 bytes is native and five times faster than a regex test on 4 KB.
  return Buffer.byteLength(json) === json.length ? json : json.replace(NON_ASCII, escapeChar);
}

/**
 * `json.dumps(value)` exactly as Python writes it (`", "` and `": "` separators, non-ASCII as
 * `\uXXXX`), for the small JSON cells of the leaderboard. Checks the value as
 * {@link assertJsonable}.
 */
export function toPythonJson(value: unknown, path: string): string {
  assertJsonable(value, path);
  const walk = (v: unknown): string => {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') return pyJsonNumber(v);
    if (typeof v !== 'object' || v === null) return JSON.stringify(v);
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      return walk((v as { toJSON: () => unknown }).toJSON());
    }
    if (Array.isArray(v)) return `[${v.map(walk).join(', ')}]`;
    const parts: string[] = [];
    for (const key of Object.keys(v)) {
      const item = (v as Record<string, unknown>)[key];
      if (item !== undefined) parts.push(`${JSON.stringify(key)}: ${walk(item)}`);
    }
    return `{${parts.join(', ')}}`;
  };
  return asciiJson(walk(value));
}
