/**
 * A change marker of a store kept in files: what `stat` says of each file (size, modification
 * time, inode), so that an append, a rewrite renamed over the file, or a new file all change it,
 * and reading changes nothing. One `stat` per file: no file is opened.
 */
import { statSync } from 'node:fs';

/** The marker of `paths`, in their order; a missing file counts as `-`. */
export function filesMarker(paths: readonly string[]): string {
  return paths
    .map((path) => {
      const st = statSync(path, { bigint: true, throwIfNoEntry: false });
      return st ? `${st.ino}:${st.size}:${st.mtimeNs}` : '-';
    })
    .join('|');
}
