import { setMaxListeners } from 'node:events';
import { retry } from '../common/retry.js';
import type { RetryPolicy } from '../common/retry.js';
import { TimeLimits } from '../common/time-limits.js';
import type { Attempt } from '../common/time-limits.js';
import { EvaltrackError, InvalidInputError } from '../errors.js';
import { openTracker } from '../stores/registry.js';
import {
  checkName,
  checkOptions,
  checkWholeNumber,
  isPlainRecord,
  setOwn,
} from '../tracker/check-input.js';
import { sampleIdOf } from '../tracker/ids.js';
import { assertJsonable } from '../tracker/python-format.js';
import type { EvaluationOutput, MetricInput, ResultMeasures, StepMeasures } from '../types.js';
import { loadDataset } from './load-dataset.js';
import { createProgress } from './progress.js';
import { OPTION_KEYS } from './evaluate-options.js';
import type { EvaluateOptions, ExperimentResult } from './evaluate-options.js';
import {
  describeValue,
  errorText,
  readTaskReturn,
  splitEvaluatorReturn,
  uniqueNames,
} from './call-returns.js';

export type {
  EvaluateOptions,
  ExperimentResult,
  Task,
  TaskContext,
  TaskResult,
} from './evaluate-options.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function defaultDatasetName(): string {
  return `dataset_${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
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
  const trials = checkWholeNumber(opts.trials ?? 1, 'options.trials', 1);
  const concurrency = checkWholeNumber(opts.concurrency ?? 10, 'options.concurrency', 1);
  const retries = checkWholeNumber(opts.retries ?? 2, 'options.retries', 0);
  const timeoutMs = checkWholeNumber(opts.timeoutMs ?? 120_000, 'options.timeoutMs', 1);
  const batchSize = checkWholeNumber(opts.batchSize ?? 50, 'options.batchSize', 1);
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
  // Every evaluation pausing before a retry waits on it.
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

  const limits = new TimeLimits(timeoutMs, stop.signal);
  const policy: RetryPolicy = {
    retries,
    delayMs: 100,
    // Our own typed errors (a bad output) fail the same way every time.
    shouldRetry: (error) => !(error instanceof EvaltrackError),
    signal: stop.signal,
  };

  /**
   * One call with the time limit and retries, timed: the wall time of the attempt that gave the
   * value in ms to the microsecond (`performance.now()` around it; the failed attempts and the
   * pauses are not in it).
   * `check` turns what the call returned into the value, or throws to fail the attempt.
   */
  const timedCall = async <T>(
    call: (attempt: Attempt) => unknown,
    what: string,
    check: (got: unknown) => T,
  ): Promise<
    { ok: true; value: T; latencyMs: number } | { ok: false; error: string; attempts: number }
  > => {
    let attempts = 0;
    try {
      return await retry(async () => {
        attempts++;
        const start = performance.now();
        const got = await limits.run(call, what);
        // To the microsecond: finer digits are noise, and they would be stored in every result.
        const latencyMs = Math.round((performance.now() - start) * 1000) / 1000;
        return { ok: true as const, value: check(got), latencyMs };
      }, policy);
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
          (attempt) =>
            task(given, {
              get signal() {
                return attempt.signal;
              },
              trial,
            }),
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
          (attempt) => evaluator(sample, attempt),
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

    // `concurrency` workers, each taking the next unit until none is left or evaluate() stops.
    let next = 0;
    const work = async (): Promise<void> => {
      while (next < todo.length && !stop.signal.aborted) await runUnit(todo[next++] as number);
    };
    const all = Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, work));
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
