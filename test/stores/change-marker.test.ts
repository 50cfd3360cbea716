// The change marker every store gives (what the dashboard polls while a page is open): it changes
// when another tracker or another process stores results or run context, and when the tracker
// itself does, and it stays the same through reads and while nothing is written.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testStores } from '../helpers/test-stores.js';

const LIVE_WRITER = fileURLToPath(new URL('../helpers/live-writer.mjs', import.meta.url));

/** Logs `n` results into `runId` from a separate node process (live-writer.mjs), to its end. */
function logFromProcess(address: string, runId: string, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LIVE_WRITER, address, runId], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
    child.stdin.end(`${n}\n`);
  });
}

const result = (score: number) => ({ ev: { score, success: score >= 0.5 } });

for (const store of testStores()) {
  describe.skipIf(store.skip !== null)(
    `${store.kind}: changeMarker()${store.skip ? `: ${store.skip}` : ''}`,
    () => {
      it('changes on every write by another process, tracker or itself, and only then', async () => {
        const location = store.newLocation();
        const viewer = store.open(location, 'viewer');
        const writer = store.open(location, 'writer');
        try {
          const empty = await viewer.changeMarker();
          expect(typeof empty).toBe('string');
          expect(await viewer.changeMarker()).toBe(empty);

          // Another tracker of this process (another connection, another appender).
          writer.log(result(1), 'ds', { id: 'a' }, { runId: 'run-1' });
          await writer.flush();
          const afterLog = await viewer.changeMarker();
          expect(afterLog).not.toBe(empty);

          // Reads change nothing, nor does time passing.
          expect((await viewer.getExperimentHistory()).map((r) => [r.runId, r.totalData])).toEqual([
            ['run-1', 1],
          ]);
          expect(await viewer.getRunResults('run-1')).toHaveLength(1);
          await viewer.getRun('run-1');
          await new Promise((resolve) => setTimeout(resolve, 50));
          expect(await viewer.changeMarker()).toBe(afterLog);

          // Another process.
          expect(await logFromProcess(store.address(location), 'run-2', 2)).toBe('stored 2\n');
          const afterProcess = await viewer.changeMarker();
          expect(afterProcess).not.toBe(afterLog);
          expect(await viewer.changeMarker()).toBe(afterProcess);
          expect((await viewer.getRun('run-2'))?.totalData).toBe(2);
          expect(await viewer.changeMarker()).toBe(afterProcess);

          // Run context only (no result).
          await writer.logContext({ prompt: 'v2' }, { runId: 'run-1' });
          const afterContext = await viewer.changeMarker();
          expect(afterContext).not.toBe(afterProcess);
          expect((await viewer.getRun('run-1'))?.context).toEqual({ prompt: 'v2' });
          expect(await viewer.changeMarker()).toBe(afterContext);

          // The viewer's own write.
          viewer.log(result(0), 'ds', { id: 'b' }, { runId: 'run-1' });
          await viewer.flush();
          const afterOwn = await viewer.changeMarker();
          expect(afterOwn).not.toBe(afterContext);
          expect(await viewer.changeMarker()).toBe(afterOwn);
        } finally {
          await writer.close();
          await viewer.close();
        }
      });
    },
  );
}
