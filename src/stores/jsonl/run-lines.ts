/**
 * One run's lines across the project files of a folder, in logging order: each file holds its
 * lines in the order they were written, and a run logged into by trackers of several projects is
 * merged across files by time (results by timestamp, run changes by when they were made).
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { StoreIoError } from '../../errors.js';
import { errnoOf } from '../fs/errno.js';
import type { JsonlFolder, ProjectFiles } from './jsonl-folder.js';
import { parseLine, scanLines } from './jsonl-lines.js';
import type { PatchLine, ResultLine } from './jsonl-lines.js';
import { reportDamaged } from './project-leaderboard.js';

/**
 * The lines of one project file that `wanted` picks by their bytes, parsed, in file order; lines
 * set aside are passed over, damaged ones reported.
 */
export function* linesWhere(
  folder: JsonlFolder,
  files: ProjectFiles,
  setAside: ReadonlySet<number>,
  wanted: (bytes: Buffer) => boolean,
): Generator<ResultLine | PatchLine> {
  let fd: number;
  try {
    fd = openSync(files.resultsPath, 'r');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    throw new StoreIoError(`cannot read ${files.resultsPath}`, e);
  }
  try {
    for (const line of scanLines(fd, 0, fstatSync(fd).size)) {
      if (!wanted(line.bytes) || setAside.has(line.offset)) continue;
      const parsed = parseLine(line.bytes.toString('utf8'));
      if (parsed === null) reportDamaged(folder, files.resultsPath, line);
      else yield parsed;
    }
  } finally {
    closeSync(fd);
  }
}

/** The lines of run `runId` in one project file, in file order. */
function* linesOfRun(
  folder: JsonlFolder,
  files: ProjectFiles,
  runId: string,
  setAside: ReadonlySet<number>,
): Generator<ResultLine | PatchLine> {
  // A run id JSON writes one way only: each of the run's lines holds exactly this text.
  const needle = Buffer.from(`"runId":${JSON.stringify(runId)},`);
  for (const line of linesWhere(folder, files, setAside, (bytes) => bytes.includes(needle))) {
    if (('runPatch' in line ? line.runPatch.runId : line.runId) === runId) yield line;
  }
}

const timeOf = (l: ResultLine | PatchLine): string =>
  'runPatch' in l ? (l.runPatch.at ?? l.runPatch.createdAt ?? '') : l.timestamp;

/** The lines of run `runId` in every file of `sources`, merged by time (file order on ties). */
export function* runLines(
  folder: JsonlFolder,
  sources: readonly { files: ProjectFiles; setAside: ReadonlySet<number> }[],
  runId: string,
): Generator<ResultLine | PatchLine> {
  const heads = sources.map((s) => {
    const gen = linesOfRun(folder, s.files, runId, s.setAside);
    return { gen, cur: gen.next() };
  });
  try {
    for (;;) {
      let best: (typeof heads)[number] | undefined;
      for (const h of heads) {
        if (h.cur.done) continue;
        if (!best || timeOf(h.cur.value) < timeOf(best.cur.value as ResultLine | PatchLine))
          best = h;
      }
      if (!best || best.cur.done) return;
      yield best.cur.value;
      best.cur = best.gen.next();
    }
  } finally {
    for (const h of heads) h.gen.return(undefined);
  }
}
