import type { ResultRecord } from '../types.js';

const textOf = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** Input, output and expected of a sample, under the names gllm-evals and RAG datasets use. */
export function sampleTexts(r: ResultRecord): { input: string; output: string; expected: string } {
  const d = r.data;
  return {
    input: textOf(d['input'] ?? d['query'] ?? d['question']),
    output: textOf(d['actual_output'] ?? d['generated_response'] ?? d['output']),
    expected: textOf(d['expected_output'] ?? d['expected_response'] ?? d['expected']),
  };
}
