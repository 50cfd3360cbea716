// One registry opens every store by its address, for the command line, the dashboard,
// evaluate() and library users alike.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoStoreError, openTracker } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { PostgresExperimentTracker } from 'evaltrack/postgres';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { newSchema, postgresUrl, withSchema } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('openTracker', () => {
  it('opens each store by its address, with the tracker options, and the same numbers', async () => {
    using dir = tempDir();
    const pg = postgresUrl();
    const addresses: [string, unknown][] = [
      [join(dir.path, 'folder'), CSVExperimentTracker],
      [`sqlite:${join(dir.path, 'a.sqlite')}`, SqliteExperimentTracker],
      [join(dir.path, 'b.db'), SqliteExperimentTracker],
      ...(pg
        ? [[withSchema(pg, newSchema('registry')), PostgresExperimentTracker] as [string, unknown]]
        : []),
    ];
    for (const [store, kind] of addresses) {
      const t = await openTracker('p', { store, leaderboardScoreKey: 'score' });
      expect(t).toBeInstanceOf(kind);
      await t.logBatch(
        [{ m: { score: 0.25 } }, { m: { score: 0.75 } }],
        'd',
        [{ id: 1 }, { id: 2 }],
        {
          runId: 'r',
        },
      );
      await t.close();
      const again = await openTracker('p', { store, create: false });
      expect(await again.getRun('r')).toMatchObject({
        scoreColumn: 'm.score',
        averageScore: 0.5,
        totalData: 2,
      });
      await again.close();
    }
  });

  it('refuses to create a store when asked not to, and unknown options', async () => {
    using dir = tempDir();
    for (const store of [join(dir.path, 'none'), `sqlite:${join(dir.path, 'none.sqlite')}`]) {
      const error = await openTracker('p', { store, create: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NoStoreError);
      expect((error as Error).message).toBe(`[evaltrack] no store at ${store}`);
    }
    expect(existsSync(join(dir.path, 'none'))).toBe(false);
    expect(existsSync(join(dir.path, 'none.sqlite'))).toBe(false);
    await expect(
      openTracker('p', { store: dir.path, scoreKye: 'x' } as never),
    ).rejects.toMatchObject({
      code: 'E_UNKNOWN_OPTION',
    });
  });
});
