/**
 * The numbers every shown aggregate carries (docs/statistics.md): intervals for pass rates
 * and mean scores, a paired bootstrap for differences, McNemar's exact test, pass@k and pass^k.
 * Deterministic: resampling draws from a seeded generator, so the same inputs give the same output.
 */
import type JStat from 'jstat';
import { lazyRequire } from '../common/lazy-require.js';
import { nearestRankOf } from '../tracker/measures.js';

const jStat = lazyRequire<typeof JStat>('jstat');

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** A 95% interval; `null` bounds when there is no data to say anything (n = 0). */
export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for `k` passes out of `n` (Wilson 1927; Agresti & Coull 1998). `null`
 * for n = 0: no interval, rather than NaN.
 */
export function wilsonInterval(k: number, n: number, z = Z95): Interval | null {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) {
    throw new RangeError(`wilsonInterval needs integers 0 <= k <= n, got k=${k}, n=${n}`);
  }
  if (n === 0) return null;
  const p = k / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  // Clamp the rounding at the ends: 0/n has exactly 0 as its lower bound, n/n exactly 1.
  return {
    low: k === 0 ? 0 : Math.max(0, centre - half),
    high: k === n ? 1 : Math.min(1, centre + half),
  };
}

/**
 * Student-t 95% interval of a mean, from the count, mean and sample standard deviation of the
 * values (Student 1908): mean ± t(0.975, n - 1) · sd / √n. Needs only aggregates, so a leaderboard
 * can show it without reading results. `null` below two values: one value says nothing of spread.
 */
export function studentTInterval(n: number, mean: number, sd: number | null): Interval | null {
  if (n < 2 || sd === null) return null;
  const half = (jStat().studentt.inv(0.975, n - 1) * sd) / Math.sqrt(n);
  return { low: mean - half, high: mean + half };
}

