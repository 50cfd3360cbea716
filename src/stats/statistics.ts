/**
 * The numbers every shown aggregate carries (shared/spec/statistics.md): intervals for pass rates
 * and mean scores, a paired bootstrap for differences, McNemar's exact test, pass@k and pass^k.
 * Deterministic: resampling draws from a seeded generator, so the same inputs give the same output.
 */
import jStat from 'jstat';

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
  const half = (jStat.studentt.inv(0.975, n - 1) * sd) / Math.sqrt(n);
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

/** The q-quantile of sorted values, by linear interpolation (numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Percentile bootstrap 95% interval of the mean of `values` (B resamples, seeded). `null` for no
 * values. One value gives the interval [v, v]: nothing is known of its spread.
 */
export function bootstrapMeanInterval(
  values: readonly number[],
  { resamples = 2000, seed = 1 }: { resamples?: number; seed?: number } = {},
): Interval | null {
  if (values.length === 0) return null;
  const random = mulberry32(seed);
  const n = values.length;
  const means: number[] = new Array<number>(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)] as number;
    means[b] = sum / n;
  }
  means.sort((x, y) => x - y);
  return { low: quantile(means, 0.025), high: quantile(means, 0.975) };
}

/** The paired difference candidate − baseline: its mean and 95% bootstrap interval. */
export interface PairedDifference {
  n: number;
  mean: number | null;
  interval: Interval | null;
  /** The whole interval lies below zero: the candidate is worse beyond noise. */
  significantDrop: boolean;
}

/**
 * Paired bootstrap of the mean difference over matched samples: resample pairs (B = 2,000,
 * seeded), take the 2.5th and 97.5th percentiles of the mean difference.
 */
export function pairedBootstrap(
  baseline: readonly number[],
  candidate: readonly number[],
  options: { resamples?: number; seed?: number } = {},
): PairedDifference {
  if (baseline.length !== candidate.length) {
    throw new RangeError(
      `paired samples differ in length: ${baseline.length} and ${candidate.length}`,
    );
  }
  const diffs = candidate.map((c, i) => c - (baseline[i] as number));
  if (diffs.length === 0) return { n: 0, mean: null, interval: null, significantDrop: false };
  const interval = bootstrapMeanInterval(diffs, options);
  return {
    n: diffs.length,
    mean: mean(diffs),
    interval,
    significantDrop: interval !== null && interval.high < 0,
  };
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
