/**
 * Rewriting the results file (a new metric column, or setting aside damaged records): under the
 * folder's lock, the file is copied with the new header and renamed over the old one, and the
 * aggregates are refolded from the copy. Rows other writers append to the old file meanwhile are
 * copied after the rename; the old file keeps a second name until then, so that a rewrite killed
 * in between is finished by the next writer ({@link recoverRewrites}).
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  linkSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import { writeAll } from '../fs/append-whole.js';
import { fingerprint } from '../fs/file-identity.js';
import { removeDeadTempFiles, tempPathFor } from '../fs/temp-files.js';
import { formatRecord, parseRecord, quoteCell } from './csv-codec.js';
import type { CsvFolder } from './csv-folder.js';
import { previousRuns, saveLeaderboard, withRunFields } from './leaderboard-file.js';
import type { LeaderboardState } from './leaderboard-file.js';
import { foldCells } from './leaderboard-snapshot.js';
import type { RawRecord, RecordReader } from './record-reader.js';
import { readHeader, recordText, scanSync } from './results-file.js';
import { extendHeader, ResultsLayout } from './results-layout.js';
import { formatHeader } from './row-encoder.js';
import type { NamedColumn } from './row-encoder.js';

/** Suffix of the second name an old results file keeps while a rewrite copies its late rows. */
const REWRITE_SUFFIX = '.rewrite-';

/**
 * Copies the results file with `columns` added to its header, setting aside damaged records,
 * and renames the copy over it; saves the aggregates refolded from the copy. Caller holds the
 * lock, and reopens the results file after. Returns how many records were set aside.
 */
export function rewriteResults(folder: CsvFolder, columns: NamedColumn[]): number {
  const { resultsPath, damage } = folder;
  let setAsideCount: number;
  const oldFd = openSync(resultsPath, 'r');
  // A name of its own ('x': never an old file left by a crash), appended to ('a'), since
  // after the rename other writers append to it too.
  const tmp = tempPathFor(resultsPath);
  const outFd = openSync(tmp, 'ax+');
  const setAside: Buffer[] = [];
  // Until the rename, the copy and the second name are ours alone to remove when this fails
  // (a full disk): left behind, the copy would keep the space that the next attempt needs.
  let backup: string | undefined;
  let renamed = false;
  try {
    const header = readHeader(oldFd);
    const oldNames = header?.names ?? [];
    const names = extendHeader(oldNames, columns, folder.rules.kindOfColumn);
    const oldLayout = new ResultsLayout(oldNames);
    const to = names.map((n) => oldNames.indexOf(n));
    let out: string[] = [formatHeader(names)];
    let outBytes = 0;
    const flushOut = (): void => {
      writeAll(outFd, Buffer.from(out.join('')));
      out = [];
      outBytes = 0;
    };
    const previous = previousRuns(folder);
    const runs = new Map<string, RunAggregate>();
    const setAsideBytes = (at: number, bytes: Buffer): void => {
      damage.damagedBytes(at, bytes.length);
      setAside.push(Buffer.from(bytes));
    };
    const copy = (r: RawRecord, reader: RecordReader, fold: boolean): void => {
      if (r.contentEnd === r.start) return;
      const text = recordText(r);
      const cells = parseRecord(text);
      if (cells.length !== oldNames.length) {
        const resumeAt = reader.resyncAfter(r);
        damage.damaged(r, resumeAt, cells.length, oldNames.length);
        const end = (resumeAt === -1 ? r.fileEnd : resumeAt) - r.fileStart + r.start;
        setAside.push(Buffer.from(r.buf.subarray(r.start, end)));
        return;
      }
      out.push(formatRecord(to.map((i) => (i === -1 ? '' : quoteCell(cells[i] ?? '')))));
      outBytes += text.length;
      if (outBytes > 4 * 1024 * 1024) flushOut();
      if (fold) foldCells(folder.rules, runs, oldLayout, cells, previous);
    };
    const start = header?.end ?? 0;
    const first = scanSync(
      oldFd,
      start,
      fstatSync(oldFd).size,
      (r, reader) => copy(r, reader, true),
      setAsideBytes,
    );
    flushOut();
    fdatasyncSync(outFd);
    const folded = fstatSync(outFd);
    // The old file keeps a second name until its late rows are copied below: if this process
    // dies in between, the next writer finds it and copies them (recoverRewrites).
    backup = `${resultsPath}${REWRITE_SUFFIX}${first.position}-${process.pid}-${randomBytes(4).toString('hex')}`;
    linkSync(resultsPath, backup);
    renameSync(tmp, resultsPath);
    renamed = true;
    // Rows appended to the old file while we copied: copy them too (folded later, by offset).
    const drained = scanSync(
      oldFd,
      first.position,
      fstatSync(oldFd).size,
      (r, reader) => copy(r, reader, false),
      setAsideBytes,
    );
    flushOut();
    unlinkSync(backup);
    if (drained.pending.length > 0) {
      damage.torn(drained.position, drained.pending.length, true);
      setAside.push(Buffer.from(drained.pending));
    }
    setAsideCount = setAside.length;
    if (setAside.length > 0) {
      const aside = `${resultsPath}.corrupt-${new Date().toISOString().replaceAll(':', '-')}`;
      writeFileSync(aside, Buffer.concat(setAside));
      damage.setAside(setAside.length, aside);
    }
    const merged = withRunFields(runs, previous);
    const state: LeaderboardState = {
      version: 3,
      results: {
        dev: folded.dev,
        ino: folded.ino,
        offset: folded.size,
        fingerprint: fingerprint(outFd, folded.size),
      },
      runs: [...merged.values()],
    };
    saveLeaderboard(folder, state);
  } catch (e) {
    if (!renamed) {
      rmSync(tmp, { force: true });
      if (backup !== undefined) rmSync(backup, { force: true });
    }
    throw e;
  } finally {
    closeSync(outFd);
    closeSync(oldFd);
  }
  return setAsideCount;
}

