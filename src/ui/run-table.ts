/**
 * One run as the dashboard's sample table needs it: a compact row per result (texts cut short,
 * every value), kept in memory so that sorting, filtering and paging a 100,000-row run answer
 * from memory; full texts are read one result at a time with `getResult`.
 */
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { FlatValue, ResultRecord, RunSummary } from '../types.js';

/** Characters of input, output and expected kept per row; the detail view reads the rest. */
const CUT = 200;

/** A sample as a row of the table. */
export interface TableRow {
  /** Position in logging order. */
  i: number;
  resultId: string;
  sampleId: string;
  input: string;
  output: string;
  expected: string;
  values: Record<string, FlatValue>;
  /** The run's score column as pass/fail; null when the result has none. */
  passed: boolean | null;
}

/** A histogram of one metric: equal-width bins from `min` to `max`. */
export interface Histogram {
  metric: string;
  min: number;
  max: number;
  counts: number[];
}

export interface RowQuery {
  offset: number;
  limit: number;
  /** `i` (logging order), `sampleId`, or a metric name. */
  sort: string;
  desc: boolean;
  failures: boolean;
  /** Text to find, anywhere in the sample (case-insensitive). */
  search: string;
}

const textOf = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
const cut = (s: string): string => (s.length > CUT ? `${s.slice(0, CUT)}…` : s);

/** Input, output and expected of a sample, under the names gllm-evals and RAG datasets use. */
export function sampleTexts(r: ResultRecord): { input: string; output: string; expected: string } {
  const d = r.data;
  return {
    input: textOf(d['input'] ?? d['query'] ?? d['question']),
    output: textOf(d['actual_output'] ?? d['generated_response'] ?? d['output']),
    expected: textOf(d['expected_output'] ?? d['expected_response'] ?? d['expected']),
  };
}

export class RunTable {
  readonly run: RunSummary;
  readonly rows: TableRow[] = [];
  /** Metric columns in first-seen order. */
  readonly metrics: string[] = [];
  /** Settles when every result has been read. */
  readonly loaded: Promise<void>;
  readonly #tracker: BaseExperimentTracker;
  #complete = false;
  /** Pages waiting for rows still being read: resolved once `rows` reaches `count`. */
  #waiting: { count: number; resolve: () => void }[] = [];
  /** The last search, and the rows it matched, so paging through it does not search again. */
  #lastSearch: { text: string; matches: Set<number> } | null = null;

  /**
   * Starts reading the run. The first rows in logging order are served as soon as they are read,
   * so a 100,000-row run shows its first page at once; sorting, filtering and histograms wait
   * for the whole run.
   */
  constructor(tracker: BaseExperimentTracker, run: RunSummary, signal?: AbortSignal) {
    this.#tracker = tracker;
    this.run = run;
    this.loaded = this.#load(signal);
    // A failed read is reported to each request that waits on it.
    this.loaded.catch(() => {});
  }

  /** Reads the rows; stops early when `signal` aborts (the server closed). */
  async #load(signal?: AbortSignal): Promise<void> {
    const seen = new Set<string>();
    try {
      for await (const r of this.#tracker.iterateRunResults(this.run.runId)) {
        if (signal?.aborted) return;
        for (const name of Object.keys(r.values)) {
          if (!seen.has(name)) {
            seen.add(name);
            this.metrics.push(name);
          }
        }
        const texts = sampleTexts(r);
        const v = this.run.scoreColumn === null ? undefined : r.values[this.run.scoreColumn];
        this.rows.push({
          i: this.rows.length,
          resultId: r.resultId,
          sampleId: r.sampleId,
          input: cut(texts.input),
          output: cut(texts.output),
          expected: cut(texts.expected),
          values: r.values,
          passed: v === undefined ? null : v === true || v === 1,
        });
        if (this.rows.length % 100 === 0) {
          if (this.#waiting.length > 0) this.#wake();
          // A store that reads from memory or a synchronous driver never leaves the microtask
          // queue: let the server answer the pages already readable.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      this.#complete = true;
      this.#wake();
    }
  }

  #wake(): void {
    const ready = this.#waiting.filter((w) => this.#complete || this.rows.length >= w.count);
    this.#waiting = this.#waiting.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  /** Resolves once `count` rows are read, or all of them. */
  #until(count: number): Promise<void> {
    if (this.#complete || this.rows.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ count, resolve }));
  }

  /** A page of rows, filtered and sorted; `total` counts all that match. */
  async page(q: RowQuery): Promise<{ total: number; rows: TableRow[]; metrics: string[] }> {
    if (q.sort === 'i' && !q.desc && !q.failures && q.search === '') {
      // Logging order, unfiltered: served while the rest is still being read.
      await this.#until(q.offset + q.limit);
      if (!this.#complete) {
        return {
          total: Math.max(this.run.totalData, this.rows.length),
          rows: this.rows.slice(q.offset, q.offset + q.limit),
          metrics: [...this.metrics],
        };
      }
    }
    await this.loaded;
    let rows = this.rows;
    if (q.failures) rows = rows.filter((r) => r.passed === false);
    if (q.search !== '') {
      const matches = await this.#search(q.search);
      rows = rows.filter((r) => matches.has(r.i));
    }
    if (q.sort !== 'i') {
      const key = (r: TableRow): number | string | null => {
        if (q.sort === 'sampleId') return r.sampleId;
        const v = r.values[q.sort];
        return typeof v === 'boolean' ? Number(v) : (v ?? null);
      };
      // Missing values last, whichever the direction; ties in logging order.
      rows = [...rows].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        if (x === null || y === null) return x === y ? a.i - b.i : x === null ? 1 : -1;
        const order = x < y ? -1 : x > y ? 1 : a.i - b.i;
        return q.desc ? -order : order;
      });
    } else if (q.desc) {
      rows = [...rows].reverse();
    }
    return {
      total: rows.length,
      rows: rows.slice(q.offset, q.offset + q.limit),
      metrics: [...this.metrics],
    };
  }

  /** Every numeric or pass/fail metric as a histogram of 10 bins (2 for pass/fail). */
  async histograms(): Promise<Histogram[]> {
    await this.loaded;
    return this.metrics.flatMap((metric) => {
      const xs = this.rows.flatMap((r) => {
        const v = r.values[metric];
        return typeof v === 'number' ? [v] : typeof v === 'boolean' ? [Number(v)] : [];
      });
      if (xs.length === 0) return [];
      const binary = xs.every((x) => x === 0 || x === 1);
      let min = Math.min(...xs);
      let max = Math.max(...xs);
      if (min >= 0 && max <= 1) [min, max] = [0, 1];
      const bins = binary ? 2 : 10;
      const counts = new Array<number>(bins).fill(0);
      const width = (max - min) / bins || 1;
      for (const x of xs) counts[Math.min(bins - 1, Math.floor((x - min) / width))]!++;
      return [{ metric, min, max, counts }];
    });
  }

  /** The rows whose whole sample (input, output, expected, every field) contains `text`. */
  async #search(text: string): Promise<Set<number>> {
    if (this.#lastSearch?.text === text) return this.#lastSearch.matches;
    const needle = text.toLowerCase();
    const matches = new Set<number>();
    let i = 0;
    for await (const r of this.#tracker.iterateRunResults(this.run.runId)) {
      if (
        r.sampleId.toLowerCase().includes(needle) ||
        JSON.stringify(r.data).toLowerCase().includes(needle)
      ) {
        matches.add(i);
      }
      i++;
    }
    this.#lastSearch = { text, matches };
    return matches;
  }
}
