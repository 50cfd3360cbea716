/**
 * `leaderboard.csv` (one row per run, gllm-evals columns then ours) and the exact aggregates behind
 * it. The CSV rounds nothing away from a reader but cannot be extended one result at a time (a mean
 * is not a sum), so the exact sums live in a small JSON file beside it.
 */
import { readFileSync } from 'node:fs';
import { pyFloatRepr, toPythonJson } from '../../tracker/python-format.js';
import { compareRunsByUpdate, emptyAggregate, toRunSummary } from '../../tracker/run-aggregate.js';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import type { RunSummary } from '../../types.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import {
  bomLength,
  encodeText,
  formatRecord,
  parseRecord,
  quoteCell,
  unescapeText,
} from './csv-codec.js';
import { RecordReader } from './record-reader.js';

export const LEADERBOARD_COLUMNS = [
  'run_id',
  'dataset_name',
  'evaluator_name',
  'model_name',
  'average_score',
  'total_data',
  'score_column',
  'summary_result',
  'project_name',
  'created_at',
  'updated_at',
  'context',
  // Ours, for people reading the file: derived from the aggregates in the state file.
  'latency_mean_ms',
  'latency_p95_ms',
  'total_tokens',
  'total_cost',
] as const;

/** How far the results file has been folded into the aggregates. */
export interface FoldedUpTo {
  dev: number;
  ino: number;
  /** File offset just past the last folded record. */
  offset: number;
  /** Digest of the file's first bytes up to `offset` (at most 64 KiB): the same file, grown. */
  fingerprint: string;
}

/** The exact aggregates, and the part of the results file they cover. */
export interface LeaderboardState {
  /** Bumped when the aggregates gain a field; a state of another version is rebuilt from the results. */
  version: 3;
  results: FoldedUpTo | null;
  runs: RunAggregate[];
}

/** The saved aggregates (an older version converted), or `null` when missing, damaged or unknown. */
export function readState(path: string): LeaderboardState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const state = JSON.parse(text) as LeaderboardState | { version: 1 | 2; runs: unknown };
    if (!Array.isArray(state.runs)) return null;
    if (state.version === 3) return state;
    // Version 2 lacked latency, tokens and cost (an older evaltrack may have folded results that
    // carry them): keep its run fields and refold the results.
    if (state.version === 2)
      return { version: 3, results: null, runs: state.runs as RunAggregate[] };
    if (state.version !== 1) return null;
    // Version 1 lacked the spread of scores: keep its run fields and refold the results. A run
    // whose results are gone keeps its mean as one score, so no spread is claimed for it.
    const runs = (state.runs as RunAggregate[]).map((r): RunAggregate => {
      const mean = r.scoredCount > 0 ? r.scoreSum / r.scoredCount : 0;
      return {
        ...r,
        scoredCount: Math.min(r.scoredCount, 1),
        scoreSum: mean,
        scoreSumSq: mean * mean,
        scorePassFailCount: r.scoredCount > 0 && (mean === 0 || mean === 1) ? 1 : 0,
      };
    });
    return { version: 3, results: null, runs };
  } catch {
    // A damaged cache is rebuilt from the results file.
    return null;
  }
}

/** `summary_result` as Python writes it: `accuracy` is a float there (`{"accuracy": 1.0}`). */
function summaryJson(summary: Record<string, unknown>): string {
  const { accuracy, ...rest } = summary;
  if (typeof accuracy !== 'number') return toPythonJson(summary, 'summaryResult');
  const others = toPythonJson(rest, 'summaryResult');
  return `{"accuracy": ${pyFloatRepr(accuracy)}${others === '{}' ? '' : `, ${others.slice(1, -1)}`}}`;
}

const num = (v: number | undefined): string => (v === undefined ? '' : String(v));

