/**
 * The history of one sample across runs: every run that holds it, newest first, with its outcome
 * in each (the majority verdict of its trials on one metric, by the rules of `sample-outcome.ts`),
 * and the last run where it went from pass to fail.
 */
import { InvalidInputError } from '../errors.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { checkName, checkOptions, checkWholeNumber } from './check-input.js';
import type { OutcomeRow, ResultStore } from './result-store.js';
import { compareRunsByCreation } from './run-aggregate.js';
import { isPassFail, majorityPassed, outcomeOf, resultError } from './sample-outcome.js';
import { sampleField } from './sample-texts.js';

/** Options of `getSampleHistory()`. */
export interface SampleHistoryOptions {
  /** Only the runs of this dataset; needed when the sample id is in several datasets. */
  datasetName?: string;
  /** The most runs in {@link SampleHistory.runs}, newest first. @default 20 */
  last?: number;
  /**
   * The metric that decides pass or fail. @default the leaderboard column of the newest run that
   * holds the sample and has one
   */
  metric?: string;
}

/** A sample in one run: its results (trials) there, and its outcome on the metric. */
export interface SampleRun {
  runId: string;
  datasetName: string;
  modelName: string;
  /** When the run was created (its first write), when known. */
  createdAt: string | null;
  /** The metric's value averaged over the trials that have one; null when none has. */
  value: number | null;
  /**
   * The outcome: a majority of the trials with a verdict passed (a tie is not a majority, and
   * fails, as in `compare`); null when no trial has a verdict: no outcome.
   */
  passed: boolean | null;
  /** Trials with a verdict on the metric, and those that passed. */
  verdicts: number;
  passes: number;
  /** The sample's results in the run (its trials). */
  trials: number;
  /** The first evaluator error among its results, as `<evaluator>: <error>`, or null. */
  error: string | null;
  /** The output of its first trial, as stored (any JSON), or null. */
  output: unknown;
  /** Its results, in trial order (`measures.trial`, then logging order). */
  results: ResultRecord[];
}

/** The last time a sample went from pass to fail. */
export interface PassToFail {
  /** The run where it failed, and when that run was created. */
  runId: string;
  createdAt: string | null;
  /** The run before it (the next older one with an outcome), where it passed. */
  passedIn: string;
}

/** A sample across runs: what `getSampleHistory()` resolves with. */
export interface SampleHistory {
  sampleId: string;
  /** The dataset of its runs; null when no run holds the sample. */
  datasetName: string | null;
  /** The metric that decided; null when none was named and no run has a leaderboard column. */
  metric: string | null;
  /** Whether the metric is pass/fail over the sample's results read (see `isPassFail`). */
  passFail: boolean;
  /** How many runs hold the sample (beyond {@link SampleHistoryOptions.last} too). */
  runCount: number;
  /** The newest runs that hold it, newest first, at most `last`. */
  runs: SampleRun[];
  /**
   * The newest run where it failed while the next older run with an outcome had it pass, over
   * every run that holds it (not only those in `runs`); null when it never went from pass to fail.
   */
  lastPassToFail: PassToFail | null;
}

const trialOf = (r: { trial: number | null }): number => r.trial ?? 0;

/** A result as its narrow row. */
const rowOf = (r: ResultRecord): OutcomeRow => ({
  runId: r.runId,
  datasetName: r.datasetName,
  sampleId: r.sampleId,
  trial: r.measures?.trial ?? null,
  values: r.values,
});

/**
 * What a sample's history reads: the narrow rows of all its results, and its results whole in
 * the runs `shown` picks (the newest ones, from the rows). A store with an index by sample reads
 * the rows, then only those results; others read every result of the sample once.
 */
async function readSample(
  store: ResultStore,
  runs: readonly RunSummary[],
  sampleId: string,
  datasetName: string | undefined,
  shown: (rows: readonly OutcomeRow[]) => readonly string[],
): Promise<{ rows: OutcomeRow[]; records: ResultRecord[] }> {
  const opts = datasetName === undefined ? {} : { datasetName };
  const records: ResultRecord[] = [];
  if (store.readSampleOutcomes && store.readSample) {
    const rows: OutcomeRow[] = [];
    for await (const row of store.readSampleOutcomes(sampleId, datasetName)) rows.push(row);
    const runIds = shown(rows);
    const wanted = new Set(runIds);
    if (runIds.length > 0) {
      for await (const r of store.readSample(sampleId, { ...opts, runIds }))
        if (wanted.has(r.runId)) records.push(r);
    }
    return { rows, records };
  }
  if (store.readSample) {
    for await (const r of store.readSample(sampleId, opts)) records.push(r);
  } else {
    for (const run of runs) {
      if (datasetName !== undefined && run.datasetName !== datasetName) continue;
      for await (const r of store.readRun(run.runId)) if (r.sampleId === sampleId) records.push(r);
    }
  }
  const runIds = new Set(shown(records.map(rowOf)));
  return { rows: records.map(rowOf), records: records.filter((r) => runIds.has(r.runId)) };
}

