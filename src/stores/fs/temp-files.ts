/**
 * Temporary files beside the file they will replace: `<name>.tmp-<pid>-<random>`. They are made
 * only under the folder's lock, so one found by the lock's holder was left by a writer that died or
 * failed, and goes.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

const TEMP_INFIX = '.tmp-';

/** A name of this process's own for a temporary copy of `path`, in the same folder. */
export function tempPathFor(path: string): string {
  return `${path}${TEMP_INFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Removes from `dir` the temporary copies of `paths` (see {@link tempPathFor}) that writers left
 * behind. The caller holds the folder's lock, so none of them is still being written.
 */
export function removeDeadTempFiles(dir: string, paths: readonly string[]): void {
  const prefixes = paths.map((p) => `${basename(p)}${TEMP_INFIX}`);
  for (const name of readdirSync(dir)) {
    if (prefixes.some((t) => name.startsWith(t))) rmSync(join(dir, name), { force: true });
  }
}
