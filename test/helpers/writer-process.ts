import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The script of a separate process that logs into a store (see log-writer.mjs). */
export const WRITER = fileURLToPath(new URL('./log-writer.mjs', import.meta.url));

/** Runs a node script to its end; rejects with its stderr when it fails. */
export function runScript(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`)),
    );
  });
}

/** Runs the writer (log-writer.mjs) to its end; rejects with its stderr when it fails. */
export const runWriter = (args: string[]): Promise<void> => runScript(WRITER, args);

/**
 * Runs the writer in a mode that reports what returned (`report`, `batches`), and kills it with
 * SIGKILL once it reported `lines` lines, after a random delay of up to `jitterMs` (a moment the
 * test does not choose). Resolves, once it is gone, with the numbers it reported.
 */
export async function killWriter(args: string[], lines: number, jitterMs = 0): Promise<number[]> {
  const child = spawn(process.execPath, [WRITER, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let out = '';
  let killing = false;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.split('\n').length > lines && !killing) {
      killing = true;
      setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * jitterMs));
    }
  });
  await exited;
  // Reported lines only: a line cut short by the kill is not.
  return out.split('\n').slice(0, -1).map(Number);
}
