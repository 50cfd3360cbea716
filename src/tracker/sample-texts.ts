import type { ResultRecord } from '../types.js';

/** Where a sample keeps its texts, under the names gllm-evals and RAG datasets use, in order. */
const FIELDS = {
  input: ['input', 'query', 'question'],
  output: ['actual_output', 'generated_response', 'output'],
  expected: ['expected_output', 'expected_response', 'expected'],
} as const;

/** The sample's input, output or expected answer as stored (any JSON), or null. */
export function sampleField(
  data: Readonly<Record<string, unknown>>,
  which: keyof typeof FIELDS,
): unknown {
  for (const name of FIELDS[which]) if (data[name] !== undefined) return data[name];
  return null;
}

const textOf = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** Input, output and expected of a sample as text, for showing it ('' when missing). */
export function sampleTexts(r: ResultRecord): { input: string; output: string; expected: string } {
  return {
    input: textOf(sampleField(r.data, 'input')),
    output: textOf(sampleField(r.data, 'output')),
    expected: textOf(sampleField(r.data, 'expected')),
  };
}
