import { describe, expect, it } from 'vitest';
import {
  bootstrapMeanInterval,
  bootstrapMeanIntervals,
  mcnemarExact,
  mulberry32,
  pairedBootstrap,
  pairedBootstraps,
  passAtK,
  studentTInterval,
  wilsonInterval,
} from './statistics.js';

describe('studentTInterval', () => {
  it("matches Student's sleep data: 10 paired differences, mean 1.58 → [0.7001142, 2.4598858]", () => {
    // Cushny & Peebles' sleep data as Student (1908) analysed it; the interval is R's
    // t.test(extra ~ 1, data = differences), shipped with R as datasets::sleep.
    const d = [1.2, 2.4, 1.3, 1.3, 0.0, 1.0, 1.8, 0.8, 4.6, 1.4];
    const m = d.reduce((s, x) => s + x, 0) / d.length;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / (d.length - 1));
    const i = studentTInterval(d.length, m, sd);
    expect(i?.low).toBeCloseTo(0.7001142, 6);
    expect(i?.high).toBeCloseTo(2.4598858, 6);
  });

  it('says nothing below two values, and has no width when every value is equal', () => {
    expect(studentTInterval(0, 0, null)).toBeNull();
    expect(studentTInterval(1, 0.5, null)).toBeNull();
    expect(studentTInterval(5, 0.5, 0)).toEqual({ low: 0.5, high: 0.5 });
  });

  it('uses t, not z: with 2 values the half-width is 12.706 · sd / √2', () => {
    const i = studentTInterval(2, 0, 1);
    expect(i?.high).toBeCloseTo(12.7062047 / Math.SQRT2, 6);
  });
});

describe('wilsonInterval', () => {
  // The checked values of docs/statistics.md.
  it('gives the worked values', () => {
    const i98 = wilsonInterval(98, 100);
    expect(i98?.low).toBeCloseTo(0.92999, 5);
    expect(i98?.high).toBeCloseTo(0.9945, 5);
    expect(wilsonInterval(0, 10)).toEqual({ low: 0, high: expect.closeTo(0.27753, 5) });
    expect(wilsonInterval(10, 10)).toEqual({ low: expect.closeTo(0.72247, 5), high: 1 });
  });

  it('matches a published example: Newcombe (1998), 81/263 → [0.2553, 0.3662]', () => {
    // R. G. Newcombe, "Two-sided confidence intervals for the single proportion", Stat Med 1998, table I.
    const i = wilsonInterval(81, 263);
    expect(i?.low).toBeCloseTo(0.2553, 4);
    expect(i?.high).toBeCloseTo(0.3662, 4);
  });

  it('says nothing for n = 0, and handles n = 1', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(1, 1)).toEqual({ low: expect.closeTo(0.206549, 6), high: 1 });
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
  });
});

describe('McNemar exact', () => {
  it('gives the worked value b = 10, c = 2 → 158/4096', () => {
    expect(mcnemarExact(10, 2).p).toBeCloseTo(158 / 4096, 12);
  });

  it('is 1 with no discordant pairs, symmetric, and never above 1', () => {
    expect(mcnemarExact(0, 0)).toEqual({ regressions: 0, improvements: 0, p: 1, midP: 1 });
    expect(mcnemarExact(2, 10).p).toBe(mcnemarExact(10, 2).p);
    expect(mcnemarExact(5, 5).p).toBe(1);
    // Mid-p: p − P[X = min] = 158/4096 − 66/4096 (Fagerland et al. 2013).
    expect(mcnemarExact(10, 2).midP).toBeCloseTo(92 / 4096, 12);
  });
});

