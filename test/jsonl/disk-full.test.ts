// A full disk under the JSON Lines store: a real tmpfs (see ../helpers/tmpfs.ts).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JsonlExperimentTracker } from 'evaltrack/jsonl';
import { gllmResult } from 'evaltrack/testing';
import { fill, runsTmpfsTests, tmpfs, tmpfsUnavailable, unfill } from '../helpers/tmpfs.js';

// Lines of about 3.4 KB each, so that a 64 KiB disk fills in the middle of a batch.
const TEXT = 'x'.repeat(3000);
const sample = (id: string) => ({ id, input: TEXT });
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const FILES = ['p.leaderboard.json', 'p.results.jsonl'];

async function storedIds(dir: string, runId: string): Promise<unknown[]> {
  const t = new JsonlExperimentTracker('check', { outputDir: dir });
  const records = await t.getRunResults(runId);
  const history = await t.getExperimentHistory();
  await t.close();
  expect(history.find((r) => r.runId === runId)?.totalData).toBe(records.length);
  return records.map((r) => r.data['id']);
}

describe.skipIf(!runsTmpfsTests)(
  `jsonl: a full disk (a real tmpfs)${tmpfsUnavailable ? `: skipped, ${tmpfsUnavailable}` : ''}`,
  () => {
    it('a logBatch cut short stores none of its results; once space is back a retry stores each once', async () => {
      using disk = tmpfs(64 * 1024);
      const t = new JsonlExperimentTracker('p', {
        outputDir: disk.path,
        lockTimeoutMs: 3_600_000,
      });
      const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [sample('a')]);
      // Room for two of the four lines: the write stops in the middle of the third.
      fill(disk.path, 8192);
      const batch = ids('s', 4);
      const results = batch.map((_, i) => gllmResult(i % 2, 1, 0));
      await expect(t.logBatch(results, 'd', batch.map(sample), { runId })).rejects.toMatchObject({
        code: 'E_STORE_IO',
        cause: { code: 'ENOSPC' },
      });
      // Nothing of the failed call is visible, to us or to another process.
      expect(await storedIds(disk.path, runId)).toEqual(['a']);
      expect((await t.getRunResults(runId)).map((r) => r.data['id'])).toEqual(['a']);
      expect(readdirSync(disk.path).sort()).toEqual([...FILES, 'filler'].sort());

      unfill(disk.path);
      await expect(t.logBatch(results, 'd', batch.map(sample), { runId })).resolves.toBe(runId);
      await t.close();
      expect(await storedIds(disk.path, runId)).toEqual(['a', ...batch]);
      // Nothing torn to set aside, no lock, no temporary file.
      expect(readdirSync(disk.path).sort()).toEqual(FILES);
    });

    it('a read-only folder: logContext() and close() reject with what was not stored', async () => {
      using disk = tmpfs(1024 * 1024);
      const t = new JsonlExperimentTracker('p', { outputDir: disk.path });
      const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [sample('a')]);
      await t.close();
      disk.readOnly();
      const ro = new JsonlExperimentTracker('p', { outputDir: disk.path });
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
