/** Replacing a whole file at once: a temporary copy renamed over it. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { tempPathFor } from './temp-files.js';

/** Writes a file so that readers see the old or the new content, never a mix. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, content, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (e) {
    // A full disk: a half-written copy left behind would only take more of the space.
    rmSync(tmp, { force: true });
    throw e;
  }
}