describe('bootstrap', () => {
  it('is deterministic for a seed', () => {
    const values = Array.from({ length: 50 }, (_, i) => (i % 7) / 7);
    expect(bootstrapMeanInterval(values, { seed: 7 })).toEqual(
      bootstrapMeanInterval(values, { seed: 7 }),
    );
    expect(mulberry32(1)()).toBe(mulberry32(1)());
  });

  it('covers the mean, and collapses for identical runs, n = 0 and n = 1', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 10 < 6 ? 1 : 0));
    const i = bootstrapMeanInterval(values);
    expect(i!.low).toBeLessThan(0.6);
    expect(i!.high).toBeGreaterThan(0.6);
    expect(bootstrapMeanInterval([])).toBeNull();
    expect(bootstrapMeanInterval([0.7])).toEqual({ low: 0.7, high: 0.7 });
    const same = pairedBootstrap(values, values);
    expect(same).toEqual({
      n: 200,
      mean: 0,
      interval: { low: 0, high: 0 },
      significantDrop: false,
    });
    expect(pairedBootstrap([], [])).toEqual({
      n: 0,
      mean: null,
      interval: null,
      significantDrop: false,
    });
  });

  it('takes the 2.5th and 97.5th percentiles: each bound where theory puts it, and exact', () => {
    // 200 samples, 60% passing in the baseline: the mean difference against all-pass is −0.4 with
    // standard error sqrt(0.24 / 200) = 0.03464, so a 95% interval of about −0.4 ± 0.0679.
    const baseline = Array.from({ length: 200 }, () => 1);
    const candidate = baseline.map((_, i) => (i % 10 < 6 ? 1 : 0));
    const d = pairedBootstrap(baseline, candidate);
    expect(d.interval!.low).toBeCloseTo(-0.4 - 0.0679, 2);
    expect(d.interval!.high).toBeCloseTo(-0.4 + 0.0679, 2);
    // The seeded draws make the bounds exact (resampled means are multiples of 1/200).
    expect(d).toEqual({
      n: 200,
      mean: -0.4,
      interval: { low: -0.465, high: -0.33 },
      significantDrop: true,
    });
    // Two pairs, differences 0 and 1: resampled means 0, 0.5, 1 with chances 1/4, 1/2, 1/4, so
    // the 2.5th percentile is 0 and the 97.5th is 1.
    expect(pairedBootstrap([0, 0], [0, 1]).interval).toEqual({ low: 0, high: 1 });
  });

  it('flags a drop whose whole interval is below zero, and only then', () => {
    const baseline = Array.from({ length: 100 }, () => 1);
    const worse = baseline.map((_, i) => (i < 40 ? 0 : 1));
    expect(pairedBootstrap(baseline, worse).significantDrop).toBe(true);
    const noisy = baseline.map((_, i) => (i < 2 ? 0 : 1));
    expect(pairedBootstrap(baseline, noisy).significantDrop).toBe(false);
  });
});

describe('pass@k and pass^k', () => {
  it('follows Chen et al. 2021 and Yao et al. 2024', () => {
    expect(passAtK(5, 2, 1)).toEqual({ passAt: 0.4, passPow: 0.4 });
    // pass@2 = 1 − C(3,2)/C(5,2) = 1 − 3/10; pass^2 = C(2,2)/C(5,2) = 1/10.
    expect(passAtK(5, 2, 2).passAt).toBeCloseTo(0.7, 12);
    expect(passAtK(5, 2, 2).passPow).toBeCloseTo(0.1, 12);
    expect(passAtK(3, 3, 3)).toEqual({ passAt: 1, passPow: 1 });
    expect(passAtK(3, 0, 3)).toEqual({ passAt: 0, passPow: 0 });
  });
});

