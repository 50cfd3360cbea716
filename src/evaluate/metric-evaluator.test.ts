import { describe, expect, it } from 'vitest';
import { metricEvaluator } from './metric-evaluator.js';

describe('metricEvaluator', () => {
  it('gives the gllm-evals shape, polarity-aware aggregate and all-pass success', async () => {
    // The cookbook's RAG row: completeness 0.5, groundedness 1, redundancy 0 (lower is better).
    const judge = metricEvaluator('generation', {
      completeness: { metric: () => ({ score: 0.5, explanation: 'partial' }), threshold: 1 },
      groundedness: { metric: () => ({ score: 1 }), threshold: 1 },
      redundancy: { metric: () => ({ score: 0 }), threshold: 0.5, higherIsBetter: false },
    });
    expect(await judge({ input: 'q', actual_output: 'a' })).toEqual({
      generation: {
        aggregate_score: 0.8333333333333334,
        aggregate_success: false,
        aggregate_explanation:
          'The following metrics failed to meet expectations:\n1. Completeness is 0.5 (should be >= 1)',
        completeness: {
          score: 0.5,
          success: false,
          threshold: 1,
          higher_is_better: true,
          explanation: 'partial',
        },
        groundedness: {
          score: 1,
          success: true,
          threshold: 1,
          higher_is_better: true,
          explanation: null,
        },
        redundancy: {
          score: 0,
          success: true,
          threshold: 0.5,
          higher_is_better: false,
          explanation: null,
        },
      },
    });
  });

  it('calls metrics with autoevals argument names taken from the sample', async () => {
    const seen: unknown[] = [];
    const lexical = metricEvaluator('lexical', {
      exact: (args) => {
        seen.push([args.input, args.output, args.expected, args['id']]);
        return { score: args.output === args.expected ? 1 : 0 };
      },
    });
    const out = await lexical({
      id: 7,
      query: 'q',
      generated_response: 'x',
      expected_response: 'x',
    });
    expect(seen).toEqual([['q', 'x', 'x', 7]]);
    expect(out).toMatchObject({
      lexical: {
        aggregate_success: true,
        aggregate_explanation: 'All metrics met the expected values.',
      },
    });
    expect(lexical.name).toBe('lexical');
  });

  it('refuses a metric that returns no finite score, rather than a silent zero', async () => {
    const broken = metricEvaluator('m', { nan: () => ({ score: NaN }) });
    await expect(broken({})).rejects.toMatchObject({ code: 'E_NON_FINITE_SCORE' });
  });
});
