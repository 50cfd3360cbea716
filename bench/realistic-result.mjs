// Realistic gllm-evals results for benchmarks: a RAG sample with a 2 KB retrieved context and
// three metrics with explanations, about 3.5 KB per result as JSON.
const words =
  'the return window is thirty days from delivery, and items must be unworn with tags attached; ' +
  'refunds go to the original payment method within 5-7 business days. "Final sale" items are excluded. ' +
  'Nimbus Outfitters covers shipping for defective goods, and exchanges ship free within the EU.\n';

const text = (seed, length) => {
  let out = '';
  let i = seed % words.length;
  while (out.length < length) {
    out += words.slice(i) + words.slice(0, i);
    i = (i + 17) % words.length;
  }
  return out.slice(0, length);
};

const metric = (score, higherIsBetter, i) => ({
  score,
  explanation: `Row ${i}: ${text(i * 7, 180)}`,
  success: higherIsBetter ? score >= 1 : score <= 0.5,
  threshold: higherIsBetter ? 1 : 0.5,
  higher_is_better: higherIsBetter,
  rubric_score: 1 + Math.round(score * 2),
});

/** The i-th result: `{ evaluationResult, data, metadata }`. */
export function realisticResult(i) {
  const c = [0, 0.5, 1][i % 3];
  const g = [1, 1, 0.5, 0][i % 4];
  const r = [0, 0.5, 1][(i >> 1) % 3];
  const completeness = metric(c, true, i);
  const groundedness = metric(g, true, i + 1);
  const redundancy = metric(r, false, i + 2);
  const success = completeness.success && groundedness.success && redundancy.success;
  return {
    evaluationResult: {
      generation: {
        aggregate_explanation: success
          ? 'All metrics met the expected values.'
          : 'The following metrics failed to meet expectations.',
        aggregate_success: success,
        aggregate_score: (c + g + (1 - r)) / 3,
        completeness,
        groundedness,
        redundancy,
      },
    },
    data: {
      id: `q${i}`,
      input: `Question ${i}: ${text(i, 90)}?`,
      actual_output: text(i * 3, 400),
      expected_output: text(i * 5, 250),
      retrieved_context: text(i * 11, 2048),
    },
    metadata: { model_name: i % 2 ? 'gpt-large-2026-05' : 'gpt-mini-2026-05' },
  };
}
