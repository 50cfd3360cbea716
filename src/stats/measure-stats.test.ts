import { describe, expect, it } from 'vitest';
import type { FlatValue, ResultMeasures, ResultRecord } from '../types.js';
import { compareRuns } from './compare-runs.js';
import { exactRunMeasures } from './measure-stats.js';
import { nearestRank, pairedBootstrap, seedFrom } from './statistics.js';

let seq = 0;
function record(
  runId: string,
  sampleId: string,
  values: Record<string, FlatValue>,
  measures: ResultMeasures | null,
): ResultRecord {
  return {
    resultId: `r${seq++}`,
    sampleId,
    runId,
    datasetName: 'd',
    timestamp: '2026-11-29T00:00:00.000Z',
    evaluatorName: 'judge',
    modelName: 'm',
    values,
    data: { input: `question ${sampleId}` },
    metadata: {},
    evaluationResult: {},
    measures,
  };
}

describe('nearestRank', () => {
  it('gives the value of rank ⌈q · n⌉, as numpy\'s percentile with method="inverted_cdf" does', () => {
    // numpy.percentile(x, [50, 95], method="inverted_cdf") gives each pair below.
    const twenty = Array.from({ length: 20 }, (_, i) => 10 * (i + 1));
    expect([nearestRank(twenty, 0.5), nearestRank(twenty, 0.95)]).toEqual([100, 190]);
    const five = [100, 200, 300, 400, 1000];
    expect([nearestRank(five, 0.5), nearestRank(five, 0.95)]).toEqual([300, 1000]);
    expect([nearestRank([380, 412.5], 0.5), nearestRank([380, 412.5], 0.95)]).toEqual([380, 412.5]);
    expect([nearestRank(five, 0), nearestRank(five, 1)]).toEqual([100, 1000]);
    expect(nearestRank([7], 0.95)).toBe(7);
    expect(nearestRank([], 0.5)).toBeNaN();
  });
});

describe('exactRunMeasures', () => {
  it("gives a run's latency with exact quantiles, and adds up the task's and evaluators' tokens and cost", () => {
    const latencies = [1000, 100, 400, 300, 200]; // in any order
    const records = latencies.map((latencyMs, i) =>
      record(
        'r',
        `s${i}`,
        {},
        {
          task: { latencyMs, cost: 0.5, usage: { inputTokens: 10, outputTokens: 2 } },
          evaluators: { judge: { cost: 0.25, usage: { totalTokens: 7 } } },
        },
      ),
    );
    records.push(record('r', 'unmeasured', {}, null));
    records.push(record('r', 'judge only', {}, { evaluators: { judge: { cost: 0.125 } } }));
    expect(exactRunMeasures(records)).toEqual({
      latency: { n: 5, meanMs: 400, p50Ms: 300, p95Ms: 1000, maxMs: 1000 },
      // 12 (10 + 2) from the task, 7 from the judge, per measured result.
      tokens: { n: 5, inputTokens: 50, outputTokens: 10, totalTokens: 95 },
      cost: { n: 6, total: 5 * 0.75 + 0.125 },
    });
    expect(exactRunMeasures([record('r', 'a', {}, null)])).toBeNull();
  });
});

describe('compareRuns: latency and cost', () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const score = [0.2, 0.5, 0.9, 0.4, 0.7, 0.1, 0.6];
  const latency = [120, 340, 95, 410, 230, 800, 55];
  const run = (runId: string, shift: number, measured: (id: string) => boolean) =>
    ids.map((id, i) =>
      record(
        runId,
        id,
        { 'judge.score': score[i]! + shift },
        measured(id)
          ? { task: { latencyMs: latency[i]! * (1 + shift), cost: i / 8 + shift } }
          : null,
      ),
    );

  it('pairs them over the shared samples, with the draws of the metrics, leaving the metrics as they were', () => {
    const base = run('base', 0, () => true);
    const cand = run('cand', 0.25, () => true);
    const cmp = compareRuns(base, cand, { metric: 'judge.score' });
    const seed = seedFrom('base|cand');
    const { significantDrop: _, ...latencyDiff } = pairedBootstrap(
      latency,
      latency.map((l) => l * 1.25),
      { seed },
    );
    expect(cmp.measures.latencyMs).toEqual({
      recorded: { baseline: 7, candidate: 7 },
      baselineMean: 2050 / 7,
      candidateMean: expect.closeTo((2050 * 1.25) / 7, 9),
      difference: { ...latencyDiff, significantRise: true },
    });
    expect(cmp.measures.cost.difference?.interval).toEqual({
      low: expect.closeTo(0.25, 12),
      high: expect.closeTo(0.25, 12),
    });
    // The metric's interval is the one it has without latency and cost beside it.
    const plain = compareRuns(
      base.map((r) => ({ ...r, measures: null })),
      cand.map((r) => ({ ...r, measures: null })),
      { metric: 'judge.score' },
    );
    expect(cmp.metrics).toEqual(plain.metrics);
    expect(plain.measures.latencyMs).toEqual({
      recorded: { baseline: 0, candidate: 0 },
      baselineMean: null,
      candidateMean: null,
      difference: null,
    });
  });

  it('leaves out a sample that has it in one run only, and draws for the rest alone', () => {
    const base = run('base', 0, (id) => id !== 'b');
    const cand = run('cand', 0.25, (id) => id !== 'g');
    const cmp = compareRuns(base, cand, { metric: 'judge.score' });
    const kept = [0, 2, 3, 4, 5].map((i) => latency[i]!);
    const { significantDrop: _, ...d } = pairedBootstrap(
      kept,
      kept.map((l) => l * 1.25),
      { seed: seedFrom('base|cand') },
    );
    expect(cmp.measures.latencyMs.difference).toEqual({ ...d, significantRise: true });
    expect(cmp.measures.latencyMs.recorded).toEqual({ baseline: 6, candidate: 6 });
  });
});
