/**
 * What a report keeps of a result as it reads a run: its ids, columns and measures, the three texts
 * it shows, and the explanations and errors of its evaluator output. A result's other data (a RAG
 * sample's retrieved context is most of it) and the rest of its evaluator output are dropped as
 * each result is read, so that two 10,000-sample runs are not held whole while the report is made.
 */
import { sampleField } from '../tracker/sample-texts.js';
import type { ResultRecord } from '../types.js';

/**
 * `record` with only what the comparison and the report read of it: `data` holds the input,
 * output and expected answer (under `input`, `actual_output` and `expected_output`, as
 * `sampleField` finds them), `metadata` is empty, and `evaluationResult` holds only the
 * explanations (`explanation`, `aggregate_explanation`) and each evaluator's `error`, where they
 * were. Everything a report shows is the same made from it as from `record`.
 */
export function reportRecord(record: ResultRecord): ResultRecord {
  return {
    ...record,
    data: {
      input: sampleField(record.data, 'input'),
      actual_output: sampleField(record.data, 'output'),
      expected_output: sampleField(record.data, 'expected'),
    },
    metadata: {},
    evaluationResult:
      record.evaluationResult === null ? null : (shown(record.evaluationResult, 0) ?? {}),
  };
}

/** The explanations under `node` (and each evaluator block's error, at depth 1); null when none. */
function shown(node: Record<string, unknown>, depth: number): Record<string, unknown> | null {
  const kept: [string, unknown][] = [];
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (typeof value === 'string') {
      if (
        key === 'explanation' ||
        key === 'aggregate_explanation' ||
        (depth === 1 && key === 'error')
      )
        kept.push([key, value]);
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const inner = shown(value as Record<string, unknown>, depth + 1);
      if (inner !== null) kept.push([key, inner]);
    }
  }
  // fromEntries: a key named `__proto__` stays an own key, as JSON.parse made it.
  return kept.length === 0 ? null : Object.fromEntries(kept);
}