describe('bootstrapMeanIntervals', () => {
  it('gives each column the interval it has alone with the same seed', () => {
    const a = Array.from({ length: 50 }, (_, i) => (i % 7) / 7);
    const b = Array.from({ length: 50 }, (_, i) => (i % 3) - 1);
    expect(bootstrapMeanIntervals([a, b], { seed: 9 })).toEqual([
      bootstrapMeanInterval(a, { seed: 9 }),
      bootstrapMeanInterval(b, { seed: 9 }),
    ]);
    expect(pairedBootstraps([{ baseline: a, candidate: b }], { seed: 9 })).toEqual([
      pairedBootstrap(a, b, { seed: 9 }),
    ]);
  });

  /** The bootstrap as written out: each resample's picked values summed in the order drawn. */
  function drawnOneByOne(values: number[], seed: number, resamples = 2000): [number, number] {
    const random = mulberry32(seed);
    const n = values.length;
    const means: number[] = [];
    for (let b = 0; b < resamples; b++) {
      const picks = Array.from({ length: n }, () => Math.floor(random() * n));
      means.push(picks.reduce((sum, i) => sum + (values[i] as number), 0) / n);
    }
    means.sort((x, y) => x - y);
    const at = (q: number) => {
      const pos = (resamples - 1) * q;
      const lo = means[Math.floor(pos)] as number;
      return lo + ((means[Math.ceil(pos)] as number) - lo) * (pos - Math.floor(pos));
    };
    return [at(0.025), at(0.975)];
  }

  it('counts columns of few values and sums the others: the intervals of the bootstrap as written out', () => {
    const n = 997;
    const thirds = Array.from({ length: n }, (_, i) => ((i * 7) % 4) / 3 - 0.5);
    const verdicts = Array.from(
      { length: n },
      (_, i) => (i % 11 < 4 ? 1 : 0) - (i % 13 < 2 ? 1 : 0),
    );
    const latencies = Array.from({ length: n }, (_, i) => Math.sin(i) * 120.5);
    const [thirdsI, verdictsI, latenciesI] = bootstrapMeanIntervals([thirds, verdicts, latencies], {
      seed: 5,
    });
    // Counted: Σ count × value may round differently from a sum in drawn order, in the last bits.
    const [tl, th] = drawnOneByOne(thirds, 5);
    expect(thirdsI?.low).toBeCloseTo(tl, 12);
    expect(thirdsI?.high).toBeCloseTo(th, 12);
    // Whole values count exactly; a column of many values is summed as drawn.
    expect(verdictsI).toEqual({
      low: drawnOneByOne(verdicts, 5)[0],
      high: drawnOneByOne(verdicts, 5)[1],
    });
    expect(latenciesI).toEqual({
      low: drawnOneByOne(latencies, 5)[0],
      high: drawnOneByOne(latencies, 5)[1],
    });
  });

  it('counts columns whose joint values take too many forms one by one, to the same intervals', () => {
    const n = 5000;
    // Three columns of 64 values each, every item a form of its own: counted column by column.
    const columns = [1, 2, 3].map((k) => {
      const random = mulberry32(k);
      return Array.from({ length: n }, () => Math.floor(random() * 64) / 63);
    });
    expect(new Set(columns[0]?.map((_, i) => columns.map((c) => c[i]).join())).size).toBe(4951);
    const together = bootstrapMeanIntervals(columns, { seed: 3, resamples: 200 });
    const alone = columns.map((c) => bootstrapMeanInterval(c, { seed: 3, resamples: 200 }));
    expect(together).toEqual(alone);
    const [low, high] = drawnOneByOne(columns[0] as number[], 3, 200);
    expect(together[0]?.low).toBeCloseTo(low, 12);
    expect(together[0]?.high).toBeCloseTo(high, 12);
  });

  it('refuses columns of different lengths, and says nothing of no items', () => {
    expect(() => bootstrapMeanIntervals([[1], [1, 2]])).toThrow(RangeError);
    expect(bootstrapMeanIntervals([[], []])).toEqual([null, null]);
    expect(bootstrapMeanIntervals([])).toEqual([]);
  });

  it('gives a constant or repeated column exactly what resampling it gives, without resampling it', () => {
    const a = Array.from({ length: 3001 }, (_, i) => Math.sin(i) * 0.37);
    const columns = [a, Array<number>(3001).fill(0.1), [...a], Array<number>(3001).fill(0)];
    // The figures the resampling of every column gave (before constant and repeated columns were
    // left out of it): 0.1 summed 3,001 times and divided is not quite 0.1.
    expect(bootstrapMeanIntervals(columns, { seed: 9 })).toEqual([
      { low: -0.00910291016991988, high: 0.009394037430111664 },
      { low: 0.09999999999999991, high: 0.09999999999999991 },
      { low: -0.00910291016991988, high: 0.009394037430111664 },
      { low: 0, high: 0 },
    ]);
  });
});
