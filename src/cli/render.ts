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
      rows.length > 0 && rows.every((r) => /^[-+]?[\d.,%]+( \[.*\])?$|^-$/.test(r[i] ?? '')),
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
