/**
 * Who owns a journal file, and the takeover of files whose owner is gone. A file's name says who
 * wrote it: host, pid and the pid's start time (`host+pid+start+uuid.jsonl`); pid 0 marks a file
 * that `close()` released, and `refused+…`/`damaged+…` files are set aside for people to read,
 * never replayed. A tracker takes over a file by renaming it to a name of its own: a rename is
 * atomic, so exactly one tracker gets each file.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StoreIoError } from '../../errors.js';
import { readJournal } from './journal-records.js';
import type { JournalOp } from './journal-records.js';

/** Receives damage reports (message, code); the tracker's `onWarning`. */
export type JournalWarning = (message: string, code: string) => void;

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** `pid`'s start time and whether it is a zombie, from /proc (Linux); undefined elsewhere. */
function procStat(pid: number | 'self'): { start: string; zombie: boolean } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { start: fields[19] ?? 'x', zombie: fields[0] === 'Z' };
  } catch {
    return undefined;
  }
}

/** This host, as file names spell it. */
export const HOST = encodeURIComponent(hostname());
/** This process's start time: a file with our pid and another start time is an earlier process's. */
const START = procStat('self')?.start ?? 'x';
const NAME = /^([^+]+)\+(\d+)\+([^+]+)\+([^+]+)\.jsonl$/;

/** A new file name of this process. */
export const ownFileName = (): string => `${HOST}+${process.pid}+${START}+${randomUUID()}.jsonl`;
/** A new file name that hands the file over to the next tracker (pid 0). */
export const releasedFileName = (): string => `${HOST}+0+x+${randomUUID()}.jsonl`;
/** A new name for lines set aside, which no tracker replays. */
export const setAsideFileName = (kind: 'refused' | 'damaged'): string =>
  `${kind}+${Date.now()}+x+${randomUUID()}.jsonl`;

/** What a journal file's name says: `host` is `refused` or `damaged` for set-aside files. */
export function parseFileName(
  name: string,
): { host: string; pid: number; start: string } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [, host, pid, start] = m as unknown as [string, string, string, string];
  return { host, pid: Number(pid), start };
}

/** Whether the process that owns a journal of this host is gone (or released the file). */
export function ownerGone(pid: number, start: string): boolean {
  if (pid === 0) return true;
  if (pid === process.pid) return START !== 'x' && start !== START;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if (errno(e) === 'ESRCH') return true;
  }
  const stat = procStat(pid);
  if (stat === undefined) return false;
  return stat.zombie || (start !== 'x' && stat.start !== start);
}

/**
 * Takes over the files of `folder` whose processes are gone (and released ones; with `anyHost`,
 * those of other host names too): renames each to a name of this process, adds its new path to
 * `taken` at once (so a later failure still finds it), and returns what the files hold, oldest
 * file first. Damaged lines are set aside to a `damaged+…` file and reported; the file keeps only
 * what replays.
 */
export function takeOverFiles(
  folder: string,
  options: { anyHost?: boolean },
  warn: JournalWarning,
  taken: string[],
): { ops: JournalOp[]; files: number } {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (e) {
    if (errno(e) === 'ENOENT') return { ops: [], files: 0 };
    // Reading the database is still right; what the folder may hold waits, reported.
    warn(
      `could not read the journal folder ${folder} (${(e as Error).message}): results other processes left there are not stored until it can be read`,
      'EVALTRACK_JOURNAL',
    );
    return { ops: [], files: 0 };
  }
  const ops: JournalOp[] = [];
  let files = 0;
  for (const name of names.sort()) {
    const owner = parseFileName(name);
    if (!owner) continue;
    const { host, pid, start } = owner;
    if (host === 'refused' || host === 'damaged') continue;
    if (host !== HOST && !options.anyHost) continue;
    if (host === HOST && !ownerGone(pid, start)) continue;
    const from = join(folder, name);
    const to = join(folder, ownFileName());
    try {
      renameSync(from, to);
    } catch (e) {
      if (errno(e) === 'ENOENT') continue; // another tracker adopted it first
      warn(
        `could not take over the journal ${from} (${(e as Error).message}): its results are not stored until it can be`,
        'EVALTRACK_JOURNAL',
      );
      continue;
    }
    let read: ReturnType<typeof readJournal>;
    try {
      read = adopt(folder, name, to, warn);
    } catch (e) {
      // Handed back under a released name for the next tracker, and the files already taken
      // are still replayed: one file that cannot be read must not cost the others.
      try {
        renameSync(to, join(folder, releasedFileName()));
      } catch {
        // Still under this process's name: adopted once this process is gone.
      }
      warn(
        `could not read the journal ${from} (${(e as Error).message}): its results are not stored until it can be; the other journals are`,
        'EVALTRACK_JOURNAL',
      );
      continue;
    }
    taken.push(to);
    files++;
    ops.push(...read.ops);
  }
  return { ops, files };
}

/** Reads a taken journal, setting its damaged lines aside (so a second adoption finds none). */
function adopt(
  folder: string,
  name: string,
  file: string,
  warn: JournalWarning,
): ReturnType<typeof readJournal> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new StoreIoError(`could not read the journal ${file}`, e);
  }
  const read = readJournal(bytes);
  if (read.bad.length > 0) {
    const aside = join(folder, setAsideFileName('damaged'));
    try {
      writeFileSync(aside, Buffer.concat(read.bad));
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, Buffer.concat(read.good));
      renameSync(tmp, file);
    } catch (e) {
      throw new StoreIoError(`could not set aside the damaged lines of ${file}`, e);
    }
    warn(
      `${read.bad.length} damaged line(s) of the PostgreSQL journal ${name} (a write cut short, e.g. by kill -9) were set aside to ${aside}; the ${read.ops.length} whole record(s) are replayed`,
      'EVALTRACK_TORN_RECORD',
    );
  }
  return read;
}
