import pLimit from 'p-limit';
import { EvaltrackError, InvalidInputError } from '../errors.js';
import { CSVExperimentTracker } from '../stores/csv/csv-experiment-tracker.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { checkName, checkOptions, isPlainRecord } from '../tracker/check-input.js';
import { flattenResult } from '../tracker/flatten-result.js';
import { sampleIdOf } from '../tracker/ids.js';
import { assertJsonable } from '../tracker/python-format.js';
import type { EvaluationOutput, MetricInput, SummaryEvaluator } from '../types.js';
import { loadDataset } from './load-dataset.js';
import type { Evaluator } from './metric-evaluator.js';
import { createProgress } from './progress.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** The samples: an array, or the path of a `.jsonl` or `.csv` file. */
  data: MetricInput[] | string;
  /** Functions from a sample to its evaluation output (`{ <evaluator>: { ... } }`). */
  evaluators: Evaluator[];
  /** Where results go. @default a CSVExperimentTracker('default') on ./gllm_evals/experiments */
  tracker?: BaseExperimentTracker;
  /** @default the file's name, or `dataset_<UTC time>` for an array */
  datasetName?: string;
  /** Logs into this run; samples it already holds are skipped (resume). @default a new run */
  runId?: string;
  /** Stored with every result. */
  metadata?: Record<string, unknown>;
  /** Samples evaluated at once. @default 10 */
  concurrency?: number;
  /** Run-level evaluators over all results, merged into the run's `summaryResult`. */
  summaryEvaluators?: SummaryEvaluator[];
  /** Stops scheduling samples; what was logged stays logged. */
  signal?: AbortSignal;
  /** Attempts after the first when an evaluator throws or times out. @default 2 */
  retries?: number;
  /** How long one evaluator call may take. @default 120000 */
  timeoutMs?: number;
  /** Results logged per `logBatch`. @default 50 */
  batchSize?: number;
  /** A progress bar on a terminal, periodic lines otherwise (on stderr). @default true */
  progress?: boolean;
}

/** What {@link evaluate} returns: gllm-evals' `ExperimentResult`, in camelCase. */
export interface ExperimentResult {
  experimentUris: { runUri: string; leaderboardUri: string };
  runId: string;
  datasetName: string;
  timestamp: string;
  numSamples: number;
  metadata: Record<string, unknown>;
  summaryResult: Record<string, unknown>;
  /** One list per sample, in data order, with one output per evaluator. */
  results: EvaluationOutput[][];
}

const OPTION_KEYS = [
  'data',
  'evaluators',
  'tracker',
  'datasetName',
  'runId',
  'metadata',
  'concurrency',
  'summaryEvaluators',
  'signal',
  'retries',
  'timeoutMs',
  'batchSize',
  'progress',
] as const;

