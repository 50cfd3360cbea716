import type { Interval } from '../../stats/statistics.js';

export const num = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined ? '–' : x.toFixed(digits);
export const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`;
export const interval = (i: Interval | null, f: (x: number) => string): string =>
  i === null ? '' : `[${f(i.low)}, ${f(i.high)}]`;
/** A score cell: numbers to 3 decimals (integers as they are), booleans and text as they are. */
export function value(v: unknown): string {
  if (v === undefined || v === null) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  return typeof v === 'string' ? v : JSON.stringify(v);
}
export const when = (iso: string | null): string =>
  iso === null ? '–' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
