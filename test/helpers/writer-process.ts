import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The script of a separate process that logs into a store (see log-writer.mjs). */
export const WRITER = fileURLToPath(new URL('./log-writer.mjs', import.meta.url));

/** Runs the writer to its end; rejects with its stderr when it fails. */
export function runWriter(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`)),
    );
  });
}
