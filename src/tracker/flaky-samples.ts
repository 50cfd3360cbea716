/**
 * Flaky samples: those whose outcome flips, across the last runs of a dataset or across the
 * trials of one run. A sample's outcome in a run is the majority verdict of its trials on one
 * metric (`sample-outcome.ts`); its flip rate is the share of consecutive outcomes that differ,
 * with a 95% Wilson interval.
 */
import { InvalidInputError } from '../errors.js';
import type { Interval } from '../stats/statistics.js';
import type { FlatValue, RunSummary } from '../types.js';
import { checkName, checkOptions, checkWholeNumber, setOwn } from './check-input.js';
import type { OutcomeRow, ResultStore } from './result-store.js';
import { compareRunsByCreation } from './run-aggregate.js';
import { isPassFail, majorityPassed, outcomeOf, verdictColumn } from './sample-outcome.js';

/** Options of `getFlakySamples()`. */
export interface FlakyOptions {
  /**
   * The dataset whose runs are looked at; needed when the store holds several datasets (not with
   * `runId`).
   */
  datasetName?: string;
  /** How many of the dataset's newest runs (by creation time) are looked at. @default 10 */
  last?: number;
  /** Looks across the trials of this one run instead of across runs. */
  runId?: string;
  /**
   * The metric that decides pass or fail. @default the leaderboard column of the newest run
   * looked at that has one
   */
  metric?: string;
}

/** One flaky sample: its outcomes in order, and how often they flip. */
export interface FlakySample {
  sampleId: string;
  /** Consecutive outcomes that differ, out of `transitions` (outcomes − 1). */
  flips: number;
  transitions: number;
  /** `flips / transitions`, with its 95% Wilson interval. */
  flipRate: number;
  interval: Interval;
  /** Outcomes that were a pass, out of `outcomes` (runs or trials with an outcome). */
  passes: number;
  outcomes: number;
  /** The outcomes in order, oldest run (or first trial) first; runs without one left out. */
  sequence: boolean[];
  /** The newest outcome. */
  lastOutcome: boolean;
  /** Where it last flipped: the run of the later outcome, and its trial when across trials. */
  lastFlip: { runId: string; trial: number | null };
}

/** What `getFlakySamples()` resolves with. */
export interface FlakyReport {
  /** Across the last runs of a dataset, or across the trials of one run. */
  across: 'runs' | 'trials';
  /** The dataset of the runs looked at; null when there is none. */
  datasetName: string | null;
  /** The metric that decided; null when none was named and no run has a leaderboard column. */
  metric: string | null;
  /** Whether the metric is pass/fail over the results read (see `isPassFail`). */
  passFail: boolean;
  /** The runs looked at, oldest first. */
  runs: { runId: string; createdAt: string | null; modelName: string }[];
  /** Results read, and those with a value on the metric. */
  results: number;
  scored: number;
  /** Samples with a result in them, and those with at least two outcomes (one transition). */
  samples: number;
  compared: number;
  /** Samples with at least one flip: by flip rate, then flips (both highest first), then id. */
  flaky: FlakySample[];
}

/** A sample's tries in one run with a verdict, and those that passed. */
interface Tally {
  passes: number;
  verdicts: number;
}

/** One outcome of a sample: where it was taken, and the verdict. */
interface Step {
  runId: string;
  trial: number | null;
  passed: boolean;
}

/** The narrow rows of `runIds`: through the store's own read when it has one, else whole runs. */
async function readOutcomes(
  store: ResultStore,
  runIds: readonly string[],
  columns: readonly string[],
): Promise<OutcomeRow[]> {
  const out: OutcomeRow[] = [];
  if (store.readOutcomes) {
    for await (const row of store.readOutcomes(runIds, columns)) out.push(row);
    return out;
  }
  for (const runId of runIds) {
    for await (const r of store.readRun(runId)) {
      const values: Record<string, FlatValue> = {};
      for (const c of columns) {
        const v = r.values[c];
        if (v !== undefined) setOwn(values, c, v);
      }
      out.push({
        runId,
        datasetName: r.datasetName,
        sampleId: r.sampleId,
        trial: r.measures?.trial ?? null,
        values,
      });
    }
  }
  return out;
}

/** The runs `getFlakySamples()` looks at, oldest first, and their dataset. */
function chooseRuns(
  runs: readonly RunSummary[],
  opts: { datasetName?: string | undefined; runId?: string | undefined; last: number },
): RunSummary[] {
  if (opts.runId !== undefined) {
    const run = runs.find((r) => r.runId === opts.runId);
    if (!run) {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        `no run ${JSON.stringify(opts.runId)}`,
        'options.runId',
      );
    }
    return [run];
  }
  const datasets = [...new Set(runs.map((r) => r.datasetName))].sort();
  if (opts.datasetName === undefined && datasets.length > 1) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `the store holds ${datasets.length} datasets (${datasets.map((d) => JSON.stringify(d)).join(', ')}): choose one`,
      'options.datasetName',
    );
  }
  const wanted = opts.datasetName ?? datasets[0];
  return runs
    .filter((r) => r.datasetName === wanted)
    .sort(compareRunsByCreation)
    .slice(0, opts.last)
    .reverse();
}

