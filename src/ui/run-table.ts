/**
 * One run as the dashboard's sample table needs it: a compact row per result (texts cut short,
 * every value), kept in memory so that sorting, filtering and paging a 100,000-row run answer
 * from memory; full texts are read one result at a time with `getResult`.
 */
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { costOf, latencyOf } from '../tracker/measures.js';
import { runStatsOn } from '../stats/run-stats.js';
import type { Interval } from '../stats/statistics.js';
import { isPassFail, outcomeOf, resultError, verdictColumn } from '../tracker/sample-outcome.js';
import { sampleTexts } from '../tracker/sample-texts.js';
import type { FlatValue, ResultRecord, RunSummary } from '../types.js';
import { meets, metricParts, thresholdIn, thresholdOf } from './metric-names.js';
import type { Threshold } from './metric-names.js';

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
  /**
   * Whether each score met its mark, for the scores that have one: the threshold recorded beside
   * the score, else the verdict beside it (`<path>.success`, `<evaluator>.aggregate_success`).
   */
  marks: Record<string, boolean>;
}

/** One metric of a run, as a row of the run's summary table. */
export interface MetricSummary {
  metric: string;
  /** Every value a boolean or 0/1: shown as pass/fail, its mean is its pass rate. */
  passFail: boolean;
  /** Results with a number (or boolean) on it: the n of `meanInterval`. */
  scored: number;
  mean: number | null;
  /** Wilson for pass/fail, else Student t; 95%. */
  meanInterval: Interval | null;
  /** Passed, of the results with a verdict on it (its own, or the one beside it). */
  passRate: number | null;
  passInterval: Interval | null;
  /** Results with neither a value on it nor an error of its evaluator. */
  missing: number;
  /** Results whose evaluator recorded an error instead of judging. */
  errors: number;
  /** The threshold recorded for it (the first one, when results differ); null when none. */
  threshold: Threshold | null;
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
  /** The thresholds recorded for the scores: the first seen of each metric. */
  readonly thresholds: Record<string, Threshold> = {};
  /** Rows whose threshold differs from the first seen, by metric then row. */
  readonly #rowThresholds = new Map<string, Map<number, Threshold>>();
  /** Whether each metric's values read so far are all booleans or 0/1. */
  readonly #binary = new Map<string, boolean>();
  /** The evaluators that recorded an error, by row. */
  readonly #errored = new Map<number, string[]>();

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
        this.#note(r);
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
          marks: {},
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

  /** Keeps what the summary and the marks need of a result: its kinds, thresholds, errors. */
  #note(r: ResultRecord): void {
    const i = this.rows.length;
    for (const [name, v] of Object.entries(r.values)) {
      const binary = typeof v === 'boolean' || v === 0 || v === 1;
      if (!binary) this.#binary.set(name, false);
      else if (!this.#binary.has(name)) this.#binary.set(name, true);
      const t = thresholdIn(r.evaluationResult, name) ?? this.#thresholdColumns(r, name);
      if (t === null) continue;
      const first = this.thresholds[name];
      if (first === undefined) this.thresholds[name] = t;
      else if (first.threshold !== t.threshold || first.higherIsBetter !== t.higherIsBetter) {
        let own = this.#rowThresholds.get(name);
        if (!own) this.#rowThresholds.set(name, (own = new Map<number, Threshold>()));
        own.set(i, t);
      }
    }
    const failed = erroredEvaluators(r);
    if (failed.length > 0) this.#errored.set(i, failed);
  }

