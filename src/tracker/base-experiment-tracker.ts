import { InvalidInputError, TrackerClosedError } from '../errors.js';
import type {
  EvaluationOutput,
  HistoryOptions,
  LogContextOptions,
  LogOptions,
  MetricInput,
  ResultRecord,
  RunSummary,
  SummaryEvaluator,
} from '../types.js';
import { checkMetadata, checkName, checkOptions, checkRecord } from './check-input.js';
import { flattenResult } from './flatten-result.js';
import { makeRunId } from './ids.js';
import { importRecords, preparedFromRecord, runPatchOf } from './import-record.js';
import { assertJsonable } from './python-format.js';
import type { ResultStore, StoreFactory } from './result-store.js';
import { storeRules } from './store-rules.js';
import { compareRunsByUpdate } from './run-aggregate.js';
import { readSummaryInputs, RunSummaries, summarise } from './summarise.js';
import { prepareResults } from './prepare-results.js';
import { flakySamples } from './flaky-samples.js';
import type { FlakyOptions, FlakyReport } from './flaky-samples.js';
import { sampleHistory } from './sample-history.js';
import type { SampleHistory, SampleHistoryOptions } from './sample-history.js';
import { resolveTrackerOptions, TRACKER_OPTION_KEYS } from './tracker-options.js';
import type { ResolvedTrackerOptions, TrackerOptions } from './tracker-options.js';

export { resolveTrackerOptions, TRACKER_OPTION_KEYS } from './tracker-options.js';
export type { ResolvedTrackerOptions, TrackerOptions } from './tracker-options.js';

/** Options of {@link BaseExperimentTracker}: the tracker options plus the store to use. */
export interface BaseTrackerOptions extends TrackerOptions {
  /** The store, or a factory that makes it for this tracker's rules (as evaltrack's stores are). */
  store: ResultStore | StoreFactory;
}

/**
 * The experiment tracker contract of gllm-evals, in TypeScript. It holds every rule (input checks,
 * run ids, result and sample ids, score keys, summary evaluators) and hands prepared results to a
 * {@link ResultStore}. Subclass it, passing your store, to keep results somewhere of your own:
 *
 * ```ts
 * class MyTracker extends BaseExperimentTracker {
 *   constructor(projectName: string) {
 *     super(projectName, { store: new MyStore() });
 *   }
 * }
 * ```
 */
export abstract class BaseExperimentTracker implements AsyncDisposable {
  /** The project; it prefixes generated run ids. */
  readonly projectName: string;
  /** The options in force, defaults filled in. */
  readonly options: ResolvedTrackerOptions;

