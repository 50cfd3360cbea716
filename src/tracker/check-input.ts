/** Checks of caller input shared by every tracker; each throws an InvalidInputError. */
import { InvalidInputError } from '../errors.js';

export const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;

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
  return value;
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
