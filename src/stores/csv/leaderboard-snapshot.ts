/**
 * The runs' aggregates as of now, from the saved ones plus whatever the results file holds past
 * the offset they cover: rows this process wrote are folded from memory when it knows exactly
 * where they landed, rows of others are parsed.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { StoreIoError } from '../../errors.js';
import type { RunPatch } from '../../tracker/result-store.js';
import {
  applyPatch,
  cloneAggregate,
  emptyAggregate,
  mergeAggregates,
} from '../../tracker/run-aggregate.js';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import type { EvaluationOutput } from '../../types.js';
import { errnoOf } from '../fs/errno.js';
import { fingerprint, sameFile } from '../fs/file-identity.js';
import type { FileId } from '../fs/file-identity.js';
import { parseRecord } from './csv-codec.js';
import type { StoreRules } from '../../tracker/result-store.js';
import type { CsvFolder } from './csv-folder.js';
import { previousRuns, readState, seeded, withRunFields } from './leaderboard-file.js';
import type { LeaderboardState, Previous } from './leaderboard-file.js';
import type { RawRecord, RecordReader } from './record-reader.js';
import { readHeader, recordText, scanSync } from './results-file.js';
import { ResultsLayout } from './results-layout.js';

/** Rows this process wrote at a known place, with their aggregates, so they need no re-reading. */
export interface OwnRange {
  start: number;
  end: number;
  runs: Map<string, RunAggregate>;
}

/** The ranges this process wrote, and the file they are in. */
export interface OwnRows {
  file: FileId;
  ranges: readonly OwnRange[];
}

/** The aggregates now, and how far into the results file they reach (`null`: no results file). */
export interface Snapshot {
  runs: Map<string, RunAggregate>;
  folded: LeaderboardState['results'];
}

/**
 * The aggregates now: the saved ones, plus the results past the offset they cover (from memory
 * for `own` rows, parsed for others'), plus `patches`. Writes nothing.
 */
export function takeSnapshot(
  folder: CsvFolder,
  own: OwnRows,
  patches: readonly [string, RunPatch][],
): Snapshot {
  const state = readState(folder.statePath);
  let fd: number;
  try {
    fd = openSync(folder.resultsPath, 'r');
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw new StoreIoError(`cannot read ${folder.resultsPath}`, e);
    // No results file: the runs leaderboard.csv still lists (context-only runs, or results
    // deleted by hand), with what was saved about them.
    const { saved: known, listed } = previousRuns(folder);
    const runs = new Map([...known].filter(([runId]) => listed.has(runId)));
    return { runs: withPatches(runs, patches), folded: null };
  }
  try {
    const st = fstatSync(fd);
    const header = readHeader(fd);
    if (!header) {
      const runs = new Map((state?.runs ?? []).map((r) => [r.runId, r]));
      return { runs: withPatches(runs, patches), folded: null };
    }
    const layout = new ResultsLayout(header.names);
    const saved = state?.results;
    // The same file (an inode number can be reused by a new file), grown only by appends.
    const valid =
      saved != null &&
      sameFile(saved, st) &&
      saved.offset >= header.end &&
      saved.offset <= st.size &&
      saved.fingerprint === fingerprint(fd, saved.offset);
    let runs: Map<string, RunAggregate>;
    let from: number;
    if (valid && state) {
      runs = new Map(state.runs.map((r) => [r.runId, r]));
      from = saved.offset;
    } else {
      runs = new Map();
      from = header.end;
    }
    const previous = valid ? undefined : previousRuns(folder);
    const foldRecord = (r: RawRecord, reader: RecordReader): void => {
      if (r.contentEnd === r.start) return;
      const cells = parseRecord(recordText(r));
      if (cells.length !== layout.names.length) {
        folder.damage.damaged(r, reader.resyncAfter(r), cells.length, layout.names.length);
        return;
      }
      foldCells(folder.rules, runs, layout, cells, previous);
    };
    // Walk the unfolded part in file order: our own ranges from memory, the gaps by parsing.
    const ownRanges = sameFile(st, own.file) ? own.ranges.filter((r) => r.start >= from) : [];
    let pos = from;
    let torn: RecordReader | undefined;
    for (const range of [...ownRanges, undefined]) {
      const gapEnd = range ? range.start : st.size;
      if (gapEnd > pos) {
        const reader = scanSync(fd, pos, gapEnd, foldRecord, (at, bytes) =>
          folder.damage.damagedBytes(at, bytes.length),
        );
        pos = reader.position;
        if (reader.pending.length > 0) {
          torn = reader;
          break;
        }
      }
      if (!range || range.end > st.size) break;
      let usable = true;
      const staged = new Map<string, RunAggregate>();
      for (const [runId, delta] of range.runs) {
        const merged = mergeAggregates(
          cloneAggregate(
            runs.get(runId) ?? emptyAggregate(runId, delta.datasetName, delta.projectName),
          ),
          cloneAggregate(delta),
        );
        if (!merged) {
          usable = false;
          break;
        }
        staged.set(runId, merged);
      }
      if (usable) for (const [runId, a] of staged) runs.set(runId, a);
      else scanSync(fd, range.start, range.end, foldRecord);
      pos = range.end;
    }
    if (previous) withRunFields(runs, previous);
    if (torn && pos + torn.pending.length >= st.size)
      folder.damage.torn(pos, torn.pending.length, false);
    return {
      runs: withPatches(runs, patches),
      folded: { dev: st.dev, ino: st.ino, offset: pos, fingerprint: fingerprint(fd, pos) },
    };
  } finally {
    closeSync(fd);
  }
}

/** Folds a record read from the file into its run's aggregate. */
export function foldCells(
  rules: StoreRules,
  runs: Map<string, RunAggregate>,
  layout: ResultsLayout,
  cells: readonly string[],
  previous: Previous | undefined,
): void {
  const input = layout.toAggregateInput(cells);
  const run = runs.get(input.runId) ?? (previous && seeded(previous, input.runId));
  if (!run?.scoreColumn) {
    // The run's first scored result picks its column, in the result's own column order (the
    // header's order depends on other runs); the stored output tells that order.
    const text = layout.evaluationResultText(cells);
    if (text !== '') {
      try {
        const result = JSON.parse(text) as EvaluationOutput;
        input.columns = rules.inResultOrder([...input.columns], result);
      } catch {
        // Not JSON: header order, as for rows the Python tracker wrote.
      }
    }
  }
  runs.set(input.runId, rules.fold(run, input));
}

function withPatches(
  runs: Map<string, RunAggregate>,
  patches: readonly [string, RunPatch][],
): Map<string, RunAggregate> {
  for (const [runId, patch] of patches) {
    const base = runs.get(runId);
    const run = base
      ? cloneAggregate(base)
      : emptyAggregate(runId, patch.datasetName, patch.projectName);
    runs.set(runId, applyPatch(run, patch));
  }
  return runs;
}
