import { UsageError } from './command.js';

/** A whole number from a flag (`''`, `1.5` and `-1` are refused, never read as 0). */
export function wholeNumber(
  value: string | boolean | undefined,
  flag: string,
  min: number,
): number {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new UsageError(`${flag} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return Number(text);
}
