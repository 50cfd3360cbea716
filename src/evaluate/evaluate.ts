import { setMaxListeners } from 'node:events';
import { retry, withTimeout } from '../common/retry.js';
import pLimit from 'p-limit';
import { EvaltrackError, InvalidInputError } from '../errors.js';
import { openTracker } from '../stores/registry.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { checkName, checkOptions, isPlainRecord, setOwn } from '../tracker/check-input.js';
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
  /** How long one evaluator call may take; the evaluator's `signal` aborts then. @default 120000 */
  timeoutMs?: number;
  /** Results logged per `logBatch`. @default 50 */
  batchSize?: number;
  /** A progress bar on a terminal, periodic lines otherwise (on stderr). @default true */
  progress?: boolean;
  /**
   * Ctrl+C (SIGINT) or SIGTERM while evaluating stops scheduling samples, logs what finished, and
   * rejects with `E_ABORTED` naming the run to resume; a second one stops the process at once.
   * `false` leaves the process's signals alone. @default true
   */
  handleSignals?: boolean;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

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
  'handleSignals',
] as const;

class EvaluatorTimeoutError extends Error {
  constructor(name: string, ms: number) {
    super(`evaluator ${name} took longer than ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

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
  // Every sample is checked before any evaluator runs (they may be paid LLM calls): one that
  // cannot be stored is refused with its place in the dataset, and nothing is evaluated.
  samples.forEach((sample, i) => {
    assertJsonable(sample, `data[${i}]`);
    sampleIdOf(sample);
  });
  const datasetName = checkName(
    opts.datasetName ?? name ?? defaultDatasetName(),
    'options.datasetName',
  );
  const handleSignals = opts.handleSignals ?? true;
  if (typeof handleSignals !== 'boolean')
    throw new InvalidInputError('E_INVALID_ARGUMENT', 'options.handleSignals must be a boolean');
  const signal = opts.signal;
  signal?.throwIfAborted();
  const ownsTracker = opts.tracker === undefined;
  const tracker = opts.tracker ?? (await openTracker('default'));
  const names = evaluators.map((e, i) => e.name || `evaluator_${i}`);
  const timestamp = new Date().toISOString();

  // `stop` ends every wait (time limits, retry pauses) once evaluate() is over, stopped by the
  // caller's signal, or interrupted (Ctrl+C): nothing keeps the process alive after that.
  const stop = new AbortController();
  // Every evaluation in flight waits on it (a time limit, a retry pause).
  setMaxListeners(concurrency + 10, stop.signal);
  const onCallerAbort = (): void => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  // An object, not a `let`: the handler sets it after the checks that read it are compiled.
  const interruption: { by: NodeJS.Signals | null } = { by: null };
  const onProcessSignal = (which: NodeJS.Signals): void => {
    interruption.by = which;
    stop.abort(new EvaltrackError('E_ABORTED', `evaluate() was interrupted by ${which}`));
  };
  // A second Ctrl+C finds no listener of ours and stops the process at once, as usual.
  if (handleSignals) for (const s of STOP_SIGNALS) process.once(s, onProcessSignal);
  let logged = 0;

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
      logging = logging.then(async () => {
        await tracker.logBatch(
          batch.map((b) => b.output),
          datasetName,
          batch.map((b) => b.sample),
          { runId, metadata },
        );
        logged += batch.length;
      });
      return logging;
    };

    const evaluateSample = async (i: number): Promise<void> => {
      if (stop.signal.aborted) return;
      const sample = samples[i] as MetricInput;
      const outputs: EvaluationOutput[] = [];
      let failed = false;
      for (const [k, evaluator] of evaluators.entries()) {
        const evaluatorName = names[k] as string;
        let attempts = 0;
        try {
          const out = await retry(
            async () => {
              attempts++;
              const got = await withTimeout(
                (attemptSignal) => evaluator(sample, { signal: attemptSignal }),
                timeoutMs,
                () => new EvaluatorTimeoutError(evaluatorName, timeoutMs),
                stop.signal,
              );
              if (!isPlainRecord(got))
                throw new TypeError(
                  `evaluator ${evaluatorName} returned ${got === null ? 'null' : Array.isArray(got) ? 'an array' : typeof got}, not an object`,
                );
              // Checked now, so that one bad output fails its sample, not the batch it is logged in.
              tracker.checkResult(got, `evaluator ${evaluatorName}`);
              return got;
            },
            {
              retries,
              delayMs: 100,
              // Our own typed errors (a bad output) fail the same way every time.
              shouldRetry: (error) => !(error instanceof EvaltrackError),
              signal: stop.signal,
            },
          );
          outputs.push(out);
        } catch (error) {
          if (stop.signal.aborted) return;
          failed = true;
          const e = error instanceof Error ? error : new Error(String(error));
          outputs.push({ [evaluatorName]: { error: `${e.name}: ${e.message}`, attempts } });
        }
      }
      const merged: EvaluationOutput = {};
      for (const out of outputs) {
        for (const key of Object.keys(out)) {
          if (Object.hasOwn(merged, key)) {
            throw new InvalidInputError(
              'E_INVALID_ARGUMENT',
              `two evaluators return ${JSON.stringify(key)}; give each a name of its own`,
            );
          }
          setOwn(merged, key, out[key]);
        }
      }
      // Once evaluate() is over (finished, stopped or failed), late evaluations are not logged.
      if (stop.signal.aborted) return;
      results[i] = outputs;
      pending.push({ output: merged, sample });
      progress.add(1, failed ? 1 : 0);
      if (pending.length >= batchSize) await flush();
    };

    const limit = pLimit(concurrency);
    const all = Promise.all(todo.map((i) => limit(() => evaluateSample(i))));
    let onStop = (): void => {};
    const stopped = new Promise<never>((_, reject) => {
      onStop = () => reject(stop.signal.reason as Error);
      stop.signal.addEventListener('abort', onStop, { once: true });
    });
    stopped.catch(() => {}); // settled by the race below, or never
    try {
      // Stopped is not failed: what finished is logged below, and the reason thrown after.
      await Promise.race([all, stopped]).catch((error: unknown) => {
        if (!stop.signal.aborted) throw error;
      });
    } finally {
      stop.signal.removeEventListener('abort', onStop);
      // Late evaluations are dropped, and their waits end now.
      if (!stop.signal.aborted) stop.abort(new EvaltrackError('E_ABORTED', 'evaluate() is over'));
      limit.clearQueue();
      progress.stop();
      // What completed is logged, even when stopped.
      await flush();
    }
    signal?.throwIfAborted();
    if (interruption.by) {
      throw new EvaltrackError(
        'E_ABORTED',
        `evaluate() was interrupted by ${interruption.by}: ${logged} results are logged in run ${runId}; ` +
          `run it again with runId ${JSON.stringify(runId)} to evaluate the ${todo.length - logged} samples left`,
      );
    }

    if (opts.summaryEvaluators?.length) await tracker.summarizeRun(runId, opts.summaryEvaluators);
    const run = await tracker.getRun(runId);
    const where = tracker.locations();
    return {
      experimentUris: {
        runUri: where?.results ?? runId,
        leaderboardUri: where?.leaderboard ?? runId,
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
    signal?.removeEventListener('abort', onCallerAbort);
    if (handleSignals) for (const s of STOP_SIGNALS) process.off(s, onProcessSignal);
    if (ownsTracker) await tracker.close();
  }
}
