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

// Escape sequences are not part of a cell's width.
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');
const width = (s: string): number => s.replace(ESCAPE, '').length;

/** A table with a header and aligned columns; numbers right-aligned. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
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
  const s = (typeof x === 'string' ? x : (JSON.stringify(x) ?? '')).replace(/\s+/g, ' ');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};
