import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { expectLeaderboardToEqualRefold } from '../helpers/refold.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runWriter, WRITER } from '../helpers/writer-process.js';

describe('sqlite: several processes and crashes', () => {
  it('4 processes x 2,000 results into one database lose nothing and see no SQLITE_BUSY', async () => {
    using dir = tempDir();
    const store = `sqlite:${join(dir.path, 'shared.sqlite')}`;
    await Promise.all(['0', '1', '2', '3'].map((w) => runWriter([store, w, '2000'])));
    const t = new SqliteExperimentTracker('check', { file: join(dir.path, 'shared.sqlite') });
    for (const w of ['0', '1', '2', '3']) {
      const records = await t.getRunResults(`run-${w}`);
      expect(records.map((r) => r.data['id'])).toEqual(
        Array.from({ length: 2000 }, (_, i) => `${w}-${i}`),
      );
      records.forEach((r, i) => expect(r.values[`ev.m${w}.score`]).toBe(i / 2000));
    }
    const history = await t.getExperimentHistory();
    await t.close();
    expect(
      history.map((r) => [r.runId, r.totalData, r.averageScore, r.summaryResult]).sort(),
    ).toEqual(['0', '1', '2', '3'].map((w) => [`run-${w}`, 2000, 0.5, { accuracy: 0.5 }]));
  });

  it('2 processes logging into the same runs: the leaderboard equals a refold of the results', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'shared.sqlite');
    await Promise.all(['0', '1'].map((w) => runWriter([`sqlite:${file}`, w, '1000', 'shared'])));
    const t = new SqliteExperimentTracker('check', { file });
    const ids = [
      ...(await t.getRunResults('shared-0')),
      ...(await t.getRunResults('shared-1')),
    ].map((r) => r.data['id']);
    expect(ids).toHaveLength(2000);
    expect(new Set(ids).size).toBe(2000);
    await expectLeaderboardToEqualRefold(t, ['shared-0', 'shared-1']);
    await t.close();
  });

  it('keeps whole batches only when the process is killed during logBatch', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'crash.sqlite');
    const child = spawn(
      process.execPath,
      [WRITER, `sqlite:${file}`, '7', '1000000', 'batches', '20000'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // Kill it in the middle of a later batch, at a moment the test does not choose.
        if (out.split('\n').length > 5 && !child.killed) {
          setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 20));
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    const returned = out.split('\n').slice(0, -1).map(Number);
    const t = new SqliteExperimentTracker('check', { file });
    const ids = (await t.getRunResults('run-7')).map((r) =>
      Number(String(r.data['id']).split('-')[1]),
    );
    const [run] = await t.getExperimentHistory();
    await t.close();
    // Whole batches of 100, in order, and every batch whose logBatch() resolved.
    expect(ids.length % 100).toBe(0);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i));
    expect(ids.length).toBeGreaterThanOrEqual((returned[returned.length - 1] ?? -100) + 100);
    expect(run?.totalData).toBe(ids.length);
  });
});
