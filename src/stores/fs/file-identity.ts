/**
 * Telling whether a file is still the one a store knows: a rewrite renames a new file over the old
 * path, and a new file can even reuse the old one's inode number.
 */
import { createHash } from 'node:crypto';
import { fstatSync, readSync, statSync } from 'node:fs';

/** What identifies a file on this machine while it exists. */
export interface FileId {
  dev: number;
  ino: number;
}

/** Whether two `stat` results (or saved ids) are of the same file. */
export const sameFile = (a: FileId, b: FileId): boolean => a.dev === b.dev && a.ino === b.ino;

/** Whether `fd` is the file now at `path` (nothing was renamed over it, nor was it removed). */
export function isAtPath(fd: number, path: string): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  return st !== undefined && sameFile(st, fstatSync(fd));
}

/**
 * A digest of a file's first bytes, up to `offset`: appends never change them, a new file in place
 * of the old one does.
 */
export function fingerprint(fd: number, offset: number): string {
  const buf = Buffer.alloc(Math.min(offset, 64 * 1024));
  const n = readSync(fd, buf, 0, buf.length, 0);
  return createHash('sha256').update(buf.subarray(0, n)).digest('hex').slice(0, 32);
}
