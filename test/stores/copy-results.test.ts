import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyResults } from 'evaltrack';
import type { BaseExperimentTracker } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { gllmResult } from 'evaltrack/testing';
import { FIXTURE_RUN_ID, fixtureCopy, tempDir } from '../helpers/temp-dir.js';

async function snapshot(t: BaseExperimentTracker) {
  const history = await t.getExperimentHistory();
  const results = Object.fromEntries(
    await Promise.all(history.map(async (r) => [r.runId, await t.getRunResults(r.runId)] as const)),
  );
  return { history, results };
}

describe('copyResults', () => {
  it('copies the gllm-evals fixture into SQLite and back to CSV unchanged', async () => {
    using source = fixtureCopy();
    using dir = tempDir();
    const csv = new CSVExperimentTracker('default', { outputDir: source.path });
    const db = new SqliteExperimentTracker('default', { file: join(dir.path, 'db.sqlite') });
    const back = new CSVExperimentTracker('default', { outputDir: join(dir.path, 'back') });
    expect(await copyResults(csv, db)).toEqual({ runs: 1, imported: 3, skipped: 0 });
    expect(await copyResults(db, back)).toEqual({ runs: 1, imported: 3, skipped: 0 });
    const original = await snapshot(csv);
    expect(original.results[FIXTURE_RUN_ID]).toHaveLength(3);
    expect(await snapshot(db)).toEqual(original);
    expect(await snapshot(back)).toEqual(original);
    await Promise.all([csv.close(), db.close(), back.close()]);
    // Read again from the files, by fresh trackers.
    const reread = new CSVExperimentTracker('x', { outputDir: join(dir.path, 'back') });
    expect(await snapshot(reread)).toEqual(original);
    await reread.close();
  });

  it('gives every store the same values, field for field, for the same results', async () => {
    using dir = tempDir();
    // Text that looks typed in a value column: an explanation kept as a companion.
    const csv = new CSVExperimentTracker('p', {
      outputDir: join(dir.path, 'csv'),
      companionFields: ['success', 'explanation'],
    });
    const run = await csv.logBatch(
      [
        gllmResult(0.5, 1, 0),
        { judge: { score: 0.5, success: true, explanation: 'True', note: 'x' } },
      ],
      'd',
      [
        {
          id: 'a',
          input: 'naïve “quotes”, commas\r\nand 🎉 and a pair \ud83d\ude00',
          nested: { n: [1, -0.5, null] },
        },
        { id: 'b', input: '=HYPERLINK("x")', expected_output: '-1+2' },
      ],
      { metadata: { model_name: 'm', tags: ['x'] } },
    );
    await csv.logContext({ prompt: 'v2' }, { runId: run });
    const db = new SqliteExperimentTracker('p', { file: join(dir.path, 'db.sqlite') });
    await copyResults(csv, db);
    expect(await snapshot(db)).toEqual(await snapshot(csv));
    await Promise.all([csv.close(), db.close()]);
  });

  for (const kind of ['sqlite', 'csv'] as const) {
    it(`never duplicates in ${kind}: copying twice or overlapping sets, the leaderboard stays right`, async () => {
      using dir = tempDir();
      const csv = new CSVExperimentTracker('p', { outputDir: join(dir.path, 'source') });
      const a = await csv.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'a', [
        { id: 1 },
        { id: 2 },
      ]);
      const b = await csv.logBatch([gllmResult(1, 1, 0)], 'b', [{ id: 1 }]);
      const target =
        kind === 'sqlite'
          ? new SqliteExperimentTracker('p', { file: join(dir.path, 'db.sqlite') })
          : new CSVExperimentTracker('p', { outputDir: join(dir.path, 'target') });
      expect(await copyResults(csv, target, { runIds: [a] })).toEqual({
        runs: 1,
        imported: 2,
        skipped: 0,
      });
      expect(await copyResults(csv, target)).toEqual({ runs: 2, imported: 1, skipped: 2 });
      expect(await copyResults(csv, target)).toEqual({ runs: 2, imported: 0, skipped: 3 });
      // A result logged later in the source goes over on the next copy, alone.
      await csv.logBatch([gllmResult(1, 1, 0)], 'a', [{ id: 3 }], { runId: a });
      expect(await copyResults(csv, target, { runIds: [a, b] })).toEqual({
        runs: 2,
        imported: 1,
        skipped: 3,
      });
      expect(await snapshot(target)).toEqual(await snapshot(csv));
      expect(
        (await target.getExperimentHistory()).map((r) => [r.runId, r.totalData, r.averageScore]),
      ).toEqual([
        [a, 3, 2 / 3],
        [b, 1, 1],
      ]);
      await expect(copyResults(csv, target, { runIds: ['nope'] })).rejects.toMatchObject({
        code: 'E_INVALID_ARGUMENT',
      });
      await Promise.all([csv.close(), target.close()]);
    });
  }
});
