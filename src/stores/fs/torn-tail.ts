/**
 * Telling a file whose last record was cut short (a writer killed mid-write) from one whose last
 * record is still landing. Records end with a line feed; nothing else about them is assumed.
 */
import { fstatSync, readSync } from 'node:fs';
import { sleep } from './file-lock.js';

const LF = 0x0a;

/**
 * Whether a file ends in the middle of a record that is not being written: a large write of
 * another process may be landing, so a growing file is watched until it stops growing.
 */
export function endsTorn(fd: number): boolean {
  const last = Buffer.alloc(1);
  let size = -1;
  for (let tries = 0; tries < 50; tries++) {
    const now = fstatSync(fd).size;
    if (now === 0) return false;
    readSync(fd, last, 0, 1, now - 1);
    if (last[0] === LF) return false;
    if (now === size) return true;
    size = now;
    sleep(20);
  }
  return true;
}

/**
 * Whether the rows just written follow a record cut short (no line feed before them). Others may
 * have appended after them before the file's size was read, so they are looked for in the file's
 * tail, in a window that widens up to 4 MiB past them.
 */
export function gluedToTornRecord(fd: number, size: number, rows: Buffer): boolean {
  for (let margin = 64 * 1024; margin <= 4 * 1024 * 1024; margin *= 4) {
    const from = Math.max(0, size - rows.length - margin - 1);
    const tail = Buffer.allocUnsafe(size - from);
    const n = readSync(fd, tail, 0, tail.length, from);
    const at = tail.subarray(0, n).lastIndexOf(rows);
    if (at > 0) return tail[at - 1] !== LF;
    if (at === 0) {
      if (from === 0) return false;
      const before = Buffer.alloc(1);
      readSync(fd, before, 0, 1, from - 1);
      return before[0] !== LF;
    }
    if (from === 0) return false;
  }
  return false;
}
