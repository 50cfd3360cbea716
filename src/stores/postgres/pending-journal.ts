/**
 * The PostgreSQL store's local journal: what `log()` queued survives the process. Every queued
 * batch and run change is appended, synchronously and before `log()` returns, as one JSON line to
 * a file of this tracker's own in a local folder (one folder per database and schema). The file
 * is emptied when everything queued is committed, and deleted at a clean `close()`.
 *
 * A file's name says who owns it: host, pid and the pid's start time. A file whose process is gone
 * (exited with results queued, crashed, killed) or that `close()` released is adopted by the next
 * tracker that uses the same database: it renames the file to a name of its own (one rename, so
 * exactly one tracker adopts it), queues its contents and removes the file once they are
 * committed. Replaying something already committed changes nothing: results are inserted by id
 * (`ON CONFLICT DO NOTHING`), run changes are applied once by id. A damaged line (a line torn by
 * `kill -9`) is set aside to a `damaged+…` file and reported, never dropped; a batch the database
 * refused for good goes to a `refused+…` file, for `evaltrack pending` to show.
 */
import { createHash, randomUUID } from 'node:crypto';
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
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { StoreIoError } from '../../errors.js';
import type { RunPatch } from '../../tracker/result-store.js';
import type { ResultRow } from '../sql/sql-rows.js';

/** One queued write: a batch of results (ranked by `key`), or a run change applied once by `id`. */
export type JournalOp =
  | { kind: 'append'; key: string; rows: ResultRow[] }
  | { kind: 'patch'; id: string; runId: string; patch: RunPatch };

/** Receives damage reports (message, code); the tracker's `onWarning`. */
export type JournalWarning = (message: string, code: string) => void;

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

const HOST = encodeURIComponent(hostname());
/** This process's start time: a file with our pid and another start time is an earlier process's. */
const START = procStat('self')?.start ?? 'x';
const NAME = /^([^+]+)\+(\d+)\+([^+]+)\+([^+]+)\.jsonl$/;

/** Whether the process that owns a journal of this host is gone (or released the file). */
function ownerGone(pid: number, start: string): boolean {
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
 * The folder for journals: `journalDir`, else `EVALTRACK_JOURNAL_DIR`, else the user's state folder
 * (`$XDG_STATE_HOME/evaltrack/pending`, by default `~/.local/state/evaltrack/pending`).
 */
export function resolveJournalDir(journalDir: string | undefined): string {
  if (journalDir !== undefined) return journalDir;
  const env = process.env['EVALTRACK_JOURNAL_DIR'];
  if (env) return env;
  const state = process.env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state');
  return join(state, 'evaltrack', 'pending');
}

/**
 * Which database a store writes, without its password: `user@host:port/database#schema`, read as
 * node-postgres does (the URL, else the `PG*` variables, else its defaults).
 */
export function describeTarget(connectionString: string | undefined, schema: string): string {
  const env = process.env;
  let user = env['PGUSER'] || safeUser();
  let host = env['PGHOST'] || 'localhost';
  let port = env['PGPORT'] || '5432';
  let database = env['PGDATABASE'] || '';
  if (connectionString !== undefined) {
    try {
      const url = new URL(connectionString);
      user = decodeURIComponent(url.username) || user;
      host = url.searchParams.get('host') || decodeURIComponent(url.hostname) || host;
      port = url.port || '5432';
      database = decodeURIComponent(url.pathname.slice(1)) || database;
    } catch {
      // Not a URL node-postgres would take either: name the folder after the text itself.
      return `${connectionString.replace(/:[^:@/]*@/, ':@')}#${schema}`;
    }
  }
  return `${user}@${host}:${port}/${database || user}#${schema}`;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** The folder of one database and schema inside the journal folder: readable, and unique. */
export function targetFolder(dir: string, target: string): string {
  const readable = target
    .replace(/^.*\//, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .slice(0, 60);
  const digest = createHash('sha256').update(target).digest('hex').slice(0, 12);
  return join(dir, `${readable}-${digest}`);
}

/** One line: a whole op, or a part of a large batch (`batch` id, `part` of `parts`). */
interface JournalRecord {
  op: JournalOp;
  batch?: { id: string; part: number; parts: number };
}

function parseRecord(line: string): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v['v'] !== 1) return undefined;
  if (v['kind'] === 'append' && typeof v['key'] === 'string' && Array.isArray(v['rows'])) {
    const rows = v['rows'] as unknown[];
    const ok = rows.every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        typeof (r as Record<string, unknown>)['result_id'] === 'string' &&
        typeof (r as Record<string, unknown>)['run_id'] === 'string',
    );
    if (!ok) return undefined;
    const op: JournalOp = { kind: 'append', key: v['key'], rows: rows as ResultRow[] };
    const b = v['batch'];
    if (b === undefined) return { op };
    if (typeof b !== 'object' || b === null) return undefined;
    const { id, part, parts } = b as Record<string, unknown>;
    if (typeof id !== 'string' || !Number.isInteger(part) || !Number.isInteger(parts)) {
      return undefined;
    }
    return { op, batch: { id, part: part as number, parts: parts as number } };
  }
  if (
    v['kind'] === 'patch' &&
    typeof v['id'] === 'string' &&
    typeof v['runId'] === 'string' &&
    typeof v['patch'] === 'object' &&
    v['patch'] !== null
  ) {
    return { op: { kind: 'patch', id: v['id'], runId: v['runId'], patch: v['patch'] as RunPatch } };
  }
  return undefined;
}

