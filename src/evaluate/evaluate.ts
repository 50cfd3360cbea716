import { setMaxListeners } from 'node:events';
import { retry, withTimeout } from '../common/retry.js';
import pLimit from 'p-limit';
import { EvaltrackError, InvalidInputError } from '../errors.js';
import { openTracker } from '../stores/registry.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { checkName, checkOptions, isPlainRecord, setOwn } from '../tracker/check-input.js';
import { sampleIdOf } from '../tracker/ids.js';
import { assertJsonable } from '../tracker/python-format.js';
import { checkStep } from '../tracker/measures.js';
import type {
  EvaluationOutput,
  MetricInput,
  ResultMeasures,
  RunMeasures,
  StepMeasures,
  SummaryEvaluator,
  TokenUsage,
} from '../types.js';
import { loadDataset } from './load-dataset.js';
import type { Evaluator } from './metric-evaluator.js';
import { createProgress } from './progress.js';

/** What {@link evaluate} gives the task beside the sample. */
export interface TaskContext {
  /** Aborts when the call times out or the evaluation stops: pass it to your client (`fetch`). */
  signal: AbortSignal;
  /** Which run of the sample this is, 0-based (see `trials`). */
  trial: number;
}

/**
 * What a task may return in place of the bare output: the output with what producing it took.
 * A returned object is this wrapper when it has `output` and no key other than these four;
 * anything else the task returns is the output itself.
 */
export interface TaskResult {
  /** The answer: a string or any JSON value. It becomes the sample's `actual_output`. */
  output: unknown;
  /** Tokens the call used, as the model's API reports them. */
  usage?: TokenUsage;
  /** What the call cost, in your unit (usually US dollars). */
  cost?: number;
  /** Stored with this result, over `evaluate()`'s `metadata` (`model_name` names the result). */
  metadata?: Record<string, unknown>;
}

/**
 * The application under test: gives a sample its answer, which becomes the sample's
 * `actual_output` for the evaluators and in the stored data. It returns the output (a string or
 * any JSON value) or a {@link TaskResult} (`{ output, usage?, cost?, metadata? }`: an object
 * whose own keys are all among those four and that has `output`).
 */
export type Task = (sample: MetricInput, context: TaskContext) => unknown;

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** The samples: an array, or the path of a `.jsonl` or `.csv` file. */
  data: MetricInput[] | string;
  /** Functions from a sample to its evaluation output (`{ <evaluator>: { ... } }`). */
  evaluators: Evaluator[];
  /**
   * The application under test, run on each sample (and each trial) before the evaluators: its
   * output becomes the sample's `actual_output` (in a copy; your data is not changed). It has
   * the evaluators' time limit and retries and runs under the same `concurrency`; a task that
   * still fails is logged as `{ task: { error, attempts } }` and its evaluators are not run.
   * Without it, the samples are evaluated as they are.
   */
  task?: Task;
  /** gllm-evals' name for {@link EvaluateOptions.task}; give one of the two. */
  inference_fn?: Task;
  /**
   * Runs each sample this many times (task and evaluators), logged as repetitions of one sample
   * (same `sampleId`, `measures.trial` 0 to k - 1), so that pass@k and per-sample averages apply.
   * @default 1
   */
  trials?: number;
  /** Where results go. @default a CSVExperimentTracker('default') on ./gllm_evals/experiments */
  tracker?: BaseExperimentTracker;
  /** @default the file's name, or `dataset_<UTC time>` for an array */
  datasetName?: string;
  /**
   * Logs into this run; the (sample, trial) pairs it already holds are skipped (resume).
   * @default a new run
   */
  runId?: string;
  /** Stored with every result. */
  metadata?: Record<string, unknown>;
  /** Samples (sample trials) evaluated at once. @default 10 */
  concurrency?: number;
  /** Run-level evaluators over all results, merged into the run's `summaryResult`. */
  summaryEvaluators?: SummaryEvaluator[];
  /** Stops scheduling samples; what was logged stays logged. */
  signal?: AbortSignal;
  /** Attempts after the first when the task or an evaluator throws or times out. @default 2 */
  retries?: number;
  /**
   * How long one call of the task or of an evaluator may take; its `signal` aborts then.
   * @default 120000
   */
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
  /** The samples of the dataset (not multiplied by `trials`). */
  numSamples: number;
  metadata: Record<string, unknown>;
  summaryResult: Record<string, unknown>;
  /** The run's latency, tokens and cost (the run summary's), or `null` when nothing was measured. */
  measures: RunMeasures | null;
  /**
   * One list per sample, in data order, with one output per evaluator (`[{ task: { error,
   * attempts } }]` where the task failed). With `trials` k > 1, one list per sample per trial,
   * sample by sample: sample 0's trials 0 to k - 1, then sample 1's, and so on.
   */
  results: EvaluationOutput[][];
}

