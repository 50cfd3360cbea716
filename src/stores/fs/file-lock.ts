/**
 * A lock file shared by every process that writes one folder, held only for rare events (a header
 * extension, a repair, a leaderboard refresh), never per appended row. `open(O_EXCL)` creates it
 * atomically; a lock whose process is gone (killed while holding it) is taken over.
 */
import {
  closeSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';
import { LockTimeoutError, StoreIoError } from '../../errors.js';
import { errnoOf } from './errno.js';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` (the critical sections are synchronous, so must the waits be). */
export const sleep = (ms: number): void => {
  Atomics.wait(sleeper, 0, 0, ms);
};

function readLock(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw e;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

/** Whether a lock with this content belongs to a process that no longer runs on this host. */
/**
 * When this process started, as the kernel counts it (Linux), shared by all its threads: a lock
 * with our pid but another start time was left by an earlier process that had the same pid (a
 * container restarted, say). `undefined` where it cannot be read.
 */
const processStart = ((): string | undefined => {
  try {
    // Field 22 of /proc/self/stat, counted after the command name, which may hold spaces.
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
})();

function isStale(path: string, content: string): boolean {
  const match = /^(\d+)@(\S+) (\S+) /.exec(content);
  if (!match) {
    // Created but not yet written, or written by a crashed process: stale after a grace period.
    try {
      return Date.now() - statSync(path).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  if (match[2] !== hostname()) return false;
  const pid = Number(match[1]);
  // Our own pid: another thread of this process holds it (worker threads), unless it was
  // written by an earlier process with the same pid.
  if (pid === process.pid) return processStart !== undefined && match[3] !== processStart;
  return !isAlive(pid);
}

/**
 * Removes a stale lock. One process at a time does it, holding a marker file of its own, so that
 * two processes that saw the same stale lock cannot remove a live one that replaced it: while the
 * stale file exists, nobody else can create the lock.
 */
function takeOver(path: string, staleContent: string): void {
  const marker = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(marker, 'wx');
  } catch (e) {
    if (errnoOf(e) !== 'EEXIST') throw e;
    // Another process is at it; a marker this old was left by one that died doing it.
    try {
      if (Date.now() - statSync(marker).mtimeMs > 10_000) unlinkSync(marker);
    } catch {
      // Gone already.
    }
    return;
  }
  closeSync(fd);
  try {
    if (readLock(path) === staleContent) unlinkSync(path);
  } finally {
    unlinkSync(marker);
  }
}

/** Runs `fn` while holding the lock file at `path`. */
export function withFileLock<T>(path: string, fn: () => T, timeoutMs = 60_000): T {
  const token = `${process.pid}@${hostname()} ${processStart ?? '-'} ${threadId} ${Date.now()} ${Math.random().toString(36).slice(2)}\n`;
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') throw new StoreIoError(`cannot create the lock file ${path}`, e);
      const content = readLock(path);
      if (content !== undefined && isStale(path, content)) {
        takeOver(path, content);
        continue;
      }
      if (Date.now() > deadline) {
        throw new LockTimeoutError(path, timeoutMs, content?.split(' ')[0] ?? 'unknown');
      }
      sleep(wait);
      wait = Math.min(wait * 2, 25);
      continue;
    }
    try {
      writeSync(fd, token);
    } catch (e) {
      // A full disk: an empty lock file left here would keep every writer out until it counts
      // as stale, so it goes, and the caller sees why.
      closeSync(fd);
      rmSync(path, { force: true });
      throw new StoreIoError(`cannot write the lock file ${path}`, e);
    }
    closeSync(fd);
    break;
  }
  try {
    return fn();
  } finally {
    if (readLock(path) === token) unlinkSync(path);
  }
}