  readonly #store: ResultStore;
  readonly #currentRuns = new Map<string, string>();
  readonly #runDatasets = new Map<string, string>();
  readonly #summaries: RunSummaries;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(projectName: string, options: BaseTrackerOptions) {
    this.projectName = checkName(projectName, 'projectName');
    checkOptions(options, [...TRACKER_OPTION_KEYS, 'store'], 'options');
    const { store, ...rest } = options;
    // Resolved once, here: a store gets the rules, never the options.
    this.options = resolveTrackerOptions(rest, 'options');
    const made = typeof store === 'function' ? store(storeRules(this.options)) : store;
    if (typeof made?.append !== 'function') {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        'options.store must be a ResultStore or a function that makes one',
      );
    }
    this.#store = made;
    this.#summaries = new RunSummaries(this.options.summaryEvaluators);
  }

  /**
   * Logs one result and returns its run id. Synchronous, as in gllm-evals: a local store has
   * written it when this returns.
   */
  log(
    evaluationResult: EvaluationOutput,
    datasetName: string,
    data: MetricInput,
    options?: LogOptions,
  ): string {
    this.#assertOpen('log');
    return this.#logMany([evaluationResult], datasetName, [data], options, false);
  }

  /** Logs one result; resolves with its run id once it is durable and the leaderboard current. */
  async alog(
    evaluationResult: EvaluationOutput,
    datasetName: string,
    data: MetricInput,
    options?: LogOptions,
  ): Promise<string> {
    this.#assertOpen('alog');
    const runId = this.#logMany([evaluationResult], datasetName, [data], options, false);
    await this.#sync();
    return runId;
  }

  /**
   * Logs results of several samples, all or none: bad input anywhere throws before anything is
   * written. Resolves with the run id once durable and the leaderboard current.
   */
  async logBatch(
    evaluationResults: EvaluationOutput[],
    datasetName: string,
    data: MetricInput[],
    options?: LogOptions,
  ): Promise<string> {
    this.#assertOpen('logBatch');
    if (!Array.isArray(evaluationResults) || !Array.isArray(data)) {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        'evaluationResults and data must be arrays',
      );
    }
    if (evaluationResults.length !== data.length) {
      throw new InvalidInputError(
        'E_BATCH_LENGTH_MISMATCH',
        `evaluationResults has ${evaluationResults.length} items but data has ${data.length}; nothing was written`,
      );
    }
    const runId = this.#logMany(evaluationResults, datasetName, data, options, true);
    await this.#sync();
    return runId;
  }

  /**
   * Merges run-level context (model, prompt version, git sha, evaluator config) into a run's
   * `context`, key by key. The run is `options.runId`, else the current run of
   * `options.datasetName`, else the only current run of this tracker.
   */
  async logContext(context: Record<string, unknown>, options?: LogContextOptions): Promise<void> {
    this.#assertOpen('logContext');
    checkRecord(context, 'context');
    const opts = checkOptions(options, ['runId', 'datasetName'], 'options');
    assertJsonable(context, 'context');
    let datasetName =
      opts.datasetName === undefined
        ? undefined
        : checkName(opts.datasetName, 'options.datasetName');
    let runId = opts.runId === undefined ? undefined : checkName(opts.runId, 'options.runId');
    if (runId === undefined) {
      const only = this.#currentRuns.size === 1 ? [...this.#currentRuns][0] : undefined;
      if (datasetName !== undefined) runId = this.#currentRun(datasetName);
      else if (only) [datasetName, runId] = only;
      else {
        throw new InvalidInputError(
          'E_INVALID_ARGUMENT',
          `logContext() needs options.runId or options.datasetName: this tracker has ${this.#currentRuns.size} current runs`,
        );
      }
    }
    datasetName ??= this.#runDatasets.get(runId);
    if (datasetName === undefined) {
      const known = await this.getRun(runId);
      if (!known) {
        throw new InvalidInputError(
          'E_INVALID_ARGUMENT',
          `run ${JSON.stringify(runId)} does not exist yet; pass options.datasetName to create it`,
        );
      }
      datasetName = known.datasetName;
    }
    this.#store.patchRun(runId, {
      datasetName,
      projectName: this.projectName,
      context,
      at: new Date().toISOString(),
    });
    await this.#sync();
  }

  /** Every run of the store, most recently updated first. */
  async getExperimentHistory(options?: HistoryOptions): Promise<RunSummary[]> {
    this.#assertOpen('getExperimentHistory');
    const opts = checkOptions(options, ['datasetName'], 'options');
    const runs = await this.#store.listRuns();
    const wanted = opts.datasetName;
    return (wanted === undefined ? runs : runs.filter((r) => r.datasetName === wanted)).sort(
      compareRunsByUpdate,
    );
  }

  /**
   * A short text that changes when the store's results or runs change (by any process), or null
   * when the store cannot tell cheaply: then compare {@link getExperimentHistory} instead. It costs
   * a `stat` of the files or one tiny query; the dashboard polls it while a page is open.
   */
  async changeMarker(): Promise<string | null> {
    this.#assertOpen('changeMarker');
    return (await this.#store.changeMarker?.()) ?? null;
  }

  /**
   * Checks that an evaluator output could be logged as it is (names, score types, nesting, what
   * JSON can hold), as `log()` would, without logging it: throws the same typed error.
   */
  checkResult(evaluationResult: EvaluationOutput, where = 'evaluationResult'): void {
    checkRecord(evaluationResult, where);
    flattenResult(evaluationResult, this.options, where);
  }

  /**
   * Where this tracker's results and leaderboard are, for people (gllm-evals' `experimentUris`):
   * file paths for the file stores, the database otherwise; null when the store does not say.
   */
  locations(): { results: string; leaderboard: string } | null {
    return this.#store.locations?.() ?? null;
  }

  /**
   * Runs `summaryEvaluators` over every result of a run and merges what they return into the
   * run's `summaryResult` (after what the tracker's own summary evaluators gave).
   */
  async summarizeRun(runId: string, summaryEvaluators: readonly SummaryEvaluator[]): Promise<void> {
    this.#assertOpen('summarizeRun');
    checkName(runId, 'runId');
    await this.#sync();
    const run = await this.getRun(runId);
    if (!run) throw new InvalidInputError('E_INVALID_ARGUMENT', `no run ${JSON.stringify(runId)}`);
    const inputs = await readSummaryInputs(this.#store.readRun(runId));
    const { accuracy: _accuracy, ...before } = run.summaryResult;
    this.#store.patchRun(runId, {
      datasetName: run.datasetName,
      projectName: run.projectName,
      summary: { ...before, ...summarise(summaryEvaluators, runId, inputs) },
      at: new Date().toISOString(),
    });
    await this.#sync();
  }

  /** One run's summary (a leaderboard row), or null for an unknown run. */
  async getRun(runId: string): Promise<RunSummary | null> {
    this.#assertOpen('getRun');
    checkName(runId, 'runId');
    return (await this.#store.listRuns()).find((r) => r.runId === runId) ?? null;
  }

  /** A run's results in logging order; `[]` for an unknown run. */
  async getRunResults(runId: string, options?: Record<string, never>): Promise<ResultRecord[]> {
    const out: ResultRecord[] = [];
    for await (const record of this.iterateRunResults(runId, options)) out.push(record);
    return out;
  }

  /** One result of a run by its `resultId`, or null: what a viewer opens from a list of samples. */
  async getResult(runId: string, resultId: string): Promise<ResultRecord | null> {
    this.#assertOpen('getResult');
    checkName(runId, 'runId');
    checkName(resultId, 'resultId');
    if (this.#store.readResult) return this.#store.readResult(runId, resultId);
    for await (const record of this.#store.readRun(runId)) {
      if (record.resultId === resultId) return record;
    }
    return null;
  }

  /** A run's results in logging order, one at a time, for runs too large to hold at once. */
  async *iterateRunResults(
    runId: string,
    options?: Record<string, never>,
  ): AsyncGenerator<ResultRecord> {
    this.#assertOpen('getRunResults');
    checkName(runId, 'runId');
    checkOptions(options, [], 'options');
    yield* this.#store.readRun(runId);
  }

  /** One sample across runs, newest first, with its outcome in each: see {@link SampleHistory}. */
  async getSampleHistory(sampleId: string, opts?: SampleHistoryOptions): Promise<SampleHistory> {
    this.#assertOpen('getSampleHistory');
    return sampleHistory(this.#store, await this.#store.listRuns(), sampleId, opts);
  }

  /** Samples whose outcome flips across a dataset's last runs, or one run's trials. */
  async getFlakySamples(options?: FlakyOptions): Promise<FlakyReport> {
    this.#assertOpen('getFlakySamples');
    return flakySamples(this.#store, await this.#store.listRuns(), options);
  }

  /**
   * Stores results read from another tracker as they are: result ids, sample ids, times, values
   * and texts kept. Results this store already holds (same `resultId`) are skipped, so importing
   * the same results twice stores them once. Written in batches of 500, each all or nothing.
   */
  async importResults(
    records: Iterable<ResultRecord> | AsyncIterable<ResultRecord>,
    options?: { projectName?: string | null },
  ): Promise<{ imported: number; skipped: number }> {
    this.#assertOpen('importResults');
    const opts = checkOptions(options, ['projectName'], 'options');
    const project = { given: opts.projectName ?? null, fallback: this.projectName };
    const report = await importRecords(this.#store, records, (record, where) =>
      preparedFromRecord(record, this.options, project, where),
    );
    await this.#sync();
    return report;
  }

  /**
   * Copies a run's own fields from another tracker's history (context, summary evaluators'
   * results, times), creating the run if this store has none of its results.
   */
  async importRun(run: RunSummary): Promise<void> {
    this.#assertOpen('importRun');
    this.#store.patchRun(...runPatchOf(run));
    await this.#sync();
  }

  /**
   * Recomputes the leaderboard from the stored results, and sets aside damaged records (the CSV
   * store moves them to `experiment_results.csv.corrupt-<time>`). Resolves with how many.
   */
  async rebuild(): Promise<{ setAside: number }> {
    this.#assertOpen('rebuild');
    await this.#sync();
    return (await this.#store.rebuild?.()) ?? { setAside: 0 };
  }

  /** Starts a fresh run for `datasetName`; later calls without a run id log into it. */
  newRunId(datasetName: string): string {
    this.#assertOpen('newRunId');
    checkName(datasetName, 'datasetName');
    const runId = makeRunId(this.projectName, datasetName);
    this.#currentRuns.set(datasetName, runId);
    return runId;
  }

  /** Makes everything logged durable and brings the leaderboard and summaries up to date. */
  async flush(): Promise<void> {
    this.#assertOpen('flush');
    await this.#sync();
  }

  /** Flushes and releases the store. Calling it again is harmless. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closed = true;
      this.#closing = (async () => {
        try {
          await this.#sync();
        } finally {
          await this.#store.close();
        }
      })();
    }
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // --- internal ---

  #assertOpen(what: string): void {
    if (this.#closed) throw new TrackerClosedError(what);
  }

  #currentRun(datasetName: string): string {
    let runId = this.#currentRuns.get(datasetName);
    if (runId === undefined) {
      runId = makeRunId(this.projectName, datasetName);
      this.#currentRuns.set(datasetName, runId);
    }
    return runId;
  }

  #logMany(
    evaluationResults: readonly EvaluationOutput[],
    datasetName: string,
    data: readonly MetricInput[],
    options: LogOptions | undefined,
    batch: boolean,
  ): string {
    checkName(datasetName, 'datasetName');
    const opts = checkOptions(options, ['runId', 'metadata', 'measures'], 'options');
    const runId = opts.runId === undefined ? undefined : checkName(opts.runId, 'options.runId');
    const metadata = checkMetadata(opts.metadata, batch, evaluationResults.length);
    const resolvedRunId = runId ?? this.#currentRun(datasetName);
    const prepared = prepareResults(evaluationResults, data, {
      runId: resolvedRunId,
      datasetName,
      projectName: this.projectName,
      metadata,
      options: this.options,
      batch,
      measures: opts.measures,
    });
    this.#store.append(prepared);
    this.#runDatasets.set(resolvedRunId, datasetName);
    this.#summaries.add(resolvedRunId, prepared);
    return resolvedRunId;
  }

  async #sync(): Promise<void> {
    await this.#summaries.update(this.#store, this.projectName);
    await this.#store.sync();
  }
}
