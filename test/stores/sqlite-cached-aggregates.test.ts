// The SQLite store keeps the aggregates it last wrote in memory: these cases fail if it ever folds
// into a copy that is no longer what the runs table holds.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { gllmResult } from 'evaltrack/testing';
import { expectLeaderboardToEqualRefold } from '../helpers/refold.js';
import { tempDir } from '../helpers/temp-dir.js';

const pass = gllmResult(1, 1, 0); // generation.aggregate_score 1, aggregate_success true
const fail = gllmResult(0, 0, 1); // generation.aggregate_score 0, aggregate_success false

const row = async (t: SqliteExperimentTracker, runId: string) => {
  const r = (await t.getExperimentHistory()).find((x) => x.runId === runId);
  return (
    r && [r.totalData, r.scoredCount, r.averageScore, r.successCount, r.successTotal, r.context]
  );
};

describe('sqlite: aggregates kept in memory between log() calls', () => {
  it('two trackers on one database taking turns at log() into the same runs keep exact totals', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'db.sqlite');
    const a = new SqliteExperimentTracker('p', { file });
    const b = new SqliteExperimentTracker('p', { file });
    // Runs of two, three and one call by each, so that each logs with the other's commits unseen.
    const turns = 'aabbbaabaaabbbab'.repeat(4);
    let passed = 0;
    for (let i = 0; i < turns.length; i++) {
      const t = turns[i] === 'a' ? a : b;
      const ok = i % 3 !== 0;
      if (ok) passed++;
      t.log(ok ? pass : fail, 'qa', { id: `s${i}` }, { runId: i % 5 === 0 ? 'other' : 'shared' });
      // A context written by a between two of its own log() calls: its next log() keeps it.
      if (i === 8) await a.logContext({ prompt: 'v2' }, { runId: 'shared' });
    }
    const shared = [...turns].filter((_, i) => i % 5 !== 0).length;
    const sharedPassed = [...turns].filter((_, i) => i % 5 !== 0 && i % 3 !== 0).length;
    const otherPassed = passed - sharedPassed;
    const expected = {
      shared: [shared, shared, sharedPassed / shared, sharedPassed, shared, { prompt: 'v2' }],
      other: [
        turns.length - shared,
        turns.length - shared,
        otherPassed / (turns.length - shared),
        otherPassed,
        turns.length - shared,
        {},
      ],
    };
    expect(expected.shared.slice(0, 3)).toEqual([51, 51, 34 / 51]);
    const c = new SqliteExperimentTracker('p', { file });
    for (const t of [a, b, c]) {
      expect(await row(t, 'shared')).toEqual(expected.shared);
      expect(await row(t, 'other')).toEqual(expected.other);
    }
    await expectLeaderboardToEqualRefold(c, ['shared', 'other']);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('a log() refused inside its transaction leaves nothing of it in the next one’s aggregate', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'db.sqlite');
    const t = new SqliteExperimentTracker('p', { file });
    t.log(pass, 'qa', { id: 's0' }, { runId: 'r' });
    // Refuses the aggregate of a third pass in four results: the store fails after folding it in,
    // and the next log() (no other connection has written since) must fold into what is stored.
    const side = new Database(file);
    side.exec(`CREATE TRIGGER refuse_third_pass BEFORE UPDATE ON runs
      WHEN NEW.total_data = 4 AND NEW.accuracy_passed = 3
      BEGIN SELECT RAISE(ABORT, 'no third pass'); END`);
    side.close();
    t.log(pass, 'qa', { id: 's1' }, { runId: 'r' });
    t.log(fail, 'qa', { id: 's2' }, { runId: 'r' });
    expect(() => t.log(pass, 'qa', { id: 's3' }, { runId: 'r' })).toThrow(
      expect.objectContaining({ code: 'E_STORE_IO', message: expect.stringMatching(/third pass/) }),
    );
    expect(await row(t, 'r')).toEqual([3, 3, 2 / 3, 2, 3, {}]);
    t.log(fail, 'qa', { id: 's4' }, { runId: 'r' });
    expect(await row(t, 'r')).toEqual([4, 4, 2 / 4, 2, 4, {}]);
    expect((await t.getRunResults('r')).map((r) => r.data['id'])).toEqual(['s0', 's1', 's2', 's4']);
    await expectLeaderboardToEqualRefold(t, ['r']);
    await t.close();
  });
});
