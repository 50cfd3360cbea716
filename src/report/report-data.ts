/**
 * What the HTML report's script receives: every sample with its texts cut short, the score columns
 * by position, and each metric's histograms counted here, so the page ships counts, not values.
 * Types only are shared with the browser code (src/report/client).
 */
import { SAMPLE_STATUSES } from './report-model.js';
import type { ReportModel, ReportSample, SampleSide, SampleStatus } from './report-model.js';

/** Characters of a text the report keeps; the rest is counted, not shipped. */
export const TEXT_LIMIT = 1500;

/** A text: whole, or its first {@link TEXT_LIMIT} characters and how many more there were. */
export type CutText = string | [text: string, more: number];

/** One run's side of a sample, as the page shows it. */
export interface DataSide {
  resultId: string;
  output: CutText;
  value: number | null;
  passed: boolean | null;
  /** By {@link ReportData.columns} position; null where the sample has no value. */
  scores: (number | null)[];
  /** Where (`generation.completeness`) and what. */
  explanations: [string, CutText][];
  error: CutText | null;
  latencyMs: number | null;
  cost: number | null;
  trials: number;
}

/** One sample of either run. */
export interface DataSample {
  id: string;
  /**
   * Its texts were left out to keep the file small: the input is a preview, the expected answer,
   * outputs and explanations are empty (errors are kept).
   */
  brief?: true;
  /** Index in {@link ReportData.statuses}. */
  status: number;
  input: CutText;
  expected: CutText;
  baseline: DataSide | null;
  candidate: DataSide | null;
}

/** One metric's values in each run, counted in bins. */
export interface MetricChart {
  metric: string;
  kind: 'pass/fail' | 'score';
  /** Left edge of the first bin and right edge of the last (0 and 1 for pass/fail). */
  min: number;
  max: number;
  /** Samples per bin (pass/fail: [failed, passed]), over each run's samples with a value. */
  baseline: number[];
  candidate: number[];
}

/** The data the page's script reads. */
export interface ReportData {
  baseline: string;
  candidate: string;
  metric: string;
  uiUrl: string | null;
  textLimit: number;
  /** Statuses whose samples are {@link DataSample.brief}, and how many samples that is. */
  brief: { statuses: SampleStatus[]; samples: number };
  statuses: readonly string[];
  /** Score columns of either run: the compared metrics first, in the comparison's order. */
  columns: string[];
  charts: MetricChart[];
  samples: DataSample[];
}

/** Bins of a score metric's histogram. */
const BINS = 10;

/** `text` cut to {@link TEXT_LIMIT} characters, never between the halves of a surrogate pair. */
export function cutText(text: string, limit = TEXT_LIMIT): CutText {
  if (text.length <= limit) return text;
  let end = limit;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return [text.slice(0, end), text.length - end];
}

/** Characters of the input kept as a preview of a {@link DataSample.brief} sample. */
const PREVIEW = 160;

/** Options of {@link reportData}: how much of the texts to keep. */
export interface ReportDataOptions {
  /** Characters of each text kept. @default {@link TEXT_LIMIT} */
  textLimit?: number;
  /** Samples of these statuses keep an input preview and their errors, no other text. */
  brief?: readonly SampleStatus[];
}

/** The page's data of a report. */
export function reportData(model: ReportModel, options: ReportDataOptions = {}): ReportData {
  const { frame, sample } = reportDataParts(model, options);
  return { ...frame, samples: model.samples.map(sample) };
}

/**
 * The page's data as JSON, in pieces: `json` joined is the text of `JSON.stringify(reportData(model,
 * options))`, made one sample at a time as it is read, so that neither the data nor its JSON is
 * ever whole; `frame` is the data without its samples.
 */
export function reportDataJson(
  model: ReportModel,
  options: ReportDataOptions = {},
): { frame: ReportData; json: Iterable<string> } {
  const { frame, sample } = reportDataParts(model, options);
  function* json(): Generator<string, void, undefined> {
    // `"samples":[]}` ends the frame's JSON: the samples go between the brackets.
    yield JSON.stringify(frame).slice(0, -2);
    let first = true;
    for (const s of model.samples) {
      yield `${first ? '' : ','}${JSON.stringify(sample(s))}`;
      first = false;
    }
    yield ']}';
  }
  return { frame, json: { [Symbol.iterator]: json } };
}