/** Checks the options of `getSampleHistory()`, defaults filled in. */
function checkHistoryOptions(options: SampleHistoryOptions | undefined) {
  const opts = checkOptions(options, ['datasetName', 'last', 'metric'], 'options');
  const last = checkWholeNumber(opts.last ?? 20, 'options.last', 1);
  return {
    datasetName:
      opts.datasetName === undefined
        ? undefined
        : checkName(opts.datasetName, 'options.datasetName'),
    metric: opts.metric === undefined ? undefined : checkName(opts.metric, 'options.metric'),
    last,
  };
}

/**
 * The history of `sampleId` among `runs` (every run of the store): see {@link SampleHistory}. A
 * sample id found in several datasets needs `datasetName` (`E_INVALID_ARGUMENT` naming them).
 */
export async function sampleHistory(
  store: ResultStore,
  runs: readonly RunSummary[],
  sampleId: string,
  options?: SampleHistoryOptions,
): Promise<SampleHistory> {
  checkName(sampleId, 'sampleId');
  const opts = checkHistoryOptions(options);
  const summaries = new Map(runs.map((r) => [r.runId, r]));
  // The runs that hold the sample, newest first (runs the store lists, else as its rows say).
  let held: Pick<
    RunSummary,
    'runId' | 'createdAt' | 'datasetName' | 'modelName' | 'scoreColumn'
  >[] = [];
  const { rows, records } = await readSample(store, runs, sampleId, opts.datasetName, (rows) => {
    const datasets = [...new Set(rows.map((r) => r.datasetName))].sort();
    if (datasets.length > 1) {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `sample ${JSON.stringify(sampleId)} is in ${datasets.length} datasets (${datasets.map((d) => JSON.stringify(d)).join(', ')}): choose one`,
        'options.datasetName',
      );
    }
    const ids = new Map(rows.map((r) => [r.runId, r.datasetName]));
    held = [...ids]
      .map(
        ([runId, datasetName]) =>
          summaries.get(runId) ?? {
            runId,
            createdAt: null,
            datasetName,
            modelName: 'unknown',
            scoreColumn: null,
          },
      )
      .sort(compareRunsByCreation);
    return held.slice(0, opts.last).map((r) => r.runId);
  });
  const metric = opts.metric ?? held.find((r) => r.scoreColumn !== null)?.scoreColumn ?? null;
  const passFail = metric !== null && isPassFail(rows, metric);
  const rowsOf = groupByRun(rows);
  const recordsOf = groupByRun(records);
  const history: SampleRun[] = held.map((run) => {
    const tally = { sum: 0, scored: 0, verdicts: 0, passes: 0 };
    const runRows = rowsOf.get(run.runId) ?? [];
    for (const r of runRows) {
      if (metric === null) break;
      const o = outcomeOf(r.values, metric, passFail);
      if (o.score !== null) {
        tally.sum += o.score;
        tally.scored++;
      }
      if (o.passed !== null) {
        tally.verdicts++;
        if (o.passed) tally.passes++;
      }
    }
    const results = (recordsOf.get(run.runId) ?? []).sort(
      (a, b) => trialOf(rowOf(a)) - trialOf(rowOf(b)),
    );
    return {
      runId: run.runId,
      datasetName: run.datasetName,
      modelName: run.modelName,
      createdAt: run.createdAt,
      value: tally.scored === 0 ? null : tally.sum / tally.scored,
      passed: majorityPassed(tally.passes, tally.verdicts),
      verdicts: tally.verdicts,
      passes: tally.passes,
      trials: runRows.length,
      error: results.map(resultError).find((e) => e !== null) ?? null,
      output: results[0] ? sampleField(results[0].data, 'output') : null,
      results,
    };
  });
  let lastPassToFail: PassToFail | null = null;
  let before: SampleRun | undefined;
  for (const run of [...history].reverse()) {
    if (run.passed === null) continue;
    if (before?.passed === true && !run.passed) {
      lastPassToFail = { runId: run.runId, createdAt: run.createdAt, passedIn: before.runId };
    }
    before = run;
  }
  return {
    sampleId,
    datasetName: held[0]?.datasetName ?? null,
    metric,
    passFail,
    runCount: history.length,
    runs: history.slice(0, opts.last),
    lastPassToFail,
  };
}

/** Rows grouped by run, in the order read. */
function groupByRun<T extends { runId: string }>(rows: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const list = out.get(r.runId);
    if (list) list.push(r);
    else out.set(r.runId, [r]);
  }
  return out;
}
