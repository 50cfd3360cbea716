/** Runs in the order they were made within their dataset, and dates short enough for a chart. */

/** What `runOrder` needs of a run. */
interface Dated {
  runId: string;
  datasetName: string;
  createdAt: string | null;
  updatedAt: string | null;
}

/** When a run started: its first write, else its last (a run from an older file). */
export const startOf = (r: Dated): string => r.createdAt ?? r.updatedAt ?? '';

/**
 * Each run's position (1-based) in its dataset's history, oldest first: by start, then run id
 * (runs started in the same millisecond keep one order).
 */
export function runOrder<R extends Dated>(runs: readonly R[]): Map<string, number> {
  const byDataset = new Map<string, R[]>();
  for (const r of runs) {
    const list = byDataset.get(r.datasetName);
    if (list) list.push(r);
    else byDataset.set(r.datasetName, [r]);
  }
  const out = new Map<string, number>();
  for (const list of byDataset.values()) {
    list.sort((a, b) =>
      startOf(a) !== startOf(b) ? (startOf(a) < startOf(b) ? -1 : 1) : a.runId < b.runId ? -1 : 1,
    );
    list.forEach((r, i) => out.set(r.runId, i + 1));
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A chart's tick label for an ISO time, in UTC, on two lines: the day (`Nov 29`, with the year
 * when the chart spans several: `Nov 29 2026`), then the time, to the second when the chart spans
 * less than an hour (`20:54:07`), else to the minute (`20:54`).
 */
export function dateTick(iso: string, span: { years: boolean; seconds: boolean }): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const two = (n: number): string => String(n).padStart(2, '0');
  const day = `${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCDate()}${span.years ? ` ${d.getUTCFullYear()}` : ''}`;
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}${span.seconds ? `:${two(d.getUTCSeconds())}` : ''}`;
  return `${day}\n${time}`;
}

/** What the labels of times `isos` must tell apart: years, seconds. */
export function dateSpan(isos: readonly string[]): { years: boolean; seconds: boolean } {
  const ms = isos.map((t) => Date.parse(t)).filter((t) => !Number.isNaN(t));
  if (ms.length === 0) return { years: false, seconds: false };
  const lo = Math.min(...ms);
  const hi = Math.max(...ms);
  return {
    years: new Date(lo).getUTCFullYear() !== new Date(hi).getUTCFullYear(),
    seconds: hi - lo < 3_600_000,
  };
}
