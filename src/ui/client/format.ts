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

/** What a run or a sample did not record (a latency, a cost): not the `–` of a missing score. */
export const NONE = '—';

const formats = new Map<string, Intl.NumberFormat>();
const numberFormat = (digits: Intl.NumberFormatOptions): Intl.NumberFormat => {
  const key = JSON.stringify(digits);
  let f = formats.get(key);
  if (!f) formats.set(key, (f = new Intl.NumberFormat('en-US', digits)));
  return f;
};
const fixed = (x: number, digits: number): string =>
  numberFormat({ minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);

/**
 * A latency for people: ms below 10 s (a tenth below 10 ms, else whole: `4.2 ms`, `1,234 ms`),
 * seconds from 10 s (a tenth below 100 s: `12.5 s`, `125 s`).
 */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return NONE;
  if (ms < 10_000) return `${fixed(ms, ms < 10 ? 1 : 0)} ms`;
  const s = ms / 1000;
  return `${fixed(s, s < 100 ? 1 : 0)} s`;
}

/**
 * Money, in whatever unit it was logged in (no currency assumed): cents from 1 on (`1,234.50`),
 * 3 significant digits below (`0.0120`), so a fraction of a cent per sample still reads.
 */
export function money(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  return Math.abs(x) >= 1
    ? fixed(x, 2)
    : numberFormat({ minimumSignificantDigits: 3, maximumSignificantDigits: 3 }).format(x);
}

/** A count with thousands separators (tokens). */
export const count = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? NONE : fixed(x, 0);
