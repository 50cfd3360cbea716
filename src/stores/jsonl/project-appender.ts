/**
 * The append protocol of a project's results file. Each call writes its lines with one `write()`
 * on an `O_APPEND` descriptor, so lines of concurrent writers never interleave, and nothing is
 * locked per line. The file is never rewritten: a torn last line (a writer killed mid-write) is
 * copied aside and ended with a line feed, so that it stays one damaged line that readers skip,
 * and the lines after it are whole. A write that fails part-way (a full disk) is cut back off.
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { EvaltrackError, StoreIoError } from '../../errors.js';
import type { ResultRecord } from '../../types.js';
import { appendOrTakeBack, writeAll } from '../fs/append-whole.js';
import { removeDeadTempFiles } from '../fs/temp-files.js';
import { endsTorn, gluedToTornRecord } from '../fs/torn-tail.js';
import type { JsonlFolder, ProjectFiles } from './jsonl-folder.js';
import type { ProjectLeaderboard } from './project-leaderboard.js';

/** Lines to append, and the results they hold (for saying which were not stored). */
export interface Lines {
  buf: Buffer;
  /** Where each result's line ends in `buf`. */
  ends: number[];
  results: () => ResultRecord[];
}

/** A name for the copy of damaged lines set aside from `path`. */
export const asidePath = (path: string): string =>
  `${path}.corrupt-${new Date().toISOString().replaceAll(':', '-')}`;

/** One store's open results file of one project. */
export class ProjectAppender {
  readonly #folder: JsonlFolder;
  readonly #files: ProjectFiles;
  readonly #leaderboard: ProjectLeaderboard;
  #fd: number | undefined;
  /** File size after our last write: a write that starts there followed only ours. */
  #lastEnd = 0;

  constructor(folder: JsonlFolder, files: ProjectFiles, leaderboard: ProjectLeaderboard) {
    this.#folder = folder;
    this.#files = files;
    this.#leaderboard = leaderboard;
  }

  /** Appends the lines, all of them or (with an error saying which) none. */
  append(lines: Lines): void {
    if (lines.buf.length === 0) return;
    const path = this.#files.resultsPath;
    try {
      const fd = this.#fd ?? this.#open();
      this.#appendOrTakeBack(fd, lines.buf, lines);
      const size = fstatSync(fd).size;
      const alone = size - lines.buf.length === this.#lastEnd;
      if (!alone && gluedToTornRecord(fd, size, lines.buf)) {
        // Another writer was killed mid-line and our first line went on the end of it: that
        // line is damaged there, so write it again (the damaged one is skipped and reported).
        const first = lines.buf.subarray(0, lines.buf.indexOf(0x0a) + 1);
        this.#appendOrTakeBack(fd, first, {
          buf: first,
          ends: [first.length],
          results: () => lines.results().slice(0, 1),
        });
      }
      this.#lastEnd = fstatSync(fd).size;
    } catch (e) {
      throw e instanceof EvaltrackError ? e : new StoreIoError(`cannot write ${path}`, e);
    }
  }

  /**
   * Under the lock, sets aside a torn last line now, if there is one; used before the first write
   * and by `rebuild()` (caller holds the lock).
   */
  repairTornTail(): void {
    const fd = openSync(this.#files.resultsPath, 'a+');
    try {
      if (!endsTorn(fd)) return;
      const size = fstatSync(fd).size;
      const start = lastLineStart(fd, size);
      const torn = Buffer.allocUnsafe(size - start);
      readSync(fd, torn, 0, torn.length, start);
      const aside = asidePath(this.#files.resultsPath);
      writeFileSync(aside, torn, { flag: 'a' });
      // Ended, the torn bytes are one damaged line; nothing after it is glued to it. Others
      // may append meanwhile (they take no lock): ours then ends an empty line, read as nothing.
      writeAll(fd, Buffer.from('\n'));
      this.#leaderboard.markSetAside(start);
      this.#folder.warn(
        `${this.#files.resultsPath} ended with an incomplete line (${torn.length} bytes at byte ${start}, e.g. a write cut short by kill -9); it was set aside in ${aside}`,
        'EVALTRACK_TORN_RECORD',
      );
    } finally {
      closeSync(fd);
    }
  }

  /** Makes everything written durable against power loss (once, rather than per line), and closes. */
  close(): void {
    if (this.#fd === undefined) return;
    try {
      fdatasyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
      this.#fd = undefined;
    }
  }

  #open(): number {
    return this.#folder.locked(() => {
      mkdirSync(this.#folder.dir, { recursive: true });
      removeDeadTempFiles(this.#folder.dir, [this.#files.statePath]);
      this.repairTornTail();
      // 'a+': appends go to the end whatever the position, and the tail can be read back.
      const fd = openSync(this.#files.resultsPath, 'a+');
      this.#fd = fd;
      this.#lastEnd = fstatSync(fd).size;
      return fd;
    });
  }

  #appendOrTakeBack(fd: number, buf: Buffer, lines: Lines): void {
    appendOrTakeBack(fd, buf, this.#files.resultsPath, {
      ends: lines.ends,
      results: lines.results,
      close: () => {
        closeSync(fd);
        this.#fd = undefined;
      },
    });
  }
}

/** Where the last line of a file of `size` bytes starts (just past its last line feed but one). */
function lastLineStart(fd: number, size: number): number {
  const chunk = Buffer.allocUnsafe(64 * 1024);
  let end = size;
  while (end > 0) {
    const from = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - from, from);
    const lf = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (lf !== -1) return from + lf + 1;
    end = from;
  }
  return 0;
}