/** mulberry32: a small, well-tested 32-bit generator; enough for resampling indices. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from text (FNV-1a), e.g. the run ids being compared. */
export function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The q-quantile of sorted values, by linear interpolation (numpy's default): for the percentiles
 * of a bootstrap, whose thousands of resampled means leave no gap worth speaking of.
 */
function quantile(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * The q-quantile of sorted values by nearest rank: the value of rank ⌈q · n⌉, counted from 1
 * (numpy's `method="inverted_cdf"`; Hyndman & Fan's type 1). It is always one of the values, the
 * way latency percentiles are given (the p95 of 20 latencies is the 19th: 19 of the 20 took at
 * most that long), and what a run's summary approximates from its sketch. `NaN` for no values.
 */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[nearestRankOf(q, sorted.length) - 1] as number;
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Options of the bootstraps: B resamples drawn from a generator seeded with `seed`. */
export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
}

/**
 * Percentile bootstrap 95% intervals of the means of several columns of values over the same
 * items, with the same resampled items for every column: one set of draws serves them all, which
 * is what makes comparing many metrics of 10,000 samples fast. Each interval equals
 * {@link bootstrapMeanInterval} of its column with the same seed.
 */
export function bootstrapMeanIntervals(
  columns: readonly (readonly number[])[],
  { resamples = 2000, seed = 1 }: BootstrapOptions = {},
): (Interval | null)[] {
  const n = columns[0]?.length ?? 0;
  if (columns.some((c) => c.length !== n)) {
    throw new RangeError('bootstrapMeanIntervals needs columns of one length');
  }
  if (n === 0) return columns.map(() => null);
  // Only distinct columns that vary are resampled (the others' intervals follow exactly): a
  // constant column's means are all that constant, and two equal columns draw equal means.
  // Comparisons have many such (a metric unchanged on every sample, a verdict and its score).
  const distinct: Float64Array[] = [];
  const which = columns.map((c): number | { constant: number } => {
    const first = c[0] as number;
    if (c.every((x) => x === first)) return { constant: first };
    const at = distinct.findIndex((d) => d.every((x, i) => x === c[i]));
    if (at !== -1) return at;
    distinct.push(Float64Array.from(c));
    return distinct.length - 1;
  });
  const random = mulberry32(seed);
  const picks = new Uint32Array(n);
  const means = distinct.map(() => new Float64Array(resamples));
  const counted = new CountedColumns(distinct, n);
  const summed = distinct.map((_, m) => m).filter((m) => !counted.has(m));
  for (let b = 0; b < resamples && distinct.length > 0; b++) {
    for (let i = 0; i < n; i++) picks[i] = Math.floor(random() * n);
    counted.count(picks);
    for (const m of counted.columns) (means[m] as Float64Array)[b] = counted.sumOf(m) / n;
    for (const m of summed) {
      const column = distinct[m] as Float64Array;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += column[picks[i] as number] as number;
      (means[m] as Float64Array)[b] = sum / n;
    }
  }
  const intervals = means.map((column) => {
    column.sort();
    return { low: quantile(column, 0.025), high: quantile(column, 0.975) };
  });
  return which.map((w) =>
    typeof w === 'number' ? { ...(intervals[w] as Interval) } : constantInterval(w.constant, n),
  );
}

/** A column with at most this many distinct values is counted, not summed. */
const FEW_VALUES = 64;
/** Counting pays while the columns' joint values take at most this many forms. */
const FEW_FORMS = 4096;

/**
 * The columns of few distinct values (pass/fail, a score in steps, their differences), whose
 * resampled sums come from counts: how many picks fell on each value, summed as
 * Σ count × value in ascending order of the values. A column's sum is then the same whatever
 * other columns it is counted with. All of them are counted in one pass over the picks, by the
 * joint form of their values on each item (most items share a handful of forms), where summing
 * would take a pass per column.
 */
class CountedColumns {
  /** The counted columns, by their index among the distinct ones. */
  readonly columns: number[] = [];
  /** Each counted column's distinct values, ascending. */
  readonly #values: Float64Array[] = [];
  /** For each form, the index of each counted column's value in it. */
  readonly #forms: Uint8Array[] = [];
  /** Each item's form. */
  #formOf: Uint32Array | null = null;
  #picked = new Float64Array(0);
  readonly #perValue: Float64Array[] = [];
  /** When the forms are too many: each counted column's value index per item, counted alone. */
  #codes: Uint8Array[] = [];

  constructor(columns: readonly Float64Array[], n: number) {
    for (const [m, column] of columns.entries()) {
      const values = [...new Set(column)].sort((x, y) => x - y);
      if (values.length > FEW_VALUES) continue;
      const indexOf = new Map(values.map((v, k) => [v, k]));
      this.columns.push(m);
      this.#values.push(Float64Array.from(values));
      this.#perValue.push(new Float64Array(values.length));
      this.#codes.push(Uint8Array.from(column, (v) => indexOf.get(v) as number));
    }
    if (this.columns.length === 0) return;
    const formOf = new Uint32Array(n);
    const forms = new Map<string, number>();
    for (let i = 0; i < n && forms.size <= FEW_FORMS; i++) {
      const key = this.#codes.map((c) => c[i]).join(',');
      let form = forms.get(key);
      if (form === undefined) {
        form = forms.size;
        forms.set(key, form);
        this.#forms.push(Uint8Array.from(this.#codes, (c) => c[i] as number));
      }
      formOf[i] = form;
    }
    if (forms.size > FEW_FORMS) return;
    this.#formOf = formOf;
    this.#picked = new Float64Array(forms.size);
  }

  has(m: number): boolean {
    return this.columns.includes(m);
  }

  /** Counts, for every counted column, how many of `picks` fell on each of its values. */
  count(picks: Uint32Array): void {
    for (const perValue of this.#perValue) perValue.fill(0);
    const formOf = this.#formOf;
    if (formOf) {
      const picked = this.#picked.fill(0);
      for (let i = 0; i < picks.length; i++) {
        const f = formOf[picks[i] as number] as number;
        picked[f] = (picked[f] as number) + 1;
      }
      for (let f = 0; f < picked.length; f++) {
        const times = picked[f] as number;
        if (times === 0) continue;
        const form = this.#forms[f] as Uint8Array;
        for (let k = 0; k < form.length; k++) {
          const perValue = this.#perValue[k] as Float64Array;
          const v = form[k] as number;
          perValue[v] = (perValue[v] as number) + times;
        }
      }
      return;
    }
    for (const [k, codes] of this.#codes.entries()) {
      const perValue = this.#perValue[k] as Float64Array;
      for (let i = 0; i < picks.length; i++) {
        const v = codes[picks[i] as number] as number;
        perValue[v] = (perValue[v] as number) + 1;
      }
    }
  }

  /** The sum of the picked values of column `m` (a counted one), from the last {@link count}. */
  sumOf(m: number): number {
    const k = this.columns.indexOf(m);
    const values = this.#values[k] as Float64Array;
    const perValue = this.#perValue[k] as Float64Array;
    let sum = 0;
    for (let v = 0; v < values.length; v++) sum += (perValue[v] as number) * (values[v] as number);
    return sum;
  }
}

/** The interval of a constant column: its resampled means, sums of n equal values over n. */
function constantInterval(x: number, n: number): Interval {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x;
  return { low: sum / n, high: sum / n };
}

/**
 * Percentile bootstrap 95% interval of the mean of `values` (B resamples, seeded). `null` for no
 * values. One value gives the interval [v, v]: nothing is known of its spread.
 */
export function bootstrapMeanInterval(
  values: readonly number[],
  options: BootstrapOptions = {},
): Interval | null {
  return bootstrapMeanIntervals([values], options)[0] ?? null;
}

/** The paired difference candidate − baseline: its mean and 95% bootstrap interval. */
export interface PairedDifference {
  n: number;
  mean: number | null;
  interval: Interval | null;
  /** The whole interval lies below zero: the candidate is worse beyond noise. */
  significantDrop: boolean;
}

/** Paired values of one metric over the same samples, in the same order. */
export interface Pairs {
  baseline: readonly number[];
  candidate: readonly number[];
}

/**
 * Paired bootstrap of the mean difference over matched samples, for several metrics of the same
 * samples at once: resample pairs (B = 2,000, seeded), take the 2.5th and 97.5th percentiles of
 * the mean difference. Each result equals {@link pairedBootstrap} of its metric with the same seed.
 */
export function pairedBootstraps(
  metrics: readonly Pairs[],
  options: BootstrapOptions = {},
): PairedDifference[] {
  const diffs = metrics.map(({ baseline, candidate }) => {
    if (baseline.length !== candidate.length) {
      throw new RangeError(
        `paired samples differ in length: ${baseline.length} and ${candidate.length}`,
      );
    }
    return candidate.map((c, i) => c - (baseline[i] as number));
  });
  const intervals = bootstrapMeanIntervals(diffs, options);
  return diffs.map((d, m) => {
    const interval = intervals[m] ?? null;
    return {
      n: d.length,
      mean: d.length === 0 ? null : mean(d),
      interval,
      significantDrop: interval !== null && interval.high < 0,
    };
  });
}

/** {@link pairedBootstraps} of one metric. */
export function pairedBootstrap(
  baseline: readonly number[],
  candidate: readonly number[],
  options: BootstrapOptions = {},
): PairedDifference {
  return pairedBootstraps([{ baseline, candidate }], options)[0] as PairedDifference;
}

/** Binomial(n, 1/2) probability of at most `k`, exactly (sums in log space for large n). */
function binomialHalfCdf(k: number, n: number): number {
  let logC = 0; // log C(n, 0)
  let total = 0;
  const logHalfN = n * Math.log(0.5);
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    total += Math.exp(logC + logHalfN);
  }
  return total;
}

/** McNemar's test on the discordant pairs of a pass/fail metric. */
export interface McNemar {
  /** Passed in the baseline, failed in the candidate. */
  regressions: number;
  /** Failed in the baseline, passed in the candidate. */
  improvements: number;
  /** Exact two-sided p: min(1, 2·P[X ≤ min(b, c)]), X ~ Binomial(b + c, 1/2); 1 when b + c = 0. */
  p: number;
  /** The mid-p variant (Fagerland, Lydersen & Laake 2013). */
  midP: number;
}

/** McNemar's exact test (McNemar 1947) for `b` regressions and `c` improvements. */
export function mcnemarExact(b: number, c: number): McNemar {
  if (!Number.isInteger(b) || !Number.isInteger(c) || b < 0 || c < 0) {
    throw new RangeError(`mcnemarExact needs counts >= 0, got b=${b}, c=${c}`);
  }
  const n = b + c;
  if (n === 0) return { regressions: b, improvements: c, p: 1, midP: 1 };
  const k = Math.min(b, c);
  const cdf = binomialHalfCdf(k, n);
  const pointK = k === 0 ? Math.pow(0.5, n) : binomialHalfCdf(k, n) - binomialHalfCdf(k - 1, n);
  return {
    regressions: b,
    improvements: c,
    p: Math.min(1, 2 * cdf),
    midP: Math.min(1, 2 * cdf - pointK),
  };
}

/** C(n, k) as a float (exact for the sizes repetitions have). */
function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/**
 * pass@k (Chen et al. 2021: at least one of k tries passes, unbiased) and pass^k (Yao et al. 2024:
 * all k pass) for one sample tried `n` times with `c` passes.
 */
export function passAtK(n: number, c: number, k: number): { passAt: number; passPow: number } {
  if (
    !(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k)) ||
    n < 1 ||
    c < 0 ||
    c > n ||
    k < 1 ||
    k > n
  ) {
    throw new RangeError(
      `passAtK needs integers 1 <= k <= n and 0 <= c <= n, got n=${n}, c=${c}, k=${k}`,
    );
  }
  const all = choose(n, k);
  return { passAt: 1 - choose(n - c, k) / all, passPow: choose(c, k) / all };
}
