/**
 * Text exactly as Python writes it, so files we write read like the gllm-evals tracker's:
 * floats as `repr(float)`, JSON as `json.dumps` (`", "` and `": "` separators, non-ASCII as
 * `\uXXXX`), rounding as `round(x, n)`.
 */
import { InvalidInputError } from '../errors.js';

/** `repr(float(x))` in Python: `1.0`, `0.5`, `0.8333333333333334`, `1e-05`, `1e+16`. */
export function pyFloatRepr(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
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
const HAS_NON_ASCII = /[\u007f-\uffff]/;
const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A JSON string literal as Python's `json.dumps` writes it (lone surrogates included). */
export function pyJsonString(s: string): string {
  const quoted = JSON.stringify(s);
  return HAS_NON_ASCII.test(quoted) ? quoted.replace(NON_ASCII, escapeChar) : quoted;
}

function pyJsonNumber(x: number, path: string): string {
  if (!Number.isFinite(x)) {
    throw new InvalidInputError(
      'E_NOT_SERIALIZABLE',
      `${path} is ${x}, which JSON cannot hold`,
      path,
    );
  }
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? String(x) : pyFloatRepr(x);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `json.dumps(value)` as Python writes it. Throws {@link InvalidInputError} (naming `path`) for
 * what JSON cannot hold: BigInt, functions, symbols, NaN/Infinity, cycles, Maps and Sets, and
 * `undefined` inside arrays. `undefined` object properties are left out, as JSON.stringify does.
 */
export function toPythonJson(value: unknown, path: string): string {
  const ancestors = new Set<object>();
  const walk = (v: unknown, at: string): string => {
    switch (typeof v) {
      case 'string':
        return pyJsonString(v);
      case 'number':
        return pyJsonNumber(v, at);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'object':
        break;
      default:
        throw new InvalidInputError(
          'E_NOT_SERIALIZABLE',
          `${at} is a ${typeof v}, which JSON cannot hold`,
          at,
        );
    }
    if (v === null) return 'null';
    if (ancestors.has(v)) {
      throw new InvalidInputError(
        'E_NOT_SERIALIZABLE',
        `${at} refers back to itself (a cycle)`,
        at,
      );
    }
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      return walk((v as { toJSON: () => unknown }).toJSON(), at);
    }
    ancestors.add(v);
    let out: string;
    if (Array.isArray(v)) {
      const parts: string[] = [];
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (item === undefined) {
          throw new InvalidInputError(
            'E_NOT_SERIALIZABLE',
            `${at}[${i}] is undefined, which JSON cannot hold in an array`,
            `${at}[${i}]`,
          );
        }
        parts.push(walk(item, `${at}[${i}]`));
      }
      out = `[${parts.join(', ')}]`;
    } else {
      if (!isPlainObject(v) && (v instanceof Map || v instanceof Set || ArrayBuffer.isView(v))) {
        throw new InvalidInputError(
          'E_NOT_SERIALIZABLE',
          `${at} is a ${v.constructor.name}, which JSON cannot hold; convert it to an object or array`,
          at,
        );
      }
      const parts: string[] = [];
      for (const key of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[key];
        if (item === undefined) continue;
        parts.push(`${pyJsonString(key)}: ${walk(item, `${at}.${key}`)}`);
      }
      out = `{${parts.join(', ')}}`;
    }
    ancestors.delete(v);
    return out;
  };
  return walk(value, path);
}
