/**
 * One run as the dashboard's sample table needs it: a compact row per result (texts cut short,
 * every value), kept in memory so that sorting, filtering and paging a 100,000-row run answer
 * from memory; full texts are read one result at a time with `getResult`.
 */
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { costOf, latencyOf } from '../tracker/measures.js';
import { isPassFail, outcomeOf, resultError } from '../tracker/sample-outcome.js';
import { sampleTexts } from '../tracker/sample-texts.js';
import type { FlatValue, RunSummary } from '../types.js';

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
  /** Whether the result passed on the query's metric; null when it has no verdict on it. */
  passed: boolean | null;
  /** The error an evaluator recorded instead of judging the result. */
  error: string | null;
  /** The task's latency in ms, when measured. */
  latencyMs: number | null;
  /** What the result cost, task and evaluators together, when reported. */
  cost: number | null;
  /** Which trial of its sample the result is (0-based), when the sample ran several times. */
  trial: number | null;
}

/** Which measure columns a run has: latency and cost when recorded, trial when a sample repeats. */
export interface MeasureColumns {
  latency: boolean;
  cost: boolean;
  trials: boolean;
}

/**
 * Sort keys of the measure columns. Not plain words, so that no metric (a dotted name, or any
 * column of a Python file) is shadowed by them.
 */
export const MEASURE_SORTS = {
  '@latency': (r: TableRow) => r.latencyMs,
  '@cost': (r: TableRow) => r.cost,
  '@trial': (r: TableRow) => r.trial,
} as const satisfies Record<string, (r: TableRow) => number | null>;

const isMeasureSort = (sort: string): sort is keyof typeof MEASURE_SORTS =>
  Object.hasOwn(MEASURE_SORTS, sort);

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
  /** `i` (logging order), `sampleId`, a measure (`@latency`, `@cost`, `@trial`), or a metric name. */
  sort: string;
  desc: boolean;
  failures: boolean;
  /** Text to find, anywhere in the sample (case-insensitive). */
  search: string;
  /** The metric rows pass or fail on (`failures` keeps those that fail on it, and errors). */
  metric: string | null;
}

/**
 * Sort order of two cells: missing last, then numbers (booleans as 0/1) before text; null when
 * both are missing.
 */
