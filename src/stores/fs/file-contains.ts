/** Searching a whole file for some text, in bounded memory. */
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Whether the file at `path` holds `text` (as UTF-8), e.g. the id of a record that a failed or
 * replaced write may or may not have stored. Reads 4 MiB at a time, overlapping the chunks by the
 * needle's length so that no match is missed at a boundary.
 */
export function fileContains(path: string, text: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const needle = Buffer.from(text);
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    let pos = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return false;
      if (buf.subarray(0, n).includes(needle)) return true;
      if (n < needle.length) return false;
      pos += n - needle.length + 1;
    }
  } finally {
    closeSync(fd);
  }
}
