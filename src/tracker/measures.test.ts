import { describe, expect, it } from 'vitest';
import type { ResultMeasures } from '../types.js';
import {
  checkMeasures,
  foldMeasures,
  latencyQuantile,
  mergeMeasureAggregates,
  toRunMeasures,
} from './measures.js';
import type { MeasureAggregate } from './measures.js';

const task = (latencyMs: number): ResultMeasures => ({ task: { latencyMs } });

function foldAll(latencies: readonly number[]): MeasureAggregate {
  let a: MeasureAggregate | undefined;
  for (const ms of latencies) a = foldMeasures(a, task(ms));
  if (!a) throw new Error('nothing folded');
  return a;
}

/** The exact nearest-rank quantile: the value of rank ⌈q·n⌉. */
const exact = (xs: readonly number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.max(1, Math.ceil(q * xs.length)) - 1] ?? NaN;

describe('latency quantiles from the aggregate', () => {
  it('gives the nearest-rank value within 1%, never outside the smallest and largest', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => 0.5 + ((i * 7919) % 1000) * 3.7);
    const a = foldAll(xs);
    for (const q of [0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1]) {
      const got = latencyQuantile(a, q);
      expect(Math.abs(got - exact(xs, q)) / exact(xs, q)).toBeLessThanOrEqual(0.01);
    }
    expect(latencyQuantile(foldAll([380, 412.5]), 0.5)).toBe(380);
    expect(latencyQuantile(foldAll([380, 412.5]), 0.95)).toBe(412.5);
    expect(latencyQuantile(foldAll([7]), 0.5)).toBe(7);
  });

  it('counts zero latencies, which have no bin', () => {
    const a = foldAll([0, 0, 0, 10]);
    expect(a.latencyZeros).toBe(3);
    expect(latencyQuantile(a, 0.5)).toBe(0);
    expect(latencyQuantile(a, 0.95)).toBe(10);
  });

  it('merges two aggregates into what folding every result gives', () => {
    const xs = [5, 1, 300, 42, 0, 17.5, 9, 9];
    const merged = mergeMeasureAggregates(foldAll(xs.slice(0, 3)), foldAll(xs.slice(3)));
    expect(merged).toEqual(foldAll(xs));
    // Through JSON, as every store keeps it.
    expect(toRunMeasures(JSON.parse(JSON.stringify(merged)) as MeasureAggregate)).toEqual(
      toRunMeasures(foldAll(xs)),
    );
    expect(toRunMeasures(foldAll(xs))?.latency).toEqual({
      n: 8,
      meanMs: 383.5 / 8,
      p50Ms: expect.closeTo(9, 0) as number,
      p95Ms: 300,
      maxMs: 300,
    });
  });

  it('leaves a run without measures without any', () => {
    expect(foldMeasures(undefined, null)).toBeUndefined();
    expect(foldMeasures(undefined, { trial: 2 })).toBeUndefined();
    expect(toRunMeasures(undefined)).toBeNull();
  });
});

describe('checkMeasures', () => {
  it('copies the known keys and refuses anything else with its path', () => {
    expect(checkMeasures({ trial: 1, task: { cost: 0 } }, 'm')).toEqual({
      trial: 1,
      task: { cost: 0 },
    });
    expect(checkMeasures(undefined, 'm')).toBeNull();
    expect(() => checkMeasures({ task: { latencyMs: Infinity } }, 'm')).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT', path: 'm.task.latencyMs' }),
    );
    expect(() => checkMeasures({ latency: 3 }, 'm')).toThrow(
      expect.objectContaining({ path: 'm.latency' }),
    );
  });
});
