/**
 * The lines of a JSON Lines results file: one JSON object per result or run change, each ending in
 * a line feed. JSON keeps types (numbers, booleans, text, nested objects) exactly; columns are
 * `[name, value]` pairs, since an object would reorder integer-like names and the column order
 * decides a run's score column.
 */
import { readSync } from 'node:fs';
import type { PreparedResult, RunPatch } from '../../tracker/result-store.js';
import type { AggregateInput } from '../../tracker/run-aggregate.js';
import type {
  EvaluationOutput,
  FlatValue,
  MetricInput,
  ResultMeasures,
  ResultRecord,
} from '../../types.js';

/** A result as one line stores it. */
export interface ResultLine {
  resultId: string;
  sampleId: string;
  runId: string;
  datasetName: string;
  projectName: string;
  timestamp: string;
  evaluatorName: string;
  modelName: string;
  columns: [string, FlatValue][];
  data: MetricInput;
  metadata: Record<string, unknown>;
  evaluationResult: EvaluationOutput | null;
  /** Absent when not measured (and in lines of earlier versions). */
  measures?: ResultMeasures;
}

/** A run change (`logContext`, summaries, copies) as one line stores it. */
export interface PatchLine {
  runPatch: RunPatch & { runId: string };
}

/** The text of one result's line, line feed included. */
export function resultLine(r: PreparedResult): string {
  const line: ResultLine = {
    resultId: r.resultId,
    sampleId: r.sampleId,
    runId: r.runId,
    datasetName: r.datasetName,
    projectName: r.projectName,
    timestamp: r.timestamp,
    evaluatorName: r.evaluatorName,
    modelName: r.modelName,
    columns: r.columns.map((c) => [c.name, c.value]),
    data: r.data,
    metadata: r.metadata,
    evaluationResult: r.keepEvaluationResult ? r.evaluationResult : null,
    ...(r.measures ? { measures: r.measures } : {}),
  };
  return `${JSON.stringify(line)}\n`;
}

/** The text of one run change's line, line feed included. */
export const patchLine = (runId: string, patch: RunPatch): string =>
  `${JSON.stringify({ runPatch: { runId, ...patch } } satisfies PatchLine)}\n`;

/** A line read back: a result, a run change, or `null` when it is not one of ours (damaged). */
export function parseLine(text: string): ResultLine | PatchLine | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (typeof o['runPatch'] === 'object' && o['runPatch'] !== null) {
    const p = o['runPatch'] as Record<string, unknown>;
    return typeof p['runId'] === 'string' && typeof p['datasetName'] === 'string'
      ? (v as PatchLine)
      : null;
  }
  return typeof o['resultId'] === 'string' &&
    typeof o['runId'] === 'string' &&
    Array.isArray(o['columns'])
    ? (v as ResultLine)
    : null;
}

/** What the leaderboard folds of a result line. */
export const aggregateInput = (l: ResultLine): AggregateInput => ({
  runId: l.runId,
  datasetName: l.datasetName,
  projectName: l.projectName,
  evaluatorName: l.evaluatorName,
  modelName: l.modelName,
  timestamp: l.timestamp,
  columns: l.columns.map(([name, value]) => ({ name, value })),
  measures: l.measures ?? null,
});

/** A result line as a reader gets it back. */
export const toResultRecord = (l: ResultLine): ResultRecord => ({
  resultId: l.resultId,
  sampleId: l.sampleId,
  runId: l.runId,
  datasetName: l.datasetName,
  timestamp: l.timestamp,
  evaluatorName: l.evaluatorName,
  modelName: l.modelName,
  values: Object.fromEntries(l.columns),
  data: l.data,
  metadata: l.metadata,
  evaluationResult: l.evaluationResult,
  measures: l.measures ?? null,
});

/** One complete line of a file: its bytes without the line feed, and where it starts. */
export interface RawLine {
  bytes: Buffer;
  offset: number;
}

/**
 * The complete lines of `fd` in `[from, to)`, in bounded memory. A last line without its line
 * feed (torn, or still landing) is not yielded: `tail()` says where it starts and how long it is.
 */
export function* scanLines(
  fd: number,
  from: number,
  to: number,
  tail: { start: number; length: number } = { start: from, length: 0 },
): Generator<RawLine> {
  let buf = Buffer.allocUnsafe(1024 * 1024);
  let have = 0; // bytes of buf holding the file from `start`
  let start = from;
  let pos = from;
  while (pos < to) {
    if (have === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, have);
      buf = bigger;
    }
    const n = readSync(fd, buf, have, Math.min(buf.length - have, to - pos), pos);
    if (n === 0) break;
    pos += n;
    const end = have + n;
    let at = 0;
    for (let lf = buf.indexOf(0x0a, have); lf !== -1 && lf < end; lf = buf.indexOf(0x0a, at)) {
      yield { bytes: Buffer.from(buf.subarray(at, lf)), offset: start + at };
      at = lf + 1;
    }
    buf.copy(buf, 0, at, end);
    have = end - at;
    start += at;
  }
  tail.start = start;
  tail.length = have;
}
