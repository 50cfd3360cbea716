/**
 * What the task and the evaluators return, read and checked, and the errors a call ends with:
 * the rules of {@link evaluate}'s calls, apart from its scheduling.
 */
import { InvalidInputError } from '../errors.js';
import { isPlainRecord, setOwn } from '../tracker/check-input.js';
import { checkStep } from '../tracker/measures.js';
import { assertJsonable } from '../tracker/python-format.js';
import type { EvaluationOutput, StepMeasures } from '../types.js';
import type { Evaluator } from './metric-evaluator.js';

/** The keys of a {@link TaskResult}: an object with `output` and only these is one. */
const TASK_RESULT_KEYS: readonly string[] = ['output', 'usage', 'cost', 'metadata'];

export const describeValue = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;

export const errorText = (error: unknown): string => {
  const e = error instanceof Error ? error : new Error(String(error));
  return `${e.name}: ${e.message}`;
};

/** Evaluator names, made unique (`judge`, `judge_1`) so that each has its own measures. */
export function uniqueNames(evaluators: readonly Evaluator[]): string[] {
  const seen = new Set<string>();
  return evaluators.map((e, i) => {
    let name = e.name || `evaluator_${i}`;
    if (seen.has(name)) name = `${name}_${i}`;
    seen.add(name);
    return name;
  });
}

/**
 * The task's return, read by the rule of {@link TaskResult}, and checked: a value that cannot be
 * stored fails the sample (not the batch it would be logged in), and is not retried.
 */
export function readTaskReturn(got: unknown): {
  output: unknown;
  step: StepMeasures;
  metadata: Record<string, unknown> | undefined;
} {
  const wrapped =
    isPlainRecord(got) &&
    Object.hasOwn(got, 'output') &&
    Object.keys(got).every((k) => TASK_RESULT_KEYS.includes(k));
  const output = wrapped ? got['output'] : got;
  if (output === undefined) {
    // Most likely a missing `return`; retried, as an evaluator returning nothing is.
    throw new TypeError('task returned undefined, not an output');
  }
  assertJsonable(output, 'task output');
  const step = wrapped ? checkStep({ usage: got['usage'], cost: got['cost'] }, 'task') : {};
  let metadata: Record<string, unknown> | undefined;
  if (wrapped && got['metadata'] !== undefined) {
    if (!isPlainRecord(got['metadata'])) {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `task metadata must be an object, got ${describeValue(got['metadata'])}`,
        'task.metadata',
      );
    }
    metadata = got['metadata'];
    assertJsonable(metadata, 'task metadata');
  }
  return { output, step, metadata };
}

/**
 * An evaluator's output without its top-level `usage` (an object of token counts) and `cost` (a
 * number), and those two, checked, as the evaluator's measures.
 */
export function splitEvaluatorReturn(
  got: EvaluationOutput,
  evaluatorName: string,
): { output: EvaluationOutput; step: StepMeasures } {
  const usage =
    Object.hasOwn(got, 'usage') && isPlainRecord(got['usage']) ? got['usage'] : undefined;
  const cost =
    Object.hasOwn(got, 'cost') && typeof got['cost'] === 'number' ? got['cost'] : undefined;
  if (usage === undefined && cost === undefined) return { output: got, step: {} };
  const step = checkStep({ usage, cost }, `evaluator ${evaluatorName}`);
  const output: EvaluationOutput = {};
  for (const key of Object.keys(got)) {
    if ((key === 'usage' && usage !== undefined) || (key === 'cost' && cost !== undefined))
      continue;
    setOwn(output, key, got[key]);
  }
  return { output, step };
}
