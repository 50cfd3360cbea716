/**
 * The PostgreSQL store's local journal: what `log()` queued survives the process. Every queued
 * batch and run change is appended, synchronously and before `log()` returns, as one JSON line to
 * a file of this tracker's own in a local folder (one folder per database and schema). The file
 * is emptied when everything queued is committed, and deleted at a clean `close()`.
 *
 * A file whose process is gone (exited with results queued, crashed, killed) or that `close()`
 * released is adopted by the next tracker that uses the same database (`journal-takeover.ts`),
 * which queues its contents and removes the file once they are committed. Replaying something
 * already committed changes nothing: results are inserted by id (`ON CONFLICT DO NOTHING`), run
 * changes are applied once by id. A damaged line (a line torn by `kill -9`) is set aside to a
 * `damaged+…` file and reported, never dropped (`journal-records.ts`); a batch the database
 * refused for good goes to a `refused+…` file, for `evaltrack pending` to show.
 */
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { StoreIoError } from '../../errors.js';
import type { QueueJournal } from '../remote/write-queue.js';
import { targetFolder } from './journal-location.js';
import { linesOf, readJournal } from './journal-records.js';
import type { JournalOp } from './journal-records.js';
import {
  HOST,
  ownerGone,
  ownFileName,
  parseFileName,
  releasedFileName,
  setAsideFileName,
  takeOverFiles,
} from './journal-takeover.js';
import type { JournalWarning } from './journal-takeover.js';

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** What a journal file holds, as `evaltrack pending` shows it. */
export interface PendingFile {
  /** The file's path. */
  file: string;
  /**
   * `mine`: this tracker's; `running`: another live process's (left alone); `ended`: its process
   * is gone, adopted by the next tracker; `released`: a `close()` that could not store it; `other
   * host`: written on another machine; `refused`: batches the database refused for good;
   * `damaged`: lines set aside as unreadable.
   */
  state: 'mine' | 'running' | 'ended' | 'released' | 'other host' | 'refused' | 'damaged';
  /** The writing process, when the name says. */
  pid: number | null;
  host: string | null;
  results: number;
  runChanges: number;
  /** Results per run id. */
  runs: Record<string, number>;
  /** Lines that are not a whole journal record (a torn tail, say). */
  damagedLines: number;
}

/** One tracker's journal: its own file, and the files it adopted. */
export class PendingJournal implements QueueJournal<JournalOp> {
  /** The folder of this database and schema. */
  readonly folder: string;
  readonly #target: string;
  readonly #warn: JournalWarning;
  #fd: number | null = null;
  #file: string | null = null;
  #size = 0;
  /** Adopted files, removed once what they held is committed. */
  readonly #adopted: string[] = [];
  /** Whether the file holds records not yet committed. */
  #dirty = false;
  /** A refused batch could not be set aside: keep the journal until it is replayed. */
  #keep = false;

  constructor(dir: string, target: string, warn: JournalWarning) {
    this.folder = targetFolder(dir, target);
    this.#target = target;
    this.#warn = warn;
  }

  /** This tracker's own file, once it wrote something. */
  get file(): string | null {
    return this.#file;
  }

