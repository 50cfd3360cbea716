/** The options and the result of {@link evaluate}, and what its task takes and returns. */
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type {
  EvaluationOutput,
  MetricInput,
  RunMeasures,
  SummaryEvaluator,
  TokenUsage,
} from '../types.js';
import type { Evaluator } from './metric-evaluator.js';

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

/** Every option {@link evaluate} takes; any other is refused. */
export const OPTION_KEYS = [
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
