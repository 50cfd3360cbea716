/**
 * Reading the records of some runs through the index (`results-index.ts`): the runs' byte ranges
 * in the part of the file the index covers, read with positioned reads and checked before anything
 * is yielded, then a scan of the bytes past it, which the reader adds to the index. Without a
 * usable index it is one scan of the whole file, which writes the index anew.
 */
import { existsSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { DamageReports } from './damage-reports.js';
import { RecordReader } from './record-reader.js';
import type { RawRecord } from './record-reader.js';
import { readHeader } from './results-file.js';
import {
  addRange,
  appendSegment,
  loadIndex,
  needsCompaction,
  segmentDigest,
  segmentLine,
  writeIndex,
} from './results-index.js';
import type { IndexView } from './results-index.js';
import { ResultsLayout } from './results-layout.js';
import { cellsOf, firstCellOf, openResults, scanRecords } from './scan-results.js';
import type { RecordPicker } from './scan-results.js';

/** The files a read through the index needs. */
export interface IndexedFiles {
  readonly resultsPath: string;
  readonly indexPath: string;
}

const LF = 0x0a;

/** The ranges of `runIds` in `view`, in file order. */
function rangesOf(view: IndexView, runIds: ReadonlySet<string>): number[] {
  const pairs: [number, number][] = [];
  for (const runId of runIds) {
    const ranges = view.runs.get(runId);
    if (!ranges) continue;
    for (let i = 0; i < ranges.length; i += 2)
      pairs.push([ranges[i] as number, ranges[i + 1] as number]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  return pairs.flat();
}

const readerFor = (start: number, end: number): RecordReader =>
  new RecordReader(start, Math.max(64 * 1024, Math.min(4 * 1024 * 1024, end - start)));

/**
 * What `picker` takes of the records in `ranges` (each, by the index, a run of whole records of
 * `runIds`), in order. Each record is checked as it is read: a range that does not start after a
 * line feed, a record of another run, or a range that does not end at a record's end stops the
 * read, which returns where it stopped (everything taken lies before), or `null` when every range
 * held. Checking as it goes costs no second pass over the run's bytes.
 */
async function* readRanges<T>(
  handle: FileHandle,
  ranges: readonly number[],
  runIds: ReadonlySet<string>,
  layout: ResultsLayout,
  picker: RecordPicker<T>,
  damage: DamageReports,
): AsyncGenerator<T, number | null> {
  const before = Buffer.alloc(1);
  for (let i = 0; i < ranges.length; i += 2) {
    const start = ranges[i] as number;
    const end = ranges[i + 1] as number;
    const { bytesRead } = await handle.read(before, 0, 1, start - 1);
    if (bytesRead !== 1 || before[0] !== LF) return start;
    const reader = readerFor(start, end);
    let pos = start;
    while (pos < end) {
      const space = reader.space();
      const { bytesRead: n } = await handle.read(
        space.buf,
        space.offset,
        Math.min(space.length, end - pos),
        pos,
      );
      if (n === 0) return reader.position;
      reader.filled(n);
      pos += n;
      for (let r = reader.next(); r; r = reader.next()) {
        if (!runIds.has(firstCellOf(r))) return r.fileStart;
        const cells = cellsOf(r, reader, layout, damage);
        const taken = cells && picker.take(cells, r);
        if (taken !== undefined) yield taken;
      }
    }
    if (reader.position !== end) return reader.position;
  }
  return null;
}

/** Whether the offset `at` is inside one of `ranges` (sorted `[start, end, …]`). */
function inRanges(ranges: readonly number[], at: number): boolean {
  for (let i = 0; i < ranges.length; i += 2)
    if (at >= (ranges[i] as number) && at < (ranges[i + 1] as number)) return true;
  return false;
}

/**
 * What `pick` (made for the file's header) takes of the records of the runs `runIds` in the
 * results file, in file order: exactly what a scan of the whole file would take, read through
 * the index where it holds. `pick` must take nothing of other runs' records.
 */
export async function* scanRuns<T>(
  files: IndexedFiles,
  runIds: readonly string[],
  damage: DamageReports,
  pick: (layout: ResultsLayout) => RecordPicker<T>,
): AsyncGenerator<T> {
  const handle = await openResults(files.resultsPath);
  if (!handle) return;
  try {
    const st = await handle.stat();
    const header = readHeader(handle.fd);
    if (!header) return;
    const layout = new ResultsLayout(header.names);
    let picker = pick(layout);
    // The index keys records by their first cell: for a header that does not start with the
    // run id (not written by gllm-evals nor by us), scan.
    if (layout.indexOf('run_id') !== 0) {
      yield* scanRecords(handle, layout, header.end, st.size, picker, damage);
      return;
    }
    const wanted = new Set(runIds);
    let view = loadIndex(files.indexPath, handle.fd, st, header.end);
    if (view) {
      const ranges = rangesOf(view, wanted);
      const stopped = yield* readRanges(handle, ranges, wanted, layout, picker, damage);
      if (stopped !== null) {
        // The index is wrong about these runs (the file changed in place): scan the whole file
        // with a new picker, passing over what was already given (the records of the ranges
        // before `stopped`), and write the index anew.
        view = null;
        const inner = pick(layout);
        picker = {
          quick: inner.quick,
          take: (cells, r) => {
            const taken = inner.take(cells, r);
            return r.fileStart < stopped && inRanges(ranges, r.fileStart) ? undefined : taken;
          },
        };
      }
    }
    const from = view ? view.covered : header.end;
    // Without an index to extend or rebuild (a folder no writer of ours opened), no bookkeeping.
    const indexing = view !== null || existsSync(files.indexPath);
    const tail = new Map<string, number[]>();
    const observe = (r: RawRecord, runId: string): void =>
      addRange(tail, runId, r.fileStart, r.fileEnd);
    const observed = yield* scanRecords(
      handle,
      layout,
      from,
      st.size,
      picker,
      damage,
      indexing ? observe : undefined,
    );
    try {
      if (!indexing) {
        // Rebuilt only where a writer started one: reading a folder adds no file to it.
      } else if (!view) {
        writeIndex(files.indexPath, handle.fd, st, header.end, observed, tail);
      } else if (needsCompaction(view)) {
        for (const [runId, r] of tail)
          for (let i = 0; i < r.length; i += 2)
            addRange(view.runs, runId, r[i] as number, r[i + 1] as number);
        writeIndex(files.indexPath, handle.fd, st, header.end, observed, view.runs);
      } else if (observed > from) {
        const digest = segmentDigest(handle.fd, from, observed);
        appendSegment(files.indexPath, segmentLine(from, observed, digest, tail));
      }
    } catch {
      // The index is a cache: a folder this process cannot write is read by scanning its tail.
    }
  } finally {
    await handle.close();
  }
}