  /** A threshold kept as columns beside the score (`<path>.threshold`), as a flat file may. */
  #thresholdColumns(r: ResultRecord, name: string): Threshold | null {
    if (!name.endsWith('.score')) return null;
    const base = name.slice(0, -'.score'.length);
    const threshold = r.values[`${base}.threshold`];
    if (threshold === undefined) return null;
    return thresholdOf({ threshold, higher_is_better: r.values[`${base}.higher_is_better`] });
  }

  /** The threshold of `metric` for row `i`: its own when it differs from the run's first one. */
  #thresholdAt(metric: string, i: number): Threshold | undefined {
    return this.#rowThresholds.get(metric)?.get(i) ?? this.thresholds[metric];
  }

  /** Whether each score of `r` met its mark (see {@link TableRow.marks}). */
  #marksOf(r: TableRow): Record<string, boolean> {
    const marks: Record<string, boolean> = {};
    for (const [name, v] of Object.entries(r.values)) {
      const score = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : null;
      if (score === null) continue;
      const t = this.#thresholdAt(name, r.i);
      if (t) {
        marks[name] = meets(score, t);
        continue;
      }
      const column = verdictColumn(name);
      const verdict = column === null ? undefined : r.values[column];
      if (verdict === true || verdict === 1) marks[name] = true;
      else if (verdict === false || verdict === 0) marks[name] = false;
    }
    return marks;
  }

  /** The metrics read so far whose every value is a boolean or 0/1. */
  #passFailMetrics(): string[] {
    return this.metrics.filter((m) => this.#binary.get(m) === true);
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
    /** The metrics shown as pass/fail (every value read so far a boolean or 0/1). */
    passFail: string[];
    /** The thresholds recorded for the scores, the first seen of each. */
    thresholds: Record<string, Threshold>;
  }> {
    const passFail = await this.#passFail(q.metric);
    const judged = (rows: TableRow[]): TableRow[] =>
      rows.map((r) => ({
        ...r,
        passed: passedOn(r, q.metric, passFail),
        marks: this.#marksOf(r),
      }));
    if (q.sort === 'i' && !q.desc && !q.failures && q.search === '') {
      // Logging order, unfiltered: served while the rest is still being read.
      await this.#until(q.offset + q.limit);
      if (!this.#complete) {
        return {
          total: Math.max(this.run.totalData, this.rows.length),
          rows: judged(this.rows.slice(q.offset, q.offset + q.limit)),
          metrics: [...this.metrics],
          measures: { ...this.measures },
          passFail: this.#passFailMetrics(),
          thresholds: { ...this.thresholds },
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
      passFail: this.#passFailMetrics(),
      thresholds: { ...this.thresholds },
    };
  }

  /**
   * A row per metric: its mean with a 95% interval and its pass rate (as `runs --metric` computes
   * them), and how many results miss it or hold an error of its evaluator.
   */
  async summary(): Promise<MetricSummary[]> {
    await this.loaded;
    return this.metrics.map((metric) => {
      const stats = runStatsOn(this.run, this.rows, metric);
      const { evaluator } = metricParts(metric);
      let missing = 0;
      let errors = 0;
      for (const r of this.rows) {
        if (this.#errored.get(r.i)?.includes(evaluator)) errors++;
        else {
          const v = r.values[metric];
          if (typeof v !== 'number' && typeof v !== 'boolean') missing++;
        }
      }
      return {
        metric,
        passFail: this.#binary.get(metric) === true,
        scored: stats.scored,
        mean: stats.score,
        meanInterval: stats.score === null ? null : stats.scoreInterval,
        passRate: stats.passRate,
        passInterval: stats.passRate === null ? null : stats.passInterval,
        missing,
        errors,
        threshold: this.thresholds[metric] ?? null,
      };
    });
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

  /**
   * Every continuous metric (numbers, not all 0/1) as a histogram of 10 bins: a pass/fail column's
   * distribution is its pass rate, in the summary.
   */
  async histograms(): Promise<Histogram[]> {
    await this.loaded;
    return this.metrics.flatMap((metric) => {
      if (this.#binary.get(metric) !== false) return [];
      const xs = this.rows.flatMap((r) => {
        const v = r.values[metric];
        return typeof v === 'number' ? [v] : typeof v === 'boolean' ? [Number(v)] : [];
      });
      if (xs.length === 0) return [];
      let min = Infinity;
      let max = -Infinity;
      for (const x of xs) {
        if (x < min) min = x;
        if (x > max) max = x;
      }
      if (min >= 0 && max <= 1) [min, max] = [0, 1];
      else if (min === max) [min, max] = [min - 0.5, max + 0.5];
      const bins = 10;
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

/**
 * The evaluators that recorded an error instead of judging the result (`{ <evaluator>: { error } }`,
 * the shape `resultError` reads).
 */
function erroredEvaluators(record: Pick<ResultRecord, 'evaluationResult'>): string[] {
  const output = record.evaluationResult;
  if (!output) return [];
  return Object.entries(output).flatMap(([evaluator, block]) =>
    typeof block === 'object' &&
    block !== null &&
    !Array.isArray(block) &&
    typeof (block as Record<string, unknown>)['error'] === 'string' &&
    (block as Record<string, unknown>)['error'] !== ''
      ? [evaluator]
      : [],
  );
}

/** Every string inside a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(strings);
}
