import { describe, expect, it } from 'vitest';
import type { FlatValue, ResultRecord } from '../types.js';
import { assertComparable, compareRuns } from './compare-runs.js';

let seq = 0;
/** A result with the given columns; `error` records an evaluator failure as evaluate() does. */
function record(
  runId: string,
  sampleId: string,
  values: Record<string, FlatValue>,
  extra: { input?: string; error?: string } = {},
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
    data: { input: extra.input ?? `question ${sampleId}`, actual_output: `${runId} ${sampleId}` },
    metadata: {},
    evaluationResult: extra.error ? { judge: { error: extra.error, attempts: 3 } } : {},
    measures: null,
  };
}

const pass = (ok: boolean): Record<string, FlatValue> => ({
  'judge.aggregate_success': Number(ok),
});
const metric = 'judge.aggregate_success';

describe('compareRuns', () => {
  it('pairs by sample id, whatever order each run lists its samples in', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const before = [true, true, false, false, true];
    const after = [false, true, true, false, true];
    const baseline = ids.map((id, i) => record('base', id, pass(before[i]!)));
    const candidate = ids.map((id, i) => record('cand', id, pass(after[i]!))).reverse();
    const cmp = compareRuns(baseline, candidate, { metric });
    expect(cmp.regressions.map((r) => r.sampleId)).toEqual(['a']);
    expect(cmp.improvements.map((r) => r.sampleId)).toEqual(['c']);
    expect(cmp.unchanged).toBe(3);
    expect(cmp.regressions[0]).toEqual({
      sampleId: 'a',
      input: 'question a',
      baselineOutput: 'base a',
      candidateOutput: 'cand a',
    });
    expect(cmp.metrics[0]).toMatchObject({ n: 5, baselineMean: 0.6, candidateMean: 0.6 });
    expect(cmp.metrics[0]?.mcnemar).toMatchObject({ regressions: 1, improvements: 1, p: 1 });
  });

  it('needs a majority of tries to pass a sample: 1 of 2 is not', () => {
    const baseline = [record('base', 'a', pass(true)), record('base', 'a', pass(true))];
    const tied = [record('cand', 'a', pass(true)), record('cand', 'a', pass(false))];
    expect(compareRuns(baseline, tied, { metric }).regressions.map((r) => r.sampleId)).toEqual([
      'a',
    ]);
    const most = [...tied, record('cand', 'a', pass(true))];
    expect(compareRuns(baseline, most, { metric })).toMatchObject({
      regressions: [],
      unchanged: 1,
    });
  });

  it('decides on the metric it is given, using the verdict beside a score', () => {
    // The judge improved on both samples while the lexical metric got worse on one.
    const v = (judge: number, lexical: number): Record<string, FlatValue> => ({
      'judge.quality.score': judge,
      'judge.quality.success': judge >= 0.5,
      'lexical.levenshtein.score': lexical,
      'lexical.levenshtein.success': lexical >= 0.5,
    });
    const baseline = [record('base', 'a', v(0.2, 0.9)), record('base', 'b', v(0.3, 0.9))];
    const candidate = [record('cand', 'a', v(0.9, 0.1)), record('cand', 'b', v(0.8, 0.9))];
    const judge = compareRuns(baseline, candidate, { metric: 'judge.quality.score' });
    expect(judge).toMatchObject({ metric: 'judge.quality.score', hasVerdicts: true, unchanged: 0 });
    expect(judge.improvements.map((r) => r.sampleId)).toEqual(['a', 'b']);
    expect(judge.regressions).toEqual([]);
    const lexical = compareRuns(baseline, candidate, { metric: 'lexical.levenshtein.score' });
    expect(lexical.regressions.map((r) => r.sampleId)).toEqual(['a']);
    // A continuous score without a verdict beside it has none: no regression is counted on it.
    const bare = compareRuns([record('base', 'a', { m: 0.9 })], [record('cand', 'a', { m: 0 })], {
      metric: 'm',
    });
    expect(bare).toMatchObject({ hasVerdicts: false, regressions: [], unchanged: 0 });
  });

  it('lists evaluator errors, unscored samples, the coverage gap and changed inputs', () => {
    const baseline = ['a', 'b', 'c', 'd', 'e'].map((id) => record('base', id, pass(true)));
    const candidate = [
      record('cand', 'a', {}, { error: 'RateLimitError: 429' }),
      record('cand', 'b', {}),
      record('cand', 'c', pass(true), { input: 'a new question' }),
      record('cand', 'd', pass(true)),
      record('cand', 'f', pass(true)),
    ];
    const cmp = compareRuns(baseline, candidate, { metric });
    expect(cmp).toMatchObject({
      matched: 3,
      onlyBaseline: ['e'],
      onlyCandidate: ['f'],
      changedInputs: ['c'],
      baseline: { errors: [], unscored: [] },
      candidate: {
        errors: [{ sampleId: 'a', error: 'judge: RateLimitError: 429' }],
        unscored: ['b'],
      },
      regressions: [],
      improvements: [],
      unchanged: 1,
    });
  });

  it('refuses runs of different datasets unless allowed', () => {
    const a = { runId: 'a', datasetName: 'faq' };
    const b = { runId: 'b', datasetName: 'billing' };
    expect(() => assertComparable(a, b)).toThrow(
      '[evaltrack] a is a run of dataset "faq" and b of "billing": their samples are not the same (allow it with --allow-different-datasets)',
    );
    expect(() => assertComparable(a, b, true)).not.toThrow();
    expect(() => assertComparable(a, { ...b, datasetName: 'faq' })).not.toThrow();
  });
});