function compareValues(x: FlatValue | undefined, y: FlatValue | undefined): number | null {
  if (x === undefined || y === undefined) return x === y ? null : x === undefined ? 1 : -1;
  const a = typeof x === 'boolean' ? Number(x) : x;
  const b = typeof y === 'boolean' ? Number(y) : y;
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const cut = (s: string): string => (s.length > CUT ? `${s.slice(0, CUT)}…` : s);

const passedOn = (r: TableRow, metric: string | null, passFail: boolean): boolean | null =>
  metric === null ? null : outcomeOf(r.values, metric, passFail).passed;

/** A row to look at: it failed on the metric, or an evaluator could not judge it. */
const isFailure = (r: TableRow, metric: string | null, passFail: boolean): boolean =>
  r.error !== null || passedOn(r, metric, passFail) === false;

export class RunTable {
  readonly run: RunSummary;
  readonly rows: TableRow[] = [];
  /** Metric columns in first-seen order. */
  readonly metrics: string[] = [];
  /** The measure columns: from the run's summary at once, then from each row as it is read. */
  readonly measures: MeasureColumns;
  /** Settles when every result has been read. */
  readonly loaded: Promise<void>;
  readonly #tracker: BaseExperimentTracker;
  #complete = false;
  /** Pages waiting for rows still being read: resolved once `rows` reaches `count`. */
  #waiting: { count: number; resolve: () => void }[] = [];
  /** The rows of the last query, in its order. */
  #lastOrder: { key: string; rows: TableRow[] } | null = null;
  /** The last search, and the rows it matched, so paging through it does not search again. */
  #lastSearch: { text: string; matches: Promise<Set<number>> } | null = null;
  readonly #signal: AbortSignal | undefined;

  /**
   * Starts reading the run. The first rows in logging order are served as soon as they are read,
   * so a 100,000-row run shows its first page at once; sorting, filtering and histograms wait
   * for the whole run.
   */
  constructor(tracker: BaseExperimentTracker, run: RunSummary, signal?: AbortSignal) {
    this.#tracker = tracker;
    this.run = run;
    this.#signal = signal;
    this.measures = {
      latency: Boolean(run.measures?.latency),
      cost: Boolean(run.measures?.cost),
      trials: false,
    };
    this.loaded = this.#load(signal);
    // A failed read is reported to each request that waits on it.
    this.loaded.catch(() => {});
  }

  /** Reads the rows; stops early when `signal` aborts (the server closed). */
  async #load(signal?: AbortSignal): Promise<void> {
    const seen = new Set<string>();
    const samples = new Set<string>();
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
        const latencyMs = latencyOf(r.measures) ?? null;
        const cost = costOf(r.measures) ?? null;
        if (latencyMs !== null) this.measures.latency = true;
        if (cost !== null) this.measures.cost = true;
        // Several trials: a sample met again, as it ran more than once in the run.
        if (samples.has(r.sampleId)) this.measures.trials = true;
        else samples.add(r.sampleId);
        this.rows.push({
          i: this.rows.length,
          resultId: r.resultId,
          sampleId: r.sampleId,
          input: cut(texts.input),
          output: cut(texts.output),
          expected: cut(texts.expected),
          values: r.values,
          passed: null,
          error: resultError(r),
          latencyMs,
          cost,
          trial: r.measures?.trial ?? null,
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
  async page(q: RowQuery): Promise<{
    total: number;
    rows: TableRow[];
    metrics: string[];
    measures: MeasureColumns;
  }> {
    const passFail = await this.#passFail(q.metric);
    const judged = (rows: TableRow[]): TableRow[] =>
      rows.map((r) => ({ ...r, passed: passedOn(r, q.metric, passFail) }));
    if (q.sort === 'i' && !q.desc && !q.failures && q.search === '') {
      // Logging order, unfiltered: served while the rest is still being read.
      await this.#until(q.offset + q.limit);
      if (!this.#complete) {
        return {
          total: Math.max(this.run.totalData, this.rows.length),
          rows: judged(this.rows.slice(q.offset, q.offset + q.limit)),
          metrics: [...this.metrics],
          measures: { ...this.measures },
        };
      }
    }
    await this.loaded;
    const rows = await this.#ordered(q);
    return {
      total: rows.length,
      rows: judged(rows.slice(q.offset, q.offset + q.limit)),
      metrics: [...this.metrics],
      measures: { ...this.measures },
    };
  }

  /** How many rows fail on `metric`, evaluator errors included. */
  async failures(metric: string | null): Promise<number> {
    const passFail = await this.#passFail(metric);
    await this.loaded;
    return this.rows.filter((r) => isFailure(r, metric, passFail)).length;
  }

  /**
   * Whether `metric` is pass/fail in this run: the run's summary says for its leaderboard column,
   * so the first rows are judged at once; any other metric needs the whole run read.
   */
  async #passFail(metric: string | null): Promise<boolean> {
    if (metric === null) return false;
    if (metric === this.run.scoreColumn) return this.run.scorePassFail;
    await this.loaded;
    return isPassFail(this.rows, metric);
  }

  /**
   * The rows a query selects, in its order; the last one is kept, so scrolling through a sorted
   * or filtered 100,000-row run sorts it once.
   */
  async #ordered(q: RowQuery): Promise<TableRow[]> {
    const key = JSON.stringify([q.sort, q.desc, q.failures, q.search, q.metric]);
    if (this.#lastOrder?.key === key) return this.#lastOrder.rows;
    let rows = this.rows;
    const passFail = await this.#passFail(q.metric);
    if (q.failures) rows = rows.filter((r) => isFailure(r, q.metric, passFail));
    if (q.search !== '') {
      const matches = await this.#search(q.search);
      rows = rows.filter((r) => matches.has(r.i));
    }
    if (q.sort !== 'i') {
      const sort = q.sort;
      const value = (r: TableRow): FlatValue | undefined =>
        sort === 'sampleId'
          ? r.sampleId
          : isMeasureSort(sort)
            ? (MEASURE_SORTS[sort](r) ?? undefined)
            : r.values[sort];
      rows = [...rows].sort((a, b) => {
        const order = compareValues(value(a), value(b));
        // Missing values last whichever the direction; ties in logging order.
        if (order === null) return a.i - b.i;
        if (value(a) === undefined || value(b) === undefined) return order;
        return (q.desc ? -order : order) || a.i - b.i;
      });
    } else if (q.desc) {
      rows = [...rows].reverse();
    }
    this.#lastOrder = { key, rows };
    return rows;
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
      let min = Infinity;
      let max = -Infinity;
      for (const x of xs) {
        if (x < min) min = x;
        if (x > max) max = x;
      }
      if (min >= 0 && max <= 1) [min, max] = [0, 1];
      else if (min === max) [min, max] = [min - 0.5, max + 0.5];
      const bins = binary ? 2 : 10;
      const counts = new Array<number>(bins).fill(0);
      const width = (max - min) / bins || 1;
      for (const x of xs) counts[Math.min(bins - 1, Math.floor((x - min) / width))]!++;
      return [{ metric, min, max, counts }];
    });
  }

  /**
   * The rows whose sample id, or any text of their data, metadata or evaluator output (inputs,
   * outputs, explanations…), contains `text`, ignoring case. Read from the store (full texts);
   * the last search is kept while it runs and after, so its pages do not search again.
   */
  #search(text: string): Promise<Set<number>> {
    if (this.#lastSearch?.text === text) return this.#lastSearch.matches;
    const needle = text.toLowerCase();
    const matches = (async () => {
      const found = new Set<number>();
      let i = 0;
      for await (const r of this.#tracker.iterateRunResults(this.run.runId)) {
        if (this.#signal?.aborted) break;
        const texts = [r.sampleId, ...strings(r.data), ...strings(r.metadata)];
        if (r.evaluationResult) texts.push(...strings(r.evaluationResult));
        if (texts.some((t) => t.toLowerCase().includes(needle))) found.add(i);
        i++;
      }
      return found;
    })();
    this.#lastSearch = { text, matches };
    matches.catch(() => {
      if (this.#lastSearch?.matches === matches) this.#lastSearch = null;
    });
    return matches;
  }
}

/** Every string inside a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(strings);
}
