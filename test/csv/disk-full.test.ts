import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { gllmResult } from 'evaltrack/testing';
import { fill, runsTmpfsTests, tmpfs, tmpfsUnavailable, unfill } from '../helpers/tmpfs.js';

// What every store kept in a folder does on a full disk and in a read-only folder:
// test/conformance/disk-full.test.ts. Here, what only the CSV store has: its header rewrite.

// Rows of about 3.4 KB each: six make a file of about 20 KB, more than 8 KiB left free.
const TEXT = 'x'.repeat(3000);
const sample = (id: string) => ({ id, input: TEXT });
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const FILES = [
  '.evaltrack-index.jsonl',
  '.evaltrack-state.json',
  'experiment_results.csv',
  'leaderboard.csv',
];

async function storedIds(dir: string, runId: string): Promise<unknown[]> {
  const t = new CSVExperimentTracker('check', { outputDir: dir });
  const records = await t.getRunResults(runId);
  const history = await t.getExperimentHistory();
  await t.close();
  expect(history.find((r) => r.runId === runId)?.totalData).toBe(records.length);
  return records.map((r) => r.data['id']);
}

describe.skipIf(!runsTmpfsTests)(
  `csv: a full disk (a real tmpfs)${tmpfsUnavailable ? `: skipped, ${tmpfsUnavailable}` : ''}`,
  () => {
    it('a header rewrite that runs out of space removes its partial copy and changes nothing', async () => {
      // Room for the results, their copy, and the small files (lock, state, leaderboard, index).
      using disk = tmpfs(80 * 1024);
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
  },
);