/**
 * The page's data but its samples (its `samples` is last, and empty), and how each sample is
 * made: {@link reportData} and {@link reportDataJson} are both made of these.
 */
function reportDataParts(
  model: ReportModel,
  options: ReportDataOptions,
): { frame: ReportData; sample: (s: ReportSample) => DataSample } {
  const limit = options.textLimit ?? TEXT_LIMIT;
  const briefStatuses = new Set(options.brief ?? []);
  const cut = (text: string): CutText => cutText(text, limit);
  const columns = columnsOf(model);
  const at = new Map(columns.map((c, i) => [c, i]));
  const side = (s: SampleSide | null, brief: boolean): DataSide | null => {
    if (s === null) return null;
    const scores: (number | null)[] = columns.map(() => null);
    for (const [name, v] of Object.entries(s.scores)) scores[at.get(name) as number] = v;
    return {
      resultId: s.resultId,
      output: brief ? '' : cut(s.output),
      value: s.value,
      passed: s.passed,
      scores,
      explanations: brief
        ? []
        : Object.entries(s.explanations).map(([where, text]) => [where, cut(text)]),
      error: s.error === null ? null : cut(s.error),
      latencyMs: s.latencyMs,
      cost: s.cost,
      trials: s.trials,
    };
  };
  const status = new Map(SAMPLE_STATUSES.map((s, i) => [s, i]));
  let briefSamples = 0;
  for (const s of model.samples) if (briefStatuses.has(s.status)) briefSamples++;
  const sample = (s: ReportSample): DataSample => {
    const brief = briefStatuses.has(s.status);
    return {
      id: s.sampleId,
      ...(brief ? { brief: true as const } : {}),
      status: status.get(s.status) as number,
      input: cutText(s.input, brief ? Math.min(PREVIEW, limit) : limit),
      expected: brief ? '' : cut(s.expected),
      baseline: side(s.baseline, brief),
      candidate: side(s.candidate, brief),
    };
  };
  const frame: ReportData = {
    baseline: model.baseline.runId,
    candidate: model.candidate.runId,
    metric: model.metric,
    uiUrl: model.uiUrl,
    textLimit: limit,
    brief: { statuses: [...briefStatuses], samples: briefSamples },
    statuses: SAMPLE_STATUSES,
    columns,
    charts: model.comparison.metrics.map((m) => chartOf(m.metric, m.kind, model.samples)),
    samples: [],
  };
  return { frame, sample };
}

function columnsOf(model: ReportModel): string[] {
  const names = new Set(model.comparison.metrics.map((m) => m.metric));
  for (const s of model.samples)
    for (const side of [s.baseline, s.candidate])
      for (const name of Object.keys(side?.scores ?? {})) names.add(name);
  return [...names];
}

/** A metric's histogram in each run, over the same bins. */
function chartOf(
  metric: string,
  kind: MetricChart['kind'],
  samples: readonly ReportSample[],
): MetricChart {
  const values = { baseline: [] as number[], candidate: [] as number[] };
  for (const s of samples) {
    const b = s.baseline?.scores[metric];
    const c = s.candidate?.scores[metric];
    if (b !== undefined) values.baseline.push(b);
    if (c !== undefined) values.candidate.push(c);
  }
  if (kind === 'pass/fail') {
    // Trials averaged: a sample passed when most of its trials did, as its verdict.
    const count = (xs: number[]): number[] => {
      const passed = xs.filter((x) => x > 0.5).length;
      return [xs.length - passed, passed];
    };
    return {
      metric,
      kind,
      min: 0,
      max: 1,
      baseline: count(values.baseline),
      candidate: count(values.candidate),
    };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const x of [...values.baseline, ...values.candidate]) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (min === Infinity) [min, max] = [0, 1];
  const bins = min === max ? 1 : BINS;
  const count = (xs: number[]): number[] => {
    const counts = Array.from({ length: bins }, () => 0);
    for (const x of xs) {
      const i = Math.min(bins - 1, Math.floor(((x - min) / (max - min || 1)) * bins));
      counts[i] = (counts[i] as number) + 1;
    }
    return counts;
  };
  return {
    metric,
    kind,
    min,
    max,
    baseline: count(values.baseline),
    candidate: count(values.candidate),
  };
}