export function formatLeaderboard(runs: readonly RunAggregate[]): string {
  const rows = runs.map(toRunSummary).sort(compareRunsByUpdate);
  let out = formatRecord(LEADERBOARD_COLUMNS);
  for (const r of rows) {
    out += formatRecord([
      encodeText(r.runId, 'runId'),
      encodeText(r.datasetName, 'datasetName'),
      encodeText(r.evaluatorName, 'evaluatorName'),
      encodeText(r.modelName, 'modelName'),
      r.averageScore === null ? '' : pyFloatRepr(r.averageScore),
      String(r.totalData),
      r.scoreColumn === null ? '' : encodeText(r.scoreColumn, 'scoreColumn'),
      quoteCell(summaryJson(r.summaryResult)),
      r.projectName === null ? '' : encodeText(r.projectName, 'projectName'),
      r.createdAt ?? '',
      r.updatedAt ?? '',
      quoteCell(toPythonJson(r.context, 'context')),
      num(r.measures?.latency?.meanMs),
      num(r.measures?.latency?.p95Ms),
      num(r.measures?.tokens?.totalTokens),
      num(r.measures?.cost?.total),
    ]);
  }
  return out;
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * Reads a leaderboard file (ours or the Python tracker's) back into aggregates. Sums are
 * reconstructed from the mean, which is exact for pass rates and close for mean scores; they are
 * used only for runs whose results are gone, and for the fields results cannot give (context).
 */
export function readLeaderboard(path: string): RunAggregate[] {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return [];
  }
  return readLeaderboardBytes(buf);
}

/** {@link readLeaderboard} of a file's text. */
export function readLeaderboardText(text: string): RunAggregate[] {
  return readLeaderboardBytes(Buffer.from(text));
}

function readLeaderboardBytes(buf: Buffer): RunAggregate[] {
  const reader = new RecordReader(0, Math.max(buf.length, 1));
  const space = reader.space();
  const offset = bomLength(buf);
  buf.copy(space.buf, 0, offset);
  reader.filled(buf.length - offset);
  const records: string[][] = [];
  for (let r = reader.next(); r; r = reader.next()) {
    if (r.contentEnd > r.start)
      records.push(parseRecord(r.buf.toString('utf8', r.start, r.contentEnd)));
  }
  const [header, ...rows] = records;
  if (!header) return [];
  const at = (cells: string[], name: string): string => cells[header.indexOf(name)] ?? '';
  return rows.flatMap((cells) => {
    if (cells.length !== header.length) return [];
    const runId = unescapeText(at(cells, 'run_id'));
    if (runId === '') return [];
    const a = emptyAggregate(
      runId,
      unescapeText(at(cells, 'dataset_name')),
      unescapeText(at(cells, 'project_name')) || null,
    );
    a.evaluatorName = unescapeText(at(cells, 'evaluator_name')) || 'unknown';
    a.modelName = unescapeText(at(cells, 'model_name')) || 'unknown';
    a.scoreColumn = unescapeText(at(cells, 'score_column')) || null;
    a.totalData = Number(at(cells, 'total_data')) || 0;
    const average = at(cells, 'average_score');
    if (average !== '' && Number.isFinite(Number(average))) {
      // The mean exactly as written; the sum behind it is not in the file.
      a.scoredCount = 1;
      a.scoreSum = Number(average);
      a.scoreSumSq = a.scoreSum * a.scoreSum;
      a.scorePassFailCount = a.scoreSum === 0 || a.scoreSum === 1 ? 1 : 0;
    }
    // gllm-evals 0.1.41 names it run_aggregators_result; its evaluate() puts a per-evaluator
    // `accuracy` object there, which is kept as written.
    const summary = parseObject(at(cells, 'summary_result') || at(cells, 'run_aggregators_result'));
    const accuracy = summary['accuracy'];
    if (typeof accuracy === 'number') {
      a.accuracyTotal = a.totalData;
      a.accuracyPassed = Math.round(accuracy * a.totalData);
      delete summary['accuracy'];
    }
    a.summaryExtra = summary;
    a.context = parseObject(at(cells, 'context'));
    a.createdAt = at(cells, 'created_at') || null;
    a.updatedAt = at(cells, 'updated_at') || null;
    return [a];
  });
}

/** The runs as last saved, and which of them `leaderboard.csv` lists (only those outlive their results). */
export interface Previous {
  saved: Map<string, RunAggregate>;
  listed: Set<string>;
}

/**
 * Fields the results cannot give (context, summaries, times, runs with no results left), taken
 * from the previous aggregates. Mutates and returns `runs`.
 */
export function withRunFields(
  runs: Map<string, RunAggregate>,
  previous: Previous,
): Map<string, RunAggregate> {
  for (const [runId, prev] of previous.saved) {
    const run = runs.get(runId);
    if (!run) {
      if (previous.listed.has(runId)) runs.set(runId, prev);
      continue;
    }
    run.context = prev.context;
    run.summaryExtra = prev.summaryExtra;
    run.projectName ??= prev.projectName;
    if (prev.createdAt !== null && (run.createdAt === null || prev.createdAt < run.createdAt))
      run.createdAt = prev.createdAt;
    if (prev.updatedAt !== null && (run.updatedAt === null || prev.updatedAt > run.updatedAt))
      run.updatedAt = prev.updatedAt;
  }
  return runs;
}

/** Where a folder keeps its leaderboard and the aggregates behind it. */
export interface LeaderboardPaths {
  leaderboardPath: string;
  statePath: string;
}

/**
 * The runs as last saved (the state file, else the leaderboard file, e.g. written by Python),
 * and which of them `leaderboard.csv` lists: only those outlive their results.
 */
export function previousRuns(paths: LeaderboardPaths): Previous {
  const listed = readLeaderboard(paths.leaderboardPath);
  const saved = readState(paths.statePath)?.runs ?? listed;
  return {
    saved: new Map(saved.map((r) => [r.runId, r])),
    listed: new Set(listed.map((r) => r.runId)),
  };
}

/** Saves the aggregates, then rewrites leaderboard.csv from them (each file atomically). */
export function saveLeaderboard(paths: LeaderboardPaths, state: LeaderboardState): void {
  writeFileAtomic(paths.statePath, JSON.stringify(state));
  writeFileAtomic(paths.leaderboardPath, formatLeaderboard(state.runs));
}

/** A run refolded from its results keeps the score column it was ranked by. */
export function seeded(previous: Previous, runId: string): RunAggregate | undefined {
  const prev = previous.saved.get(runId);
  if (!prev?.scoreColumn) return undefined;
  const run = emptyAggregate(runId, prev.datasetName, prev.projectName);
  run.scoreColumn = prev.scoreColumn;
  return run;
}

/** Whether leaderboard.csv is missing, or lists other runs or numbers than `runs`. */
export function leaderboardDiffers(path: string, runs: readonly RunSummary[]): boolean {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return true;
  }
  const listed = new Map(readLeaderboardText(text).map((r) => [r.runId, toRunSummary(r)]));
  return (
    listed.size !== runs.length ||
    runs.some((r) => {
      const l = listed.get(r.runId);
      // Python may sum in another order: the last bits of a mean do not make it stale.
      const close =
        l?.averageScore === r.averageScore ||
        (l?.averageScore != null &&
          r.averageScore !== null &&
          Math.abs(l.averageScore - r.averageScore) <=
            1e-9 * Math.max(1, Math.abs(r.averageScore)));
      return !l || l.totalData !== r.totalData || !close;
    })
  );
}