class EvaluatorTimeoutError extends Error {
  constructor(name: string, ms: number) {
    super(`evaluator ${name} took longer than ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EvaluatorTimeoutError(name, ms)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref());

const positiveInt = (value: unknown, where: string, min: number): number => {
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `${where} must be an integer >= ${min}, got ${String(value)}`,
    );
  }
  return value as number;
};

function defaultDatasetName(): string {
  return `dataset_${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
}

/**
 * Runs evaluators over a dataset and logs every result, as gllm-evals' `evaluate()` does. Samples
 * run `concurrency` at a time; an evaluator that throws or times out is retried with backoff and
 * then logged as a failed result carrying its error (never dropped, never a zero score); results
 * are logged in batches as they complete; an `AbortSignal` stops it with everything logged so far
 * kept; running again with the same `runId` evaluates only the samples the run lacks.
 */
export async function evaluate(options: EvaluateOptions): Promise<ExperimentResult> {
  const opts = checkOptions(options, OPTION_KEYS, 'options');
  const evaluators = opts.evaluators;
  if (
    !Array.isArray(evaluators) ||
    evaluators.length === 0 ||
    !evaluators.every((e) => typeof e === 'function')
  ) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      'options.evaluators must be a non-empty array of functions',
    );
  }
  const concurrency = positiveInt(opts.concurrency ?? 10, 'options.concurrency', 1);
  const retries = positiveInt(opts.retries ?? 2, 'options.retries', 0);
  const timeoutMs = positiveInt(opts.timeoutMs ?? 120_000, 'options.timeoutMs', 1);
  const batchSize = positiveInt(opts.batchSize ?? 50, 'options.batchSize', 1);
  const metadata = opts.metadata ?? {};
  if (!isPlainRecord(metadata))
    throw new InvalidInputError('E_INVALID_ARGUMENT', 'options.metadata must be an object');
  assertJsonable(metadata, 'options.metadata');
  if (opts.data === undefined)
    throw new InvalidInputError('E_INVALID_ARGUMENT', 'options.data is required');
  const { samples, name } = loadDataset(opts.data);
  const datasetName = checkName(
    opts.datasetName ?? name ?? defaultDatasetName(),
    'options.datasetName',
  );
  const ownsTracker = opts.tracker === undefined;
  const tracker = opts.tracker ?? new CSVExperimentTracker('default');
  const names = evaluators.map((e, i) => e.name || `evaluator_${i}`);
  const signal = opts.signal;
  signal?.throwIfAborted();
  const timestamp = new Date().toISOString();

  try {
    const runId =
      opts.runId === undefined
        ? tracker.newRunId(datasetName)
        : checkName(opts.runId, 'options.runId');
    // Resume: a sample the run already holds k times has its first k occurrences skipped.
    const stored = new Map<string, EvaluationOutput[]>();
    if (opts.runId !== undefined) {
      for await (const r of tracker.iterateRunResults(runId)) {
        const list = stored.get(r.sampleId) ?? [];
        list.push(r.evaluationResult ?? {});
        stored.set(r.sampleId, list);
      }
    }
    const results: EvaluationOutput[][] = new Array<EvaluationOutput[]>(samples.length);
    const todo: number[] = [];
    samples.forEach((sample, i) => {
      const previous = stored.get(sampleIdOf(sample))?.shift();
      if (previous) results[i] = Object.entries(previous).map(([k, v]) => ({ [k]: v }));
      else todo.push(i);
    });

    const progress = createProgress(todo.length, opts.progress ?? true);
    let pending: { output: EvaluationOutput; sample: MetricInput }[] = [];
    let logging: Promise<unknown> = Promise.resolve();
    const flush = (): Promise<unknown> => {
      if (pending.length === 0) return logging;
      const batch = pending;
      pending = [];
      logging = logging.then(() =>
        tracker.logBatch(
          batch.map((b) => b.output),
          datasetName,
          batch.map((b) => b.sample),
          { runId, metadata },
        ),
      );
      return logging;
    };

    // Once evaluate() is done (finished, stopped or failed), late evaluations are not logged.
    let stopped = false;
    const evaluateSample = async (i: number): Promise<void> => {
      if (stopped || signal?.aborted) return;
      const sample = samples[i] as MetricInput;
      const outputs: EvaluationOutput[] = [];
      let failed = false;
      for (const [k, evaluator] of evaluators.entries()) {
        const evaluatorName = names[k] as string;
        for (let attempt = 0; ; attempt++) {
          try {
            const out = await withTimeout(
              Promise.resolve(evaluator(sample)),
              timeoutMs,
              evaluatorName,
            );
            if (!isPlainRecord(out))
              throw new TypeError(
                `evaluator ${evaluatorName} returned ${out === null ? 'null' : typeof out}, not an object`,
              );
            // Checked now, so that one bad output fails its sample, not the batch it is logged in.
            flattenResult(out, tracker.options, `evaluator ${evaluatorName}`);
            outputs.push(out);
            break;
          } catch (error) {
            if (signal?.aborted) return;
            if (attempt < retries && !(error instanceof EvaltrackError)) {
              await pause(100 * 2 ** attempt);
              continue;
            }
            failed = true;
            const e = error instanceof Error ? error : new Error(String(error));
            outputs.push({
              [evaluatorName]: { error: `${e.name}: ${e.message}`, attempts: attempt + 1 },
            });
            break;
          }
        }
      }
      const merged: EvaluationOutput = {};
      for (const out of outputs) {
        for (const key of Object.keys(out)) {
          if (key in merged) {
            throw new InvalidInputError(
              'E_INVALID_ARGUMENT',
              `two evaluators return ${JSON.stringify(key)}; give each a name of its own`,
            );
          }
          merged[key] = out[key];
        }
      }
      if (stopped || signal?.aborted) return;
      results[i] = outputs;
      pending.push({ output: merged, sample });
      progress.add(1, failed ? 1 : 0);
      if (pending.length >= batchSize) await flush();
    };

    const limit = pLimit(concurrency);
    const all = Promise.all(todo.map((i) => limit(() => evaluateSample(i))));
    let onAbort = (): void => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal?.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => {}); // settled by the race below, or never
    try {
      await Promise.race([all, aborted]);
    } finally {
      stopped = true;
      signal?.removeEventListener('abort', onAbort);
      limit.clearQueue();
      progress.stop();
      // What completed is logged, even when stopped.
      await flush();
    }
    signal?.throwIfAborted();

    if (opts.summaryEvaluators?.length) {
      const records = await tracker.getRunResults(runId);
      const summary: Record<string, unknown> = {};
      for (const evaluator of opts.summaryEvaluators) {
        Object.assign(
          summary,
          evaluator(
            records.map((r) => r.evaluationResult ?? {}),
            records.map((r) => r.data),
          ),
        );
      }
      const run = (await tracker.getExperimentHistory()).find((r) => r.runId === runId);
      if (run)
        await tracker.importRun({ ...run, summaryResult: { ...run.summaryResult, ...summary } });
    }
    const run = (await tracker.getExperimentHistory()).find((r) => r.runId === runId);
    const files = tracker as Partial<CSVExperimentTracker> & { file?: string };
    return {
      experimentUris: {
        runUri: files.experimentResultsFile ?? files.file ?? runId,
        leaderboardUri: files.leaderboardFile ?? files.file ?? runId,
      },
      runId,
      datasetName,
      timestamp,
      numSamples: samples.length,
      metadata: { ...metadata, concurrency, evaluators: names, dataset_name: datasetName },
      summaryResult: run?.summaryResult ?? {},
      results,
    };
  } finally {
    if (ownsTracker) await tracker.close();
  }
}
