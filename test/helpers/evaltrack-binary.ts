import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** The built `evaltrack` binary, where package.json's `bin` says it is. */
export const BIN = join(
  ROOT,
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { evaltrack: string } })
    .bin.evaltrack,
);

/** Runs the built binary as a user does, without colours: its exit code and output. */
export function evaltrack(...args: string[]): {
  code: number | null;
  stdout: string;
  stderr: string;
} {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
