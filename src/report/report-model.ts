/**
 * What a report of two runs says, computed once for its Markdown and its HTML: the comparison
 * (`compare`'s, with the gate's verdict when asked) and every sample of both runs with its texts,
 * scores, explanations and errors. The renderers only lay it out.
 */
import type { GateVerdict } from '../cli/gate-verdict.js';
import type { LoadedComparison, NamedRunComparison } from '../cli/compare-named-runs.js';
import { isPassFail, majorityPassed, outcomeOf, resultError } from '../tracker/sample-outcome.js';
import { costOf, latencyOf } from '../tracker/measures.js';
import { sampleTexts } from '../tracker/sample-texts.js';
import type { ResultRecord, RunSummary } from '../types.js';

/** One of the two runs, as the report names it. */
export interface ReportRun {
  runId: string;
  datasetName: string;
  modelName: string;
  /** When the run was created (ISO-8601); null when the store does not know (an old CSV folder). */
  createdAt: string | null;
  /** Results in the run (trials counted). */
  results: number;
  /** The run's context (`logContext()`: prompt version, git sha…). */
  context: Record<string, unknown>;
}

/**
 * What a sample is in the comparison, in the order the report lists them: the ones to look at
 * first come first.
 */
export const SAMPLE_STATUSES = [
  'regression',
  'error',
  'only-baseline',
  'changed-input',
  'unscored',
  'improvement',
  'only-candidate',
  'unchanged',
] as const;
export type SampleStatus = (typeof SAMPLE_STATUSES)[number];

/** A sample in one run: its results (trials) taken together. */
export interface SampleSide {
  /** The first trial's result id (the dashboard opens a sample by it). */
  resultId: string;
  output: string;
  /** The deciding metric's value, averaged over the trials; null when none has one. */
  value: number | null;
  /** The majority verdict of the trials on the deciding metric; null without one. */
  passed: boolean | null;
  /** Every numeric or pass/fail column, averaged over the trials (booleans as 1/0). */
  scores: Record<string, number>;
  /** The evaluators' explanations of the first trial, by where they are (`generation.completeness`). */
  explanations: Record<string, string>;
  /** The first evaluator error, `<evaluator>: <error>`; null when every result was judged. */
  error: string | null;
  /** Mean task latency and mean cost over the trials that recorded them. */
  latencyMs: number | null;
  cost: number | null;
  trials: number;
}

/** One sample of either run. */
export interface ReportSample {
  sampleId: string;
  status: SampleStatus;
  input: string;
  expected: string;
  baseline: SampleSide | null;
  candidate: SampleSide | null;
}

