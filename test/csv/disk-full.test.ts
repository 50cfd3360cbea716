import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { gllmResult } from 'evaltrack/testing';
import { readWithPython } from '../helpers/python.js';
import { fill, runsTmpfsTests, tmpfs, tmpfsUnavailable, unfill } from '../helpers/tmpfs.js';

// Rows of about 3.4 KB each, so that a 64 KiB disk fills in the middle of a batch.
const TEXT = 'x'.repeat(3000);
const sample = (id: string) => ({ id, input: TEXT });
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const FILES = ['.evaltrack-state.json', 'experiment_results.csv', 'leaderboard.csv'];

async function storedIds(dir: string, runId: string): Promise<unknown[]> {
  const t = new CSVExperimentTracker('check', { outputDir: dir });
  const records = await t.getRunResults(runId);
  const history = await t.getExperimentHistory();
  await t.close();
  expect(history.find((r) => r.runId === runId)?.totalData).toBe(records.length);
  return records.map((r) => r.data['id']);
}

const pythonIds = (dir: string) =>
  readWithPython(dir).rows.map((r) => (r['data'] as { id: string }).id);

describe.skipIf(!runsTmpfsTests)(
  `a full disk (a real tmpfs)${tmpfsUnavailable ? `: skipped, ${tmpfsUnavailable}` : ''}`,
  () => {
    it('a logBatch cut short stores none of its results; once space is back a retry stores each once', async () => {
      using disk = tmpfs(64 * 1024);
      const t = new CSVExperimentTracker('p', { outputDir: disk.path, lockTimeoutMs: 3_600_000 });
      const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [sample('a')]);
      // Room for two of the four rows: the write stops in the middle of the third.
      fill(disk.path, 8192);
      const batch = ids('s', 4);
      const results = batch.map((_, i) => gllmResult(i % 2, 1, 0));
      await expect(t.logBatch(results, 'd', batch.map(sample), { runId })).rejects.toMatchObject({
        code: 'E_STORE_IO',
        cause: { code: 'ENOSPC' },
      });
      // Nothing of the failed call is visible, to us, to another process, or to Python.
      expect(await storedIds(disk.path, runId)).toEqual(['a']);
      expect(pythonIds(disk.path)).toEqual(['a']);
      expect(readdirSync(disk.path).sort()).toEqual([...FILES, 'filler'].sort());

      unfill(disk.path);
      await expect(t.logBatch(results, 'd', batch.map(sample), { runId })).resolves.toBe(runId);
      await t.close();
      expect(await storedIds(disk.path, runId)).toEqual(['a', ...batch]);
      expect(pythonIds(disk.path)).toEqual(['a', ...batch]);
      // Nothing left to repair or set aside, no lock, no temporary file.
      expect(readdirSync(disk.path).sort()).toEqual(FILES);
    });

    it('a disk with no byte free leaves no lock file behind, and logging resumes once space is back', async () => {
      using disk = tmpfs(64 * 1024);
      const t = new CSVExperimentTracker('p', { outputDir: disk.path, lockTimeoutMs: 3_600_000 });
      const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [sample('a')]);
      await t.close();
      fill(disk.path, 0);
      // A new tracker takes the lock to open the file: its token cannot be written.
      const again = new CSVExperimentTracker('p', {
        outputDir: disk.path,
        lockTimeoutMs: 3_600_000,
      });
      expect(() => again.log(gllmResult(1, 1, 0), 'd', sample('b'), { runId })).toThrow(
        expect.objectContaining({ code: 'E_STORE_IO' }),
      );
      // An empty lock file left here would hold every writer off for its grace period.
      expect(readdirSync(disk.path).sort()).toEqual([...FILES, 'filler'].sort());
      unfill(disk.path);
      expect(again.log(gllmResult(1, 1, 0), 'd', sample('b'), { runId })).toBe(runId);
      await again.close();
      expect(await storedIds(disk.path, runId)).toEqual(['a', 'b']);
      expect(readdirSync(disk.path).sort()).toEqual(FILES);
    });

    it('a header rewrite that runs out of space removes its partial copy and changes nothing', async () => {
      using disk = tmpfs(64 * 1024);
      const t = new CSVExperimentTracker('p', { outputDir: disk.path, lockTimeoutMs: 3_600_000 });
      const first = ids('a', 6);
      const runId = await t.logBatch(
        first.map(() => gllmResult(1, 1, 0)),
        'd',
        first.map(sample),
      );
      // A new metric needs a new header: a copy of the whole file (about 20 KB) into 8 KB.
      fill(disk.path, 8192);
      expect(() =>
        t.log({ judge: { fresh: { score: 1 } } }, 'd', sample('new'), { runId }),
      ).toThrow(expect.objectContaining({ code: 'E_STORE_IO' }));
      expect(readdirSync(disk.path).sort()).toEqual([...FILES, 'filler'].sort());
      expect(await storedIds(disk.path, runId)).toEqual(first);
      unfill(disk.path);
      t.log({ judge: { fresh: { score: 1 } } }, 'd', sample('new'), { runId });
      await t.close();
      expect(await storedIds(disk.path, runId)).toEqual([...first, 'new']);
      expect(readdirSync(disk.path).sort()).toEqual(FILES);
    });

    it('a read-only folder: logContext() and close() reject with what was not stored', async () => {
      using disk = tmpfs(1024 * 1024);
      const t = new CSVExperimentTracker('p', { outputDir: disk.path });
      const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [sample('a')]);
      await t.close();
      disk.readOnly();
      const ro = new CSVExperimentTracker('p', { outputDir: disk.path });
      expect((await ro.getRunResults(runId)).map((r) => r.data['id'])).toEqual(['a']);
      await expect(ro.logContext({ prompt: 'v3' }, { runId })).rejects.toMatchObject({
        code: 'E_NOT_STORED',
        results: [],
        pendingRunChanges: 1,
      });
      const closing = ro.close();
      await expect(closing).rejects.toMatchObject({ code: 'E_NOT_STORED', pendingRunChanges: 1 });
      await expect(closing).rejects.toThrow(`run "${runId}": context (prompt)`);
    });
  },
);