/** Flips of each sample's outcomes, flaky ones ranked: see {@link FlakyReport}. */
export async function flakySamples(
  store: ResultStore,
  allRuns: readonly RunSummary[],
  options?: FlakyOptions,
): Promise<FlakyReport> {
  const opts = checkOptions(options, ['datasetName', 'last', 'runId', 'metric'], 'options');
  const last = checkWholeNumber(opts.last ?? 10, 'options.last', 1);
  if (opts.runId !== undefined) checkName(opts.runId, 'options.runId');
  if (opts.datasetName !== undefined) checkName(opts.datasetName, 'options.datasetName');
  if (opts.metric !== undefined) checkName(opts.metric, 'options.metric');
  const runs = chooseRuns(allRuns, { datasetName: opts.datasetName, runId: opts.runId, last });
  const across = opts.runId === undefined ? 'runs' : 'trials';
  const metric =
    opts.metric ?? [...runs].reverse().find((r) => r.scoreColumn !== null)?.scoreColumn ?? null;
  const report: FlakyReport = {
    across,
    datasetName: runs[0]?.datasetName ?? null,
    metric,
    passFail: false,
    runs: runs.map((r) => ({ runId: r.runId, createdAt: r.createdAt, modelName: r.modelName })),
    results: 0,
    scored: 0,
    samples: 0,
    compared: 0,
    flaky: [],
  };
  if (metric === null || runs.length === 0) return report;
  const verdict = verdictColumn(metric);
  const rows = await readOutcomes(
    store,
    runs.map((r) => r.runId),
    verdict === null ? [metric] : [metric, verdict],
  );
  const passFail = isPassFail(rows, metric);
  report.passFail = passFail;
  report.results = rows.length;
  report.scored = rows.filter(
    (row) => outcomeOf(row.values, metric, passFail).score !== null,
  ).length;
  const steps = new Map<string, Step[]>();
  if (across === 'trials') {
    const ordered = rows
      .map((row, i) => ({ row, i }))
      .sort((a, b) => (a.row.trial ?? 0) - (b.row.trial ?? 0) || a.i - b.i);
    for (const { row } of ordered) {
      const passed = outcomeOf(row.values, metric, passFail).passed;
      const list = steps.get(row.sampleId) ?? [];
      steps.set(row.sampleId, list);
      if (passed !== null) list.push({ runId: row.runId, trial: row.trial ?? 0, passed });
    }
  } else {
    // Each sample's trials in a run first: the run's outcome is their majority.
    const tallies = new Map<string, Map<string, Tally>>();
    for (const row of rows) {
      let bySample = tallies.get(row.runId);
      if (!bySample) tallies.set(row.runId, (bySample = new Map<string, Tally>()));
      const t = bySample.get(row.sampleId) ?? { passes: 0, verdicts: 0 };
      bySample.set(row.sampleId, t);
      const passed = outcomeOf(row.values, metric, passFail).passed;
      if (passed === null) continue;
      t.verdicts++;
      if (passed) t.passes++;
    }
    for (const run of runs) {
      for (const [sampleId, t] of tallies.get(run.runId) ?? []) {
        const list = steps.get(sampleId) ?? [];
        steps.set(sampleId, list);
        const passed = majorityPassed(t.passes, t.verdicts);
        if (passed !== null) list.push({ runId: run.runId, trial: null, passed });
      }
    }
  }
  report.samples = steps.size;
  // Loaded here: the statistics module brings jstat, which a tracker that only logs never needs.
  const { wilsonInterval } = await import('../stats/statistics.js');
  for (const [sampleId, list] of steps) {
    if (list.length < 2) continue;
    report.compared++;
    const flaky = flipsOf(sampleId, list, wilsonInterval);
    if (flaky) report.flaky.push(flaky);
  }
  report.flaky.sort(
    (a, b) =>
      b.flipRate - a.flipRate ||
      b.flips - a.flips ||
      (a.sampleId < b.sampleId ? -1 : a.sampleId > b.sampleId ? 1 : 0),
  );
  return report;
}

/** A sample's flips over its outcomes (two at least), or null when it never flipped. */
function flipsOf(
  sampleId: string,
  list: readonly Step[],
  wilsonInterval: (k: number, n: number) => Interval | null,
): FlakySample | null {
  let flips = 0;
  let lastFlip: Step | undefined;
  for (let i = 1; i < list.length; i++) {
    if (list[i]?.passed !== list[i - 1]?.passed) {
      flips++;
      lastFlip = list[i];
    }
  }
  if (!lastFlip) return null;
  const transitions = list.length - 1;
  return {
    sampleId,
    flips,
    transitions,
    flipRate: flips / transitions,
    interval: wilsonInterval(flips, transitions) as Interval,
    passes: list.filter((s) => s.passed).length,
    outcomes: list.length,
    sequence: list.map((s) => s.passed),
    lastOutcome: (list[list.length - 1] as Step).passed,
    lastFlip: { runId: lastFlip.runId, trial: lastFlip.trial },
  };
}
