/** Checks of caller input shared by every tracker; each throws an InvalidInputError. */
import { InvalidInputError } from '../errors.js';
import { assertJsonable } from './python-format.js';

export const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a value is, for messages: `null`, `undefined`, `an array`, `an object`, `a number`… */
export const describe = (v: unknown): string => {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a Date';
  const type = typeof v;
  return type === 'object' ? 'an object' : `a ${type}`;
};

/**
 * Sets an own property, `__proto__` included: plain assignment of that key would replace the
 * object's prototype (or, on a node reached through it, write into `Object.prototype`).
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else obj[key] = value;
}

/** An own property's value; inherited ones (`constructor`, `__proto__`…) are not data. */
export const ownValue = (obj: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(obj, key) ? obj[key] : undefined;

/**
 * Refuses text that UTF-8 cannot hold (a lone surrogate): SQLite and PostgreSQL would store it
 * as U+FFFD, so an id would no longer find what was stored under it, and CSV cannot hold it.
 */
export function checkWellFormed(value: string, where: string): string {
  if (!value.isWellFormed()) {
    throw new InvalidInputError(
      'E_NOT_SERIALIZABLE',
      `${where} holds a lone surrogate (half of a UTF-16 pair), which UTF-8 cannot store`,
      where,
    );
  }
  return value;
}

export function checkRecord(value: unknown, where: string): Record<string, unknown> {
  if (!isPlainRecord(value)) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `${where} must be an object, got ${describe(value)}`,
      where,
    );
  }
  return value;
}

export function checkName(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `${where} must be a non-empty string, got ${typeof value === 'string' ? JSON.stringify(value) : describe(value)}`,
      where,
    );
  }
  return checkWellFormed(value, where);
}

/** Rejects option keys the callee does not know, so a typo is an error rather than a silent default. */
export function checkOptions<T extends object>(
  options: T | undefined,
  known: readonly string[],
  where: string,
): Partial<T> {
  if (options === undefined) return {};
  checkRecord(options, where);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidInputError(
        'E_UNKNOWN_OPTION',
        `unknown option ${JSON.stringify(key)} in ${where}; known: ${known.join(', ')}`,
        `${where}.${key}`,
      );
    }
  }
  return options;
}

export function checkStringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `${where} must be an array of non-empty strings`,
      where,
    );
  }
  return value as string[];
}

/**
 * `options.metadata`, checked: one object for every result, or (for `logBatch`) an array with
 * one object per result.
 */
export function checkMetadata(
  given: unknown,
  batch: boolean,
  count: number,
): Record<string, unknown> | Record<string, unknown>[] {
  if (given === undefined) return {};
  if (batch && Array.isArray(given)) {
    if (given.length !== count) {
      throw new InvalidInputError(
        'E_BATCH_LENGTH_MISMATCH',
        `options.metadata has ${given.length} items but there are ${count} results; nothing was written`,
        'options.metadata',
      );
    }
    return given.map((m, i) => {
      const checked = checkRecord(m, `options.metadata[${i}]`);
      assertJsonable(checked, `options.metadata[${i}]`);
      return checked;
    });
  }
  const checked = checkRecord(given, 'options.metadata');
  assertJsonable(checked, 'options.metadata');
  return checked;
}

/** A whole number of at least `min` (an option such as `last` or `trials`), else E_INVALID_ARGUMENT. */
export function checkWholeNumber(value: unknown, where: string, min: number): number {
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `${where} must be a whole number >= ${min}, got ${String(value)}`,
      where,
    );
  }
  return value as number;
}
