import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The gllm-evals files written by Python, kept byte for byte (read-only; copy before writing). */
export const FIXTURE_DIR = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../fixtures/gllm-evals-cookbook',
);
export const FIXTURE_RUN_ID = 'default_dataset_20260511T043742Z_d83486d0';

/** A fresh temporary folder, removed on dispose. */
export function tempDir(prefix = 'evaltrack-'): { path: string } & Disposable {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

/** A temporary copy of the gllm-evals fixture folder. */
export function fixtureCopy(): { path: string } & Disposable {
  const dir = tempDir('evaltrack-fixture-');
  cpSync(FIXTURE_DIR, dir.path, { recursive: true });
  return dir;
}

/** Every file of a folder with its bytes, to prove that a failed call wrote nothing. */
export function folderBytes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) out[name] = readFileSync(join(dir, name), 'latin1');
  return out;
}