/** Results per line at most: a line is one string, and V8 caps a string at about 512 MB. */
const PART_ROWS = 1000;

/**
 * The lines of `op`: one, or for a large batch one per {@link PART_ROWS} results, marked as parts
 * of it, so that a replay stores the batch whole or not at all, as `logBatch` does.
 */
function linesOf(op: JournalOp): Buffer[] {
  if (op.kind === 'patch' || op.rows.length <= PART_ROWS) {
    return [Buffer.from(`${JSON.stringify({ v: 1, ...op })}\n`)];
  }
  const id = randomUUID();
  const parts = Math.ceil(op.rows.length / PART_ROWS);
  return Array.from({ length: parts }, (_, part) =>
    Buffer.from(
      `${JSON.stringify({
        v: 1,
        kind: 'append',
        key: op.key,
        rows: op.rows.slice(part * PART_ROWS, (part + 1) * PART_ROWS),
        batch: { id, part, parts },
      })}\n`,
    ),
  );
}

/**
 * Reads a journal file: its ops, the lines that replay them (`good`), and the bytes that do not
 * (`bad`: unreadable lines, the parts of a batch whose other parts are missing, a torn tail).
 */
function readJournal(bytes: Buffer): { ops: JournalOp[]; good: Buffer[]; bad: Buffer[] } {
  const ops: JournalOp[] = [];
  const lines: { bytes: Buffer; batch?: string }[] = [];
  const bad: Buffer[] = [];
  let open: { id: string; parts: number; rows: ResultRow[]; key: string; next: number } | null =
    null;
  const dropOpen = (): void => {
    if (!open) return;
    const id = open.id;
    for (const line of lines.filter((l) => l.batch === id)) bad.push(line.bytes);
    lines.splice(0, lines.length, ...lines.filter((l) => l.batch !== id));
    open = null;
  };
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    if (end === -1) break;
    const line = bytes.subarray(start, end + 1);
    start = end + 1;
    if (line.length === 1) continue;
    const record = parseRecord(line.toString('utf8', 0, line.length - 1));
    if (!record) {
      bad.push(line);
      continue;
    }
    const { op, batch } = record;
    if (!batch) {
      dropOpen();
      ops.push(op);
      lines.push({ bytes: line });
      continue;
    }
    // Parts of one batch are written one after the other by one process.
    if (open && (open.id !== batch.id || open.next !== batch.part)) dropOpen();
    if (!open) {
      if (batch.part !== 0 || op.kind !== 'append') {
        bad.push(line);
        continue;
      }
      open = { id: batch.id, parts: batch.parts, rows: [], key: op.key, next: 0 };
    }
    if (op.kind === 'append') open.rows.push(...op.rows);
    open.next++;
    lines.push({ bytes: line, batch: batch.id });
    if (open.next === open.parts) {
      ops.push({ kind: 'append', key: open.key, rows: open.rows });
      open = null;
    }
  }
  dropOpen();
  // A last line without its newline was cut short while being written: even if it parses, the
  // write that made it did not finish, so it is set aside too (and reported).
  if (start < bytes.length) bad.push(bytes.subarray(start));
  return { ops, good: lines.map((l) => l.bytes), bad };
}

