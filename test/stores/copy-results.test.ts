import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyResults } from 'evaltrack';
import type { BaseExperimentTracker } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
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
});