/** Everything a report shows. */
export interface ReportModel {
  baseline: ReportRun;
  candidate: ReportRun;
  /** The metric that decides (named in the verdict). */
  metric: string;
  comparison: NamedRunComparison;
  /** The gate's verdict, when gate options were given. */
  gate: GateVerdict | null;
  /** Every sample of both runs, by {@link SAMPLE_STATUSES} order, then by sample id. */
  samples: ReportSample[];
  /** The dashboard's address, for links (`--ui-url`); null without one. */
  uiUrl: string | null;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The report of a loaded comparison, with the gate's verdict when one was asked for. */
export function buildReportModel(
  loaded: LoadedComparison,
  gate: GateVerdict | null,
  uiUrl: string | null = null,
): ReportModel {
  const cmp = loaded.comparison;
  const passFail = isPassFail([...loaded.baselineRecords, ...loaded.candidateRecords], cmp.metric);
  const base = sidesOf(loaded.baselineRecords, cmp.metric, passFail);
  const cand = sidesOf(loaded.candidateRecords, cmp.metric, passFail);
  const status = statusesOf(cmp);
  const samples: ReportSample[] = [];
  for (const id of new Set([...base.keys(), ...cand.keys()])) {
    const b = base.get(id);
    const c = cand.get(id);
    const texts = (c ?? b)?.texts ?? { input: '', expected: '' };
    samples.push({
      sampleId: id,
      status: status(id, b !== undefined, c !== undefined),
      input: texts.input,
      expected: texts.expected,
      baseline: b?.side ?? null,
      candidate: c?.side ?? null,
    });
  }
  const rank = new Map(SAMPLE_STATUSES.map((s, i) => [s, i]));
  samples.sort(
    (x, y) =>
      (rank.get(x.status) as number) - (rank.get(y.status) as number) ||
      byId(x.sampleId, y.sampleId),
  );
  return {
    baseline: runOf(loaded.baselineSummary, cmp.resultCounts.baseline),
    candidate: runOf(loaded.candidateSummary, cmp.resultCounts.candidate),
    metric: cmp.metric,
    comparison: cmp,
    gate,
    samples,
    uiUrl: uiUrl === null ? null : uiUrl.replace(/\/+$/, ''),
  };
}

const runOf = (run: RunSummary, results: number): ReportRun => ({
  runId: run.runId,
  datasetName: run.datasetName,
  modelName: run.modelName,
  createdAt: run.createdAt,
  results,
  context: run.context,
});

/** Each sample's status, from the comparison's lists (its rules, not ours). */
function statusesOf(
  cmp: NamedRunComparison,
): (id: string, inBaseline: boolean, inCandidate: boolean) => SampleStatus {
  const lists: [SampleStatus, Iterable<string>][] = [
    ['regression', cmp.regressions.map((r) => r.sampleId)],
    ['improvement', cmp.improvements.map((r) => r.sampleId)],
    ['changed-input', cmp.changedInputs],
    ['error', [...cmp.baseline.errors, ...cmp.candidate.errors].map((e) => e.sampleId)],
    ['unscored', [...cmp.baseline.unscored, ...cmp.candidate.unscored]],
  ];
  const known = new Map<string, SampleStatus>();
  for (const [status, ids] of lists)
    for (const id of ids) if (!known.has(id)) known.set(id, status);
  return (id, inBaseline, inCandidate) =>
    !inCandidate
      ? 'only-baseline'
      : !inBaseline
        ? 'only-candidate'
        : (known.get(id) ?? 'unchanged');
}

/** Each sample's side in one run: its trials taken together. */
function sidesOf(
  records: readonly ResultRecord[],
  metric: string,
  passFail: boolean,
): Map<string, { side: SampleSide; texts: { input: string; expected: string } }> {
  const groups = new Map<string, ResultRecord[]>();
  for (const r of records) {
    const list = groups.get(r.sampleId);
    if (list) list.push(r);
    else groups.set(r.sampleId, [r]);
  }
  const out = new Map<string, { side: SampleSide; texts: { input: string; expected: string } }>();
  for (const [id, trials] of groups) {
    const first = trials[0] as ResultRecord;
    const texts = sampleTexts(first);
    const sums = new Map<string, { total: number; count: number }>();
    let passes = 0;
    let verdicts = 0;
    let error: string | null = null;
    const latency = meanOf();
    const cost = meanOf();
    for (const r of trials) {
      for (const name of Object.keys(r.values)) {
        const v = r.values[name];
        const x = typeof v === 'boolean' ? Number(v) : v;
        if (typeof x !== 'number') continue;
        const acc = sums.get(name);
        if (acc) {
          acc.total += x;
          acc.count++;
        } else sums.set(name, { total: x, count: 1 });
      }
      const { passed } = outcomeOf(r.values, metric, passFail);
      if (passed !== null) {
        verdicts++;
        if (passed) passes++;
      }
      error ??= resultError(r);
      latency.add(latencyOf(r.measures));
      cost.add(costOf(r.measures));
    }
    // fromEntries: a column named `__proto__` is an own key like any other.
    const scores = Object.fromEntries(
      [...sums].map(([name, { total, count }]) => [name, total / count]),
    ) as Record<string, number>;
    out.set(id, {
      texts: { input: texts.input, expected: texts.expected },
      side: {
        resultId: first.resultId,
        output: texts.output,
        value: scores[metric] ?? null,
        passed: majorityPassed(passes, verdicts),
        scores,
        explanations: explanationsOf(first.evaluationResult),
        error,
        latencyMs: latency.mean(),
        cost: cost.mean(),
        trials: trials.length,
      },
    });
  }
  return out;
}

function meanOf(): { add(x: number | undefined): void; mean(): number | null } {
  let total = 0;
  let count = 0;
  return {
    add(x) {
      if (x === undefined) return;
      total += x;
      count++;
    },
    mean: () => (count === 0 ? null : total / count),
  };
}

/**
 * The explanations in an evaluator output, by the path of the object holding them:
 * `{ generation: { completeness: { explanation } } }` gives `generation.completeness`, and an
 * `aggregate_explanation` is the evaluator's own (`generation`).
 */
export function explanationsOf(output: unknown): Record<string, string> {
  const found = new Map<string, string>();
  // Called for every result of both runs: the path is a string built only for nested objects.
  const visit = (node: Record<string, unknown>, path: string): void => {
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (typeof value === 'string') {
        if ((key === 'explanation' || key === 'aggregate_explanation') && value !== '')
          found.set(path || key, value);
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        visit(value as Record<string, unknown>, path === '' ? key : `${path}.${key}`);
      }
    }
  };
  if (typeof output === 'object' && output !== null && !Array.isArray(output))
    visit(output as Record<string, unknown>, '');
  return Object.fromEntries(found);
}
