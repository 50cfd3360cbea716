import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyResults } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { tempDir } from '../helpers/temp-dir.js';

describe('the column a run is ranked by', () => {
  it('is the first match in the result’s own order, in every store and through copies', async () => {
    using dir = tempDir();
    const csv = new CSVExperimentTracker('p', { outputDir: join(dir.path, 'csv') });
    const db = new SqliteExperimentTracker('p', { file: join(dir.path, 'db.sqlite') });
    for (const t of [csv, db]) {
      // r1 puts judge.aggregate_success first in the CSV header; r2's own first match is rag's.
      await t.logBatch([{ judge: { aggregate_success: false } }], 'd', [{ id: 1 }], {
        runId: 'r1',
      });
      await t.logBatch(
        [{ rag: { aggregate_success: true }, judge: { aggregate_success: false } }],
        'd',
        [{ id: 1 }],
        { runId: 'r2' },
      );
    }
    const ranked = async (t: CSVExperimentTracker | SqliteExperimentTracker) =>
      (await t.getExperimentHistory()).map((r) => [r.runId, r.scoreColumn, r.averageScore]).sort();
    const expected = [
      ['r1', 'judge.aggregate_success', 0],
      ['r2', 'rag.aggregate_success', 1],
    ];
    expect(await ranked(csv)).toEqual(expected);
    expect(await ranked(db)).toEqual(expected);
    // A reader that refolds the file from scratch agrees.
    rmSync(join(dir.path, 'csv', '.evaltrack-state.json'));
    const reread = new CSVExperimentTracker('p', { outputDir: join(dir.path, 'csv') });
    expect(await ranked(reread)).toEqual(expected);
    const back = new CSVExperimentTracker('p', { outputDir: join(dir.path, 'back') });
    await copyResults(db, back);
    expect(await ranked(back)).toEqual(expected);
    await Promise.all([csv.close(), db.close(), reread.close(), back.close()]);
  });
});