/**
 * Finishes rewrites that a killed process left half done (caller holds the lock): rows that
 * reached the old file after its copy, kept under `experiment_results.csv.rewrite-<offset>-…`,
 * are appended unless the current file has them; copies never renamed are removed.
 */
export function recoverRewrites(folder: CsvFolder): void {
  const { dir, resultsPath } = folder;
  removeDeadTempFiles(dir, [
    resultsPath,
    folder.leaderboardPath,
    folder.statePath,
    folder.indexPath,
  ]);
  const base = basename(resultsPath);
  for (const name of readdirSync(dir)) {
    const offset = name.startsWith(base + REWRITE_SUFFIX)
      ? Number(name.slice(base.length + REWRITE_SUFFIX.length).split('-')[0])
      : NaN;
    if (!Number.isSafeInteger(offset)) continue;
    const backup = join(dir, name);
    const fd = openSync(backup, 'r');
    try {
      const header = readHeader(fd);
      if (header) appendAbsent(resultsPath, fd, new ResultsLayout(header.names), offset);
    } finally {
      closeSync(fd);
    }
    unlinkSync(backup);
    folder.warn(
      `recovered the rows of an interrupted rewrite of ${resultsPath}`,
      'EVALTRACK_RECOVERED',
    );
  }
}

/** Appends the records of `fd` from `offset` on that the results file does not hold yet. */
function appendAbsent(
  resultsPath: string,
  fd: number,
  layout: ResultsLayout,
  offset: number,
): void {
  const late: string[][] = [];
  scanSync(fd, offset, fstatSync(fd).size, (r) => {
    const cells = parseRecord(recordText(r));
    if (cells.length === layout.names.length) late.push(cells);
  });
  if (late.length === 0) return;
  const idOf = (l: ResultsLayout, cells: string[]): string =>
    l.toResultRecord(cells, () => ({})).resultId;
  const current = openSync(resultsPath, 'r');
  let out = '';
  try {
    const header = readHeader(current);
    if (!header) return;
    const now = new ResultsLayout(header.names);
    const held = new Set<string>();
    scanSync(current, header.end, fstatSync(current).size, (r) => {
      const cells = parseRecord(recordText(r));
      if (cells.length === now.names.length) held.add(idOf(now, cells));
    });
    const from = now.names.map((n) => layout.indexOf(n) ?? -1);
    for (const cells of late) {
      if (held.has(idOf(layout, cells))) continue;
      out += formatRecord(from.map((i) => (i === -1 ? '' : quoteCell(cells[i] ?? ''))));
    }
  } finally {
    closeSync(current);
  }
  if (out === '') return;
  const append = openSync(resultsPath, 'a');
  try {
    writeAll(append, Buffer.from(out));
  } finally {
    closeSync(append);
  }
}