/** One tracker's journal: its own file, and the files it adopted. */
export class PendingJournal {
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
    const file = join(this.folder, `${HOST}+${process.pid}+${START}+${randomUUID()}.jsonl`);
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
    let names: string[];
    try {
      names = readdirSync(this.folder);
    } catch (e) {
      if (errno(e) === 'ENOENT') return { ops: [], files: 0 };
      // Reading the database is still right; what the folder may hold waits, reported.
      this.#warn(
        `could not read the journal folder ${this.folder} (${(e as Error).message}): results other processes left there are not stored until it can be read`,
        'EVALTRACK_JOURNAL',
      );
      return { ops: [], files: 0 };
    }
    const ops: JournalOp[] = [];
    let files = 0;
    for (const name of names.sort()) {
      const m = NAME.exec(name);
      if (!m) continue;
      const [, host, pid, start] = m as unknown as [string, string, string, string];
      if (host === 'refused' || host === 'damaged') continue;
      if (host !== HOST && !options.anyHost) continue;
      if (host === HOST && !ownerGone(Number(pid), start)) continue;
      const from = join(this.folder, name);
      const to = join(this.folder, `${HOST}+${process.pid}+${START}+${randomUUID()}.jsonl`);
      try {
        renameSync(from, to);
      } catch (e) {
        if (errno(e) === 'ENOENT') continue; // another tracker adopted it first
        this.#warn(
          `could not take over the journal ${from} (${(e as Error).message}): its results are not stored until it can be`,
          'EVALTRACK_JOURNAL',
        );
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = readFileSync(to);
      } catch (e) {
        throw new StoreIoError(`could not read the journal ${to}`, e);
      }
      const read = readJournal(bytes);
      if (read.bad.length > 0) {
        const aside = join(this.folder, `damaged+${Date.now()}+x+${randomUUID()}.jsonl`);
        try {
          writeFileSync(aside, Buffer.concat(read.bad));
          // What stays is only what replays: a second adoption must not set the damage aside again.
          const tmp = `${to}.tmp`;
          writeFileSync(tmp, Buffer.concat(read.good));
          renameSync(tmp, to);
        } catch (e) {
          throw new StoreIoError(`could not set aside the damaged lines of ${to}`, e);
        }
        this.#warn(
          `${read.bad.length} damaged line(s) of the PostgreSQL journal ${name} (a write cut short, e.g. by kill -9) were set aside to ${aside}; the ${read.ops.length} whole record(s) are replayed`,
          'EVALTRACK_TORN_RECORD',
        );
      }
      this.#adopted.push(to);
      files++;
      ops.push(...read.ops);
    }
    return { ops, files };
  }

  /** Keeps a batch the database refused for good where `evaltrack pending` shows it. */
  setAsideRefused(op: JournalOp, cause: unknown): void {
    const file = join(this.folder, `refused+${Date.now()}+x+${randomUUID()}.jsonl`);
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
        if (pending || this.#keep)
          renameSync(file, join(this.folder, `${HOST}+0+x+${randomUUID()}.jsonl`));
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
      const m = NAME.exec(name);
      if (!m) continue;
      const [, host, pidText, start] = m as unknown as [string, string, string, string];
      const file = join(this.folder, name);
      const pid = Number(pidText);
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