const OPTION_KEYS = [
  'data',
  'evaluators',
  'task',
  'inference_fn',
  'trials',
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

/** The keys of a {@link TaskResult}: an object with `output` and only these is one. */
const TASK_RESULT_KEYS: readonly string[] = ['output', 'usage', 'cost', 'metadata'];

class CallTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} took longer than ${ms} ms`);
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

const describeValue = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;

const errorText = (error: unknown): string => {
  const e = error instanceof Error ? error : new Error(String(error));
  return `${e.name}: ${e.message}`;
};

/** Evaluator names, made unique (`judge`, `judge_1`) so that each has its own measures. */
function uniqueNames(evaluators: readonly Evaluator[]): string[] {
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
function readTaskReturn(got: unknown): {
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
function splitEvaluatorReturn(
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

/** One result waiting to be logged. */
interface Pending {
  output: EvaluationOutput;
  sample: MetricInput;
  metadata: Record<string, unknown>;
  measures: ResultMeasures | null;
}

/**
 * Runs an application (`task`, optional) and evaluators over a dataset and logs every result, as
 * gllm-evals' `evaluate()` does. Each sample (each sample trial, with `trials`) runs
 * `concurrency` at a time: the task's output becomes the sample's `actual_output`, then the
 * evaluators judge it. A task or evaluator that throws or times out is retried with backoff and
 * then logged as a failed result carrying its error (never dropped, never a zero score). The
 * latency of each call (the attempt that succeeded) is measured and stored with the result, with
 * the tokens and cost the task and evaluators report. Results are logged in batches as they
 * complete; an `AbortSignal` stops it with everything logged so far kept; running again with the
 * same `runId` runs only the (sample, trial) pairs the run lacks.
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
  if (opts.task !== undefined && opts.inference_fn !== undefined) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      'give options.task or options.inference_fn (its gllm-evals name), not both',
    );
  }
  const task = opts.task ?? opts.inference_fn;
  if (task !== undefined && typeof task !== 'function') {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `options.${opts.task === undefined ? 'inference_fn' : 'task'} must be a function`,
    );
  }
  const trials = positiveInt(opts.trials ?? 1, 'options.trials', 1);
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
  const sampleIds = samples.map((sample, i) => {
    assertJsonable(sample, `data[${i}]`);
    return sampleIdOf(sample);
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
  const names = uniqueNames(evaluators);
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

  /**
   * One call with the time limit and retries, timed: the wall time of the attempt that gave the
   * value (`performance.now()` around it; the failed attempts and the pauses are not in it).
   * `check` turns what the call returned into the value, or throws to fail the attempt.
   */
  const timedCall = async <T>(
    call: (attemptSignal: AbortSignal) => unknown,
    what: string,
    check: (got: unknown) => T,
  ): Promise<
    { ok: true; value: T; latencyMs: number } | { ok: false; error: string; attempts: number }
  > => {
    let attempts = 0;
    try {
      return await retry(
        async () => {
          attempts++;
          const start = performance.now();
          const got = await withTimeout(
            call,
            timeoutMs,
            () => new CallTimeoutError(what, timeoutMs),
            stop.signal,
          );
          const latencyMs = performance.now() - start;
          return { ok: true as const, value: check(got), latencyMs };
        },
        {
          retries,
          delayMs: 100,
          // Our own typed errors (a bad output) fail the same way every time.
          shouldRetry: (error) => !(error instanceof EvaltrackError),
          signal: stop.signal,
        },
      );
    } catch (error) {
      return { ok: false, error: errorText(error), attempts };
    }
  };

  try {
    const runId =
      opts.runId === undefined
        ? tracker.newRunId(datasetName)
        : checkName(opts.runId, 'options.runId');
    // Resume: a (sample, trial) pair the run already holds k times has its first k occurrences
    // skipped (a dataset may list a sample twice). Results logged without trials are trial 0.
    const pairKey = (sampleId: string, trial: number): string => `${trial}\u0000${sampleId}`;
    const stored = new Map<string, EvaluationOutput[]>();
    if (opts.runId !== undefined) {
      for await (const r of tracker.iterateRunResults(runId)) {
        const key = pairKey(r.sampleId, r.measures?.trial ?? 0);
        const list = stored.get(key) ?? [];
        list.push(r.evaluationResult ?? {});
        stored.set(key, list);
      }
    }
    // Units of work: sample i's trial t is unit i * trials + t (sample by sample).
    const results: EvaluationOutput[][] = new Array<EvaluationOutput[]>(samples.length * trials);
    const todo: number[] = [];
    for (let i = 0; i < samples.length; i++) {
      for (let t = 0; t < trials; t++) {
        const previous = stored.get(pairKey(sampleIds[i] as string, t))?.shift();
        if (previous)
          results[i * trials + t] = Object.entries(previous).map(([k, v]) => ({ [k]: v }));
        else todo.push(i * trials + t);
      }
    }
    const unit = trials > 1 ? 'sample trials' : 'samples';

    const progress = createProgress(todo.length, opts.progress ?? true, { unit });
    let pending: Pending[] = [];
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
          {
            runId,
            // One object for the batch unless a task gave a result metadata of its own.
            metadata: batch.every((b) => b.metadata === metadata)
              ? metadata
              : batch.map((b) => b.metadata),
            measures: batch.map((b) => b.measures),
          },
        );
        logged += batch.length;
      });
      return logging;
    };

    const runUnit = async (u: number): Promise<void> => {
      if (stop.signal.aborted) return;
      const i = Math.floor(u / trials);
      const trial = u % trials;
      const given = samples[i] as MetricInput;
      const measures: ResultMeasures = trials > 1 ? { trial } : {};
      let sample = given;
      let resultMetadata = metadata;
      if (task) {
        const ran = await timedCall(
          (attemptSignal) => task(given, { signal: attemptSignal, trial }),
          'task',
          readTaskReturn,
        );
        if (stop.signal.aborted) return;
        if (!ran.ok) {
          // No output: the sample is logged with the task's error, and no evaluator judges it.
          const output = { task: { error: ran.error, attempts: ran.attempts } };
          results[u] = [output];
          pending.push({
            output,
            sample: { ...given, actual_output: null },
            metadata,
            measures: trials > 1 ? measures : null,
          });
          progress.add(1, 1);
          if (pending.length >= batchSize) await flush();
          return;
        }
        // A copy: the caller's sample is not changed, and the stored data is what was judged.
        sample = { ...given, actual_output: ran.value.output };
        measures.task = { latencyMs: ran.latencyMs, ...ran.value.step };
        if (ran.value.metadata) resultMetadata = { ...metadata, ...ran.value.metadata };
      }
      const outputs: EvaluationOutput[] = [];
      const steps: Record<string, StepMeasures> = {};
      let failed = false;
      for (const [k, evaluator] of evaluators.entries()) {
        const evaluatorName = names[k] as string;
        const judged = await timedCall(
          (attemptSignal) => evaluator(sample, { signal: attemptSignal }),
          `evaluator ${evaluatorName}`,
          (got) => {
            if (!isPlainRecord(got))
              throw new TypeError(
                `evaluator ${evaluatorName} returned ${describeValue(got)}, not an object`,
              );
            const split = splitEvaluatorReturn(got, evaluatorName);
            // Checked now, so that one bad output fails its sample, not the batch it is logged in.
            tracker.checkResult(split.output, `evaluator ${evaluatorName}`);
            return split;
          },
        );
        if (stop.signal.aborted) return;
        if (judged.ok) {
          outputs.push(judged.value.output);
          setOwn(steps, evaluatorName, { latencyMs: judged.latencyMs, ...judged.value.step });
        } else {
          failed = true;
          outputs.push({ [evaluatorName]: { error: judged.error, attempts: judged.attempts } });
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
      if (Object.keys(steps).length > 0) measures.evaluators = steps;
      // Once evaluate() is over (finished, stopped or failed), late evaluations are not logged.
      if (stop.signal.aborted) return;
      results[u] = outputs;
      pending.push({
        output: merged,
        sample,
        metadata: resultMetadata,
        measures: Object.keys(measures).length > 0 ? measures : null,
      });
      progress.add(1, failed ? 1 : 0);
      if (pending.length >= batchSize) await flush();
    };

    const limit = pLimit(concurrency);
    const all = Promise.all(todo.map((u) => limit(() => runUnit(u))));
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
          `run it again with runId ${JSON.stringify(runId)} to evaluate the ${todo.length - logged} ${unit} left`,
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
      metadata: {
        ...metadata,
        concurrency,
        ...(task ? { task: task.name || 'task' } : {}),
        ...(trials > 1 ? { trials } : {}),
        evaluators: names,
        dataset_name: datasetName,
      },
      summaryResult: run?.summaryResult ?? {},
      measures: run?.measures ?? null,
      results,
    };
  } finally {
    signal?.removeEventListener('abort', onCallerAbort);
    if (handleSignals) for (const s of STOP_SIGNALS) process.off(s, onProcessSignal);
    if (ownsTracker) await tracker.close();
  }
}
