/**
 * Where `export` writes. A file is written beside its target under a temporary name and takes the
 * target's name only once complete, so a failed export never leaves a half file there; a
 * gllm-evals folder likewise, unless results are added to a store already in it (`--force`). What
 * the store being exported keeps its data in is never written, whatever the flags.
 */
import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CSVExperimentTracker } from '../stores/csv/csv-experiment-tracker.js';
import { JsonlExperimentTracker } from '../stores/jsonl/jsonl-experiment-tracker.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { ExitError } from './command.js';

/** Text written in order; `commit` makes it the output, `abort` removes every trace of it. */
export interface ExportOutput {
  write(s: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** A path with its symbolic links resolved, as far as it exists. */
function canonical(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync.native(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(canonical(parent), basename(abs));
  }
}

/** The file at `path`, or undefined where there is none (a missing folder, a file as a folder). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Whether two paths name one file, through symbolic or hard links. */
function sameFile(a: string, b: string): boolean {
  if (canonical(a) === canonical(b)) return true;
  const sa = statOf(a);
  const sb = statOf(b);
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

/** The files and folder the store behind `tracker` keeps its data in. */
export interface StorePlaces {
  files: string[];
  folder: string | null;
  /** A folder every file of which is the store's (a JSON Lines store): nothing is written in it. */
  ownFolder?: string;
}

/** Where the store behind `tracker` keeps its data (nothing local for PostgreSQL). */
export async function storePlaces(tracker: BaseExperimentTracker): Promise<StorePlaces> {
  if (tracker instanceof CSVExperimentTracker) {
    const dir = tracker.outputDir;
    return {
      files: [
        tracker.experimentResultsFile,
        tracker.leaderboardFile,
        join(dir, '.evaltrack.lock'),
        join(dir, '.evaltrack-state.json'),
      ],
      folder: dir,
    };
  }
  if (tracker instanceof JsonlExperimentTracker) {
    return { files: [], folder: tracker.outputDir, ownFolder: tracker.outputDir };
  }
  // Already loaded when the tracker is a SQLite one; loading it does not load the driver.
  const { SqliteExperimentTracker } = await import('../stores/sqlite/sqlite-experiment-tracker.js');
  if (tracker instanceof SqliteExperimentTracker) {
    const db = tracker.file;
    return { files: ['', '-wal', '-shm', '-journal'].map((s) => db + s), folder: null };
  }
  return { files: [], folder: null };
}

const REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'larger than the file size limit allows',
  EISDIR: 'it is a folder',
};

/** A failed write, as one line naming the target rather than a temporary file. */
function cannotWrite(out: string, e: unknown): ExitError {
  if (e instanceof ExitError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const reason = (code && REASONS[code]) ?? (e as Error).message;
  return new ExitError(1, `cannot write ${out}: ${reason}${code ? ` (${code})` : ''}`);
}

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

const tempName = (target: string): string =>
  join(
    dirname(target),
    `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.evaltrack-tmp`,
  );

/** Collects small writes into large ones. */
function buffered(sink: (chunk: string) => Promise<void>) {
  let parts: string[] = [];
  let size = 0;
  const flush = async (): Promise<void> => {
    if (size === 0) return;
    const chunk = parts.join('');
    parts = [];
    size = 0;
    await sink(chunk);
  };
  return {
    async write(s: string): Promise<void> {
      parts.push(s);
      size += s.length;
      if (size >= 256 * 1024) await flush();
    },
    flush,
  };
}

/** Standard output, waiting for it to drain when it asks to. */
export function stdoutOutput(stdout: { write(s: string): unknown }): ExportOutput {
  const stream = stdout as { write(s: string): unknown; once?: (e: string, f: () => void) => void };
  const out = buffered((chunk) =>
    stream.write(chunk) === false && typeof stream.once === 'function'
      ? new Promise((r) => stream.once?.('drain', r))
      : Promise.resolve(),
  );
  return { write: (s) => out.write(s), commit: () => out.flush(), abort: async () => {} };
}

/**
 * A file output at `out`. Refused with exit code 2, before anything is written: one of the
 * store's own files (even with `force`), a folder, an existing file without `force`.
 */
export async function fileOutput(
  out: string,
  format: string,
  force: boolean,
  store: StorePlaces,
): Promise<ExportOutput> {
  const target = canonical(out);
  if (
    store.files.some((f) => sameFile(f, target)) ||
    (store.ownFolder !== undefined && sameFile(store.ownFolder, dirname(target)))
  ) {
    throw new ExitError(
      2,
      `${out} is a file of the store being exported; export never writes there, even with --force`,
    );
  }
  const existing = statOf(target);
  if (existing?.isDirectory()) {
    throw new ExitError(2, `${out} is a folder; --format ${format} writes a file`);
  }
  if (existing && !force) throw new ExitError(2, `${out} exists; --force replaces it`);
  const temp = tempName(target);
  let handle: FileHandle;
  try {
    handle = await open(temp, 'wx', existing ? existing.mode & 0o777 : 0o666);
  } catch (e) {
    throw cannotWrite(out, e);
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (!closed) {
      closed = true;
      await handle.close();
    }
  };
  const file = buffered((chunk) => handle.writeFile(chunk));
  const fail = async (e: unknown): Promise<never> => {
    await close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw cannotWrite(out, e);
  };
  return {
    write: (s) => file.write(s).catch(fail),
    async commit() {
      try {
        await file.flush();
        await handle.sync();
        await close();
        if (force) {
          await rename(temp, target);
        } else {
          // link() refuses a name that appeared meanwhile, where rename() would replace it.
          try {
            await link(temp, target);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'EEXIST') throw new ExitError(2, `${out} exists; --force replaces it`);
            // A file system without hard links: the name was free a moment ago.
            if (!NO_LINKS.has(code ?? '') || statOf(target)) throw e;
            await rename(temp, target);
          }
          await unlink(temp).catch(() => {});
        }
      } catch (e) {
        await fail(e);
      }
    },
    async abort() {
      await close().catch(() => {});
      await unlink(temp).catch(() => {});
    },
  };
}

/**
 * A folder output for `--format gllm-csv`: the folder to write into, and how to finish. A new or
 * empty folder is written under a temporary name and renamed; a folder with something in it is
 * refused with exit code 2 unless `force`, which adds the results to the store in it (results it
 * already has are kept, never doubled). The store's own folder is refused even with `force`.
 */
export async function folderOutput(
  out: string,
  force: boolean,
  store: StorePlaces,
): Promise<{ dir: string; commit(): Promise<void>; abort(): Promise<void> }> {
  const target = canonical(out);
  if (store.folder !== null && sameFile(store.folder, target)) {
    throw new ExitError(
      2,
      `${out} is the folder of the store being exported; export never writes there, even with --force`,
    );
  }
  const existing = statOf(target);
  if (existing && !existing.isDirectory()) {
    throw new ExitError(2, `${out} is a file; --format gllm-csv writes a folder`);
  }
  if (existing && (await readdir(target)).length > 0) {
    if (!force) {
      throw new ExitError(
        2,
        `${out} is not empty; --force adds the results to the store in it (none is doubled)`,
      );
    }
    return { dir: target, commit: async () => {}, abort: async () => {} };
  }
  const temp = tempName(target);
  try {
    await mkdir(temp);
  } catch (e) {
    throw cannotWrite(out, e);
  }
  const abort = (): Promise<void> => rm(temp, { recursive: true, force: true });
  return {
    dir: temp,
    async commit() {
      try {
        // Over an empty folder, rename() replaces it; one filled meanwhile makes it fail.
        await rename(temp, target);
      } catch (e) {
        await abort();
        throw cannotWrite(out, e);
      }
    },
    abort,
  };
}
