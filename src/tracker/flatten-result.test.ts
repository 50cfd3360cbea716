import { describe, expect, it } from 'vitest';
import { flattenResult } from './flatten-result.js';

const gllm = {
  scoreKey: 'score',
  companionFields: ['success'],
  extraScoreKeys: ['aggregate_score', 'aggregate_success'],
};
const result = {
  generation: {
    aggregate_explanation: 'ok',
    aggregate_success: false,
    aggregate_score: 0.8333333333333334,
    completeness: { score: 0.5, success: false, explanation: 'partial' },
    redundancy: { score: 0, success: true, higher_is_better: false },
    groundedness: { score: 1, success: true },
  },
};

describe('flattenResult', () => {
  it('names the same paths alike from one result to the next, and an evaluator named "" as it always has', () => {
    const odd = {
      '': { aggregate_success: true, m: { score: 1, success: false } },
      g: { aggregate_success: false, k: { score: 0 }, '': { score: 0.5 } },
    };
    const expected = [
      ['m.score', 'score', 1],
      ['g.k.score', 'score', 0],
      ['g..score', 'score', 0.5],
      ['m.success', 'companion', false],
      ['.aggregate_success', 'extra', 1],
      ['g.aggregate_success', 'extra', 0],
    ];
    for (let round = 0; round < 2; round++) {
      const cols = flattenResult(odd, gllm, 'r');
      expect(cols.map((c) => [c.name, c.kind, c.value])).toEqual(expected);
      // Same leaves under other parents: other names.
      const moved = flattenResult({ h: { k: { score: 1 }, m: { score: 0 } } }, gllm, 'r');
      expect(moved.map((c) => c.name)).toEqual(['h.k.score', 'h.m.score']);
    }
  });

  it('makes the gllm-evals columns, in group order', () => {
    const cols = flattenResult(result, gllm, 'r');
    expect(cols.map((c) => [c.name, c.kind, c.value])).toEqual([
      ['generation.completeness.score', 'score', 0.5],
      ['generation.redundancy.score', 'score', 0],
      ['generation.groundedness.score', 'score', 1],
      ['generation.completeness.success', 'companion', false],
      ['generation.redundancy.success', 'companion', true],
      ['generation.groundedness.success', 'companion', true],
      ['generation.aggregate_score', 'extra', 0.8333333333333334],
      ['generation.aggregate_success', 'extra', 0],
    ]);
  });

  it('takes a dotted string or an array as one exact path', () => {
    const dotted = flattenResult(
      result,
      { ...gllm, scoreKey: 'generation.completeness.score', extraScoreKeys: [] },
      'r',
    );
    expect(dotted.map((c) => c.name)).toEqual([
      'generation.completeness.score',
      'generation.completeness.success',
    ]);
    const array = flattenResult(
      result,
      { ...gllm, scoreKey: ['generation', 'aggregate_score'], extraScoreKeys: [] },
      'r',
    );
    expect(array.map((c) => c.name)).toEqual(['generation.aggregate_score']);
  });

  it('matches a bare key at any depth, top level included', () => {
    const cols = flattenResult(
      { score: 1, a: { b: { score: true } } },
      { ...gllm, extraScoreKeys: [] },
      'r',
    );
    expect(cols.map((c) => [c.name, c.value])).toEqual([
      ['score', 1],
      ['a.b.score', true],
    ]);
  });

  it('writes extra companions asked for, and skips null and empty values', () => {
    const cols = flattenResult(
      {
        m: { score: null, explanation: 'not scored' },
        n: { score: 0.25, explanation: 'why', success: null },
        o: { score: 0.5, explanation: '' },
      },
      { scoreKey: 'score', companionFields: ['success', 'explanation'], extraScoreKeys: [] },
      'r',
    );
    expect(cols.map((c) => [c.name, c.value])).toEqual([
      ['n.score', 0.25],
      ['o.score', 0.5],
      ['n.explanation', 'why'],
    ]);
  });

  it('refuses non-finite scores with the path', () => {
    expect(() => flattenResult({ g: { score: NaN } }, gllm, 'evaluationResults[2]')).toThrow(
      expect.objectContaining({ code: 'E_NON_FINITE_SCORE', path: 'evaluationResults[2].g.score' }),
    );
  });

  it('checks on the same walk that JSON can hold the rest of the result', () => {
    const cyclic: Record<string, unknown> = { m: { score: 1 } };
    cyclic['self'] = cyclic;
    const cases: [Record<string, unknown>, string][] = [
      [{ m: { score: 1, threshold: NaN } }, 'r.m.threshold'],
      [{ m: { score: 1, n: 2n } }, 'r.m.n'],
      [{ m: { score: 1, l: [1, () => 2] } }, 'r.m.l[1]'],
      [{ m: { score: 1, s: new Set() } }, 'r.m.s'],
      [cyclic, 'r.self'],
    ];
    for (const [result, path] of cases) {
      expect(() => flattenResult(result, gllm, 'r')).toThrow(
        expect.objectContaining({ code: 'E_NOT_SERIALIZABLE', path }),
      );
    }
    // A bad score is reported as a score, even when something else is wrong too.
    expect(() => flattenResult({ m: { threshold: NaN, score: Infinity } }, gllm, 'r')).toThrow(
      expect.objectContaining({ code: 'E_NON_FINITE_SCORE', path: 'r.m.score' }),
    );
    expect(flattenResult({ m: { score: 1, at: new Date(0) } }, gllm, 'r')).toHaveLength(1);
  });
});
