import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { tempDir } from '../helpers/temp-dir.js';

const CSV_MODULE = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../dist/csv.js');
const LOCK_MODULE = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../dist/stores/fs/file-lock.js',
);

/**
 * Runs `withFileLock` in a worker thread. Inside the lock it posts `in`, then holds the lock until
 * `release` (a shared flag) is set, when one is given; it reports a lock timeout by its code.
 */
function inWorker(
  lock: string,
  timeoutMs: number,
  release?: Int32Array,
  onIn?: () => void,
): Promise<string> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.module).then(({ withFileLock }) => {
      try {
        withFileLock(workerData.lock, () => {
          parentPort.postMessage('in');
          if (workerData.release) Atomics.wait(workerData.release, 0, 0);
        }, workerData.timeoutMs);
        parentPort.postMessage('done');
      } catch (e) { parentPort.postMessage(e.code); }
    });`;
  return new Promise((res, rej) => {
    const messages: string[] = [];
    const w = new Worker(code, {
      eval: true,
      workerData: { module: LOCK_MODULE, lock, timeoutMs, release },
    });
    w.on('message', (m: string) => {
      messages.push(m);
      if (m === 'in') onIn?.();
    });
    w.on('error', rej);
    w.on('exit', () => res(messages.join(',')));
  });
}

describe('the folder lock', () => {
  // No wall clock: the holder keeps the lock until the test lets it go.
  it('keeps out another thread of the same process', async () => {
    using dir = tempDir();
    const lock = join(dir.path, '.evaltrack.lock');
    const release = new Int32Array(new SharedArrayBuffer(4));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const holder = inWorker(lock, 1000, release, () => entered());
    await inside;
    expect(await inWorker(lock, 50)).toBe('E_LOCK_TIMEOUT');
    Atomics.store(release, 0, 1);
    Atomics.notify(release, 0);
    expect(await holder).toBe('in,done');
    expect(await inWorker(lock, 50)).toBe('in,done');
  });

  // No wall clock: lockTimeoutMs is an hour, so a tracker that waited for it instead of taking
  // the lock over would run into this test's timeout. The waits block their thread, so the
  // tracker runs in a process of its own, as a user's script does.
  it('takes over a lock left by a dead process without waiting for the lock timeout', async () => {
    using dir = tempDir();
    const lock = join(dir.path, '.evaltrack.lock');
    // A real process of this host that has exited: its pid is free (or a new process's, which
    // has another start time).
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    expect(dead).toBeGreaterThan(0);
    writeFileSync(lock, `${dead}@${hostname()} 1 0 ${Date.now()} killed\n`);
    const script = `
      const { CSVExperimentTracker } = await import(${JSON.stringify(pathToFileURL(CSV_MODULE).href)});
      const t = new CSVExperimentTracker('p', { outputDir: process.argv[1], lockTimeoutMs: 3_600_000 });
      // Each needs the lock: creating the file, saving the context, a new header.
      const runId = await t.logBatch([{ g: { score: 1 } }], 'd', [{ id: 1 }], { runId: 'r' });
      await t.logContext({ prompt: 'v3' }, { runId });
      t.log({ g: { fresh: { score: 1 } } }, 'd', { id: 2 }, { runId });
      await t.close();`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir.path], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
    expect(existsSync(lock)).toBe(false);
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    expect((await t.getExperimentHistory())[0]).toMatchObject({
      runId: 'r',
      totalData: 2,
      context: { prompt: 'v3' },
    });
    await t.close();
  }, 20_000);
});
