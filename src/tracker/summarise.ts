/** Summary evaluators: run-level numbers from all of a run's results, merged into its summary. */
import { EvaltrackError } from '../errors.js';
import type { EvaluationOutput, MetricInput, ResultRecord, SummaryEvaluator } from '../types.js';
import { isPlainRecord, setOwn } from './check-input.js';
import { unflattenValues } from './flatten-result.js';
import { assertJsonable } from './python-format.js';
import type { PreparedResult, ResultStore } from './result-store.js';

/** A run's results and samples so far, as summary evaluators take them. */
export interface RunSummaryInputs {
  results: EvaluationOutput[];
  data: MetricInput[];
}

/**
 * What the summary evaluators say of a run's results, merged in their order; a typed error when
 * one throws or returns something else than an object (the results are stored by then).
 */
export function summarise(
  evaluators: readonly SummaryEvaluator[],
  runId: string,
  inputs: RunSummaryInputs,
): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  for (const evaluator of evaluators) {
    let out: unknown;
    try {
      out = evaluator(inputs.results, inputs.data);
    } catch (cause) {
      throw new EvaltrackError(
        'E_SUMMARY_EVALUATOR_FAILED',
        `summary evaluator ${evaluator.name || '(anonymous)'} threw for run ${runId}; the results are stored`,
        { cause },
      );
    }
    if (!isPlainRecord(out)) {
      throw new EvaltrackError(
        'E_SUMMARY_EVALUATOR_FAILED',
        `summary evaluator ${evaluator.name || '(anonymous)'} must return an object`,
      );
    }
    assertJsonable(out, `summary evaluator ${evaluator.name || '(anonymous)'}`);
    for (const key of Object.keys(out)) setOwn(summary, key, out[key]);
  }
  return summary;
}

/** A run's results as summary evaluators take them (outputs rebuilt from columns when not kept). */
export async function readSummaryInputs(
  records: AsyncIterable<ResultRecord>,
): Promise<RunSummaryInputs> {
  const inputs: RunSummaryInputs = { results: [], data: [] };
  for await (const r of records) {
    inputs.results.push(r.evaluationResult ?? unflattenValues(r.values));
    inputs.data.push(r.data);
  }
  return inputs;
}

/**
 * A tracker's own summary evaluators, kept current: the results logged since the last sync, per
 * run, are added to what was read of the run before, so that a run is read whole only once (or
 * again when other processes logged into it meanwhile).
 */
export class RunSummaries {
  readonly #evaluators: readonly SummaryEvaluator[];
  readonly #pending = new Map<string, PreparedResult[]>();
  readonly #inputs = new Map<string, RunSummaryInputs>();

  constructor(evaluators: readonly SummaryEvaluator[]) {
    this.#evaluators = evaluators;
  }

  /** Results just logged into their run. */
  add(runId: string, results: readonly PreparedResult[]): void {
    if (this.#evaluators.length === 0) return;
    const pending = this.#pending.get(runId) ?? [];
    pending.push(...results);
    this.#pending.set(runId, pending);
  }

  /** Patches each run with new results with its summary; the store is synced first. */
  async update(store: ResultStore, projectName: string): Promise<void> {
    if (this.#pending.size === 0) return;
    await store.sync();
    const totals = new Map((await store.listRuns()).map((r) => [r.runId, r.totalData]));
    for (const [runId, pending] of this.#pending) {
      this.#pending.delete(runId);
      let inputs = this.#inputs.get(runId);
      if (inputs && inputs.results.length + pending.length === totals.get(runId)) {
        for (const r of pending) {
          inputs.results.push(r.evaluationResult);
          inputs.data.push(r.data);
        }
      } else {
        // First summary of this run here, or other processes logged into it too: read it all.
        inputs = await readSummaryInputs(store.readRun(runId));
        this.#inputs.set(runId, inputs);
      }
      store.patchRun(runId, {
        datasetName: pending[0]?.datasetName ?? '',
        projectName,
        summary: summarise(this.#evaluators, runId, inputs),
        at: new Date().toISOString(),
      });
    }
  }
}