  /**
   * Appends `op` and returns once the line is written (in the page cache: it survives the
   * process, not a power cut). On failure the line is cut off again and nothing is queued.
   */
  write(op: JournalOp): void {
    try {
      const fd = this.#open();
      let written = 0;
      try {
        for (const bytes of linesOf(op)) {
          let done = 0;
          while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
          written += bytes.length;
        }
      } catch (e) {
        // A partial line or batch (ENOSPC half-way) would be read back as damage: remove it.
        try {
          ftruncateSync(fd, this.#size);
        } catch {
          // Then it is a torn tail, which replay sets aside and reports.
        }
        throw e;
      }
      this.#size += written;
      this.#dirty = true;
    } catch (e) {
      throw new StoreIoError(
        `could not write the local journal ${this.#file ?? this.folder} (${(e as Error).message}); nothing was queued. ` +
          'Set journalDir (or EVALTRACK_JOURNAL_DIR) to a writable local folder',
        e,
      );
    }
  }

  #open(): number {
    if (this.#fd !== null) return this.#fd;
    mkdirSync(this.folder, { recursive: true });
    const info = join(this.folder, 'target.txt');
    try {
      writeFileSync(info, `${this.#target}\n`, { flag: 'wx' });
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
    const file = join(this.folder, ownFileName());
    this.#fd = openSync(file, 'a');
    this.#file = file;
    this.#size = fstatSync(this.#fd).size;
    return this.#fd;
  }

  /**
   * Takes over the files of processes that are gone (and released ones): renames each to a name
   * of this process, so no other tracker takes it too, and returns what they hold, oldest file
   * first. Damaged lines are set aside and reported.
   */
  adopt(options: { anyHost?: boolean } = {}): { ops: JournalOp[]; files: number } {
    return takeOverFiles(this.folder, options, this.#warn, this.#adopted);
  }

  /** Keeps a batch the database refused for good where `evaltrack pending` shows it. */
  setAsideRefused(op: JournalOp, cause: unknown): void {
    const file = join(this.folder, setAsideFileName('refused'));
    try {
      mkdirSync(this.folder, { recursive: true });
      writeFileSync(file, Buffer.concat(linesOf(op)));
    } catch (e) {
      this.#keep = true;
      this.#warn(
        `a batch PostgreSQL refused (${(cause as Error).message}) could not be set aside to ${file} (${(e as Error).message}); it stays in the journal`,
        'EVALTRACK_SET_ASIDE',
      );
    }
  }

  /** Everything queued is committed (or set aside): empties the own file, removes adopted ones. */
  settled(): void {
    if (this.#keep) return;
    if (this.#fd !== null && this.#dirty) {
      ftruncateSync(this.#fd, 0);
      this.#size = 0;
      this.#dirty = false;
    }
    for (const file of this.#adopted.splice(0)) {
      try {
        unlinkSync(file);
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw e;
      }
    }
  }

  /**
   * At `close()`: with nothing pending, deletes the files; otherwise hands them over (pid 0) to
   * the next tracker that uses this database, in this process or another.
   */
  close(pending: boolean): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
    const files = [...(this.#file ? [this.#file] : []), ...this.#adopted.splice(0)];
    this.#file = null;
    for (const file of files) {
      try {
        if (pending || this.#keep) renameSync(file, join(this.folder, releasedFileName()));
        else unlinkSync(file);
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw e;
      }
    }
    if (!pending) {
      try {
        // Leave no empty folders behind; target.txt alone means nothing is pending.
        const left = readdirSync(this.folder);
        if (left.length === 1 && left[0] === 'target.txt') {
          unlinkSync(join(this.folder, 'target.txt'));
          rmdirSync(this.folder);
        }
      } catch {
        // Another tracker wrote meanwhile: the folder stays.
      }
    }
  }

  /** What every file of this folder holds; only reads. */
  list(): PendingFile[] {
    let names: string[];
    try {
      names = readdirSync(this.folder).sort();
    } catch (e) {
      if (errno(e) === 'ENOENT') return [];
      throw new StoreIoError(`could not read the journal folder ${this.folder}`, e);
    }
    const files: PendingFile[] = [];
    for (const name of names) {
      const owner = parseFileName(name);
      if (!owner) continue;
      const { host, pid, start } = owner;
      const file = join(this.folder, name);
      let state: PendingFile['state'];
      if (host === 'refused' || host === 'damaged') state = host;
      else if (file === this.#file || this.#adopted.includes(file)) state = 'mine';
      else if (host !== HOST) state = 'other host';
      else if (pid === 0) state = 'released';
      else state = ownerGone(pid, start) ? 'ended' : 'running';
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        if (errno(e) === 'ENOENT') continue;
        throw new StoreIoError(`could not read the journal ${file}`, e);
      }
      const entry: PendingFile = {
        file,
        state,
        pid: host === 'refused' || host === 'damaged' || pid === 0 ? null : pid,
        host: host === 'refused' || host === 'damaged' ? null : decodeURIComponent(host),
        results: 0,
        runChanges: 0,
        runs: Object.create(null) as Record<string, number>,
        damagedLines: 0,
      };
      const read = readJournal(bytes);
      // A running writer may be in the middle of a line or a batch: not damage.
      entry.damagedLines =
        state === 'damaged'
          ? bytes
              .toString('latin1')
              .split('\n')
              .filter((l) => l !== '').length
          : state === 'running' || state === 'mine'
            ? 0
            : read.bad.length;
      for (const op of read.ops) {
        if (op.kind === 'patch') entry.runChanges++;
        else {
          entry.results += op.rows.length;
          for (const r of op.rows) entry.runs[r.run_id] = (entry.runs[r.run_id] ?? 0) + 1;
        }
      }
      // An empty file (everything committed) holds nothing to show.
      if (bytes.length > 0) files.push(entry);
    }
    return files;
  }
}
