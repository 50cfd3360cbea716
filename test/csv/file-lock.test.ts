import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const LOCK_MODULE = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../dist/stores/csv/file-lock.js',
);

/** Runs `withFileLock` in a worker thread: holds the lock `holdMs`, or reports a timeout. */
function inWorker(lock: string, holdMs: number, timeoutMs: number): Promise<string> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.module).then(({ withFileLock, sleep }) => {
      try {
        withFileLock(workerData.lock, () => { parentPort.postMessage('in'); sleep(workerData.holdMs); }, workerData.timeoutMs);
        parentPort.postMessage('done');
      } catch (e) { parentPort.postMessage(e.code); }
    });`;
  return new Promise((res, rej) => {
    const messages: string[] = [];
    const w = new Worker(code, {
      eval: true,
      workerData: { module: LOCK_MODULE, lock, holdMs, timeoutMs },
    });
    w.on('message', (m: string) => messages.push(m));
    w.on('error', rej);
    w.on('exit', () => res(messages.join(',')));
  });
}

describe('the folder lock', () => {
  it('keeps out another thread of the same process', async () => {
    using dir = tempDir();
    const lock = join(dir.path, '.evaltrack.lock');
    const holder = inWorker(lock, 400, 1000);
    await new Promise((r) => setTimeout(r, 150));
    expect(await inWorker(lock, 0, 50)).toBe('E_LOCK_TIMEOUT');
    expect(await holder).toBe('in,done');
    expect(await inWorker(lock, 0, 50)).toBe('in,done');
  });
});
