/** Plain tables for people; colour only where it helps and is wanted. */

export interface Style {
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  dim(s: string): string;
}

const plain: Style = { bold: (s) => s, red: (s) => s, green: (s) => s, dim: (s) => s };
const ansi = (code: number) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;
const coloured: Style = { bold: ansi(1), red: ansi(31), green: ansi(32), dim: ansi(2) };

/** Colour only on a terminal, never with `NO_COLOR` set or in CI. */
export function styleFor(isTTY: boolean, env: Record<string, string | undefined>): Style {
  return isTTY && env['NO_COLOR'] === undefined && !env['CI'] ? coloured : plain;
}

/**
 * Control characters (C0, DEL, C1), line and paragraph separators and bidirectional overrides
 * spelled out (`\n`, `\r`, `\t`, `\u001b`): stored text shown to a person can then neither
 * move the cursor, clear the screen, write the clipboard, nor reorder what is shown around it.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Stored text made safe for a terminal: every control character as a visible escape. */
export const visible = (s: string): string =>
  s.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

// Escape sequences are not part of a cell's width.
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');
const width = (s: string): number => s.replace(ESCAPE, '').length;

/** A table with a header and aligned columns; numbers right-aligned; stored text made visible. */
export function renderTable(
  rawHeaders: readonly string[],
  rawRows: readonly (readonly string[])[],
): string {
  // Cells hold stored text (names, ids, values): never styled, always made visible.
  const headers = rawHeaders.map(visible);
  const rows = rawRows.map((r) => r.map(visible));
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const numeric = headers.map(
    (_, i) =>
      rows.length > 0 && rows.every((r) => /^[-+]?[\d.,%]+( \[.*\])?$|^[-—]$/.test(r[i] ?? '')),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(c)));
        return numeric[i] ? pad + c : c + pad;
      })
      .join('  ')
      .trimEnd();
  return (
    [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n'
  );
}

/** A number to 3 decimals, or `-`. */
export const num = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);

/** Text cut to `n` characters on one line. */
export const shorten = (x: unknown, n = 60): string => {
  const s = visible((typeof x === 'string' ? x : (JSON.stringify(x) ?? '')).replace(/\s+/g, ' '));
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};

/** A share as a percentage to 1 decimal, or `-`. */
export const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

/** A 95% interval as ` [low, high]` after its estimate (`pct` by default), or nothing. */
export const interval = (i: { low: number; high: number } | null, f = pct): string =>
  i === null ? '' : ` [${f(i.low)}, ${f(i.high)}]`;

/** What a run or a result did not record (a latency, a cost): not the `-` of a missing score. */
export const NONE = '—';

const formats = new Map<string, Intl.NumberFormat>();
const format = (options: Intl.NumberFormatOptions): Intl.NumberFormat => {
  const key = JSON.stringify(options);
  let f = formats.get(key);
  if (!f)
    formats.set(key, (f = new Intl.NumberFormat('en-US', { signDisplay: 'negative', ...options })));
  return f;
};

/** Milliseconds: whole ones with thousands separators, a tenth below 10 ms; `—` for none. */
export const ms = (x: number | null | undefined): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  const digits = Math.abs(x) < 10 ? 1 : 0;
  return format({ minimumFractionDigits: digits, maximumFractionDigits: digits }).format(x);
};

/**
 * Money, in the unit it was logged in: cents from 1 on (`1,234.50`), 3 significant digits below
 * (`0.0120`), so a per-sample cost of a fraction of a cent still reads; `—` for none.
 */
export const money = (x: number | null | undefined): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  return Math.abs(x) >= 1
    ? format({ minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(x)
    : format({ minimumSignificantDigits: 3, maximumSignificantDigits: 3 }).format(x);
};

/** A count with thousands separators (tokens); `—` for none. */
export const count = (x: number | null | undefined): string =>
  x === null || x === undefined || !Number.isFinite(x) ? NONE : format({}).format(x);

/** A figure a gate compares with its limit, to 10 significant digits (`0.3`, not `0.30000000000000004`). */
export const exact = (x: number): string => String(Number(x.toPrecision(10)));
