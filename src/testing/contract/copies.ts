import { copyResults } from '../../copy-results.js';
import type { BaseExperimentTracker } from '../../tracker/base-experiment-tracker.js';
import type { ContractTarget } from './contract-target.js';
import { gllmResult } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** The leaderboard and every result of every run of `t`. */
async function snapshot(t: BaseExperimentTracker) {
  const history = await t.getExperimentHistory();
  const results = Object.fromEntries(
    await Promise.all(history.map(async (r) => [r.runId, await t.getRunResults(r.runId)] as const)),
  );
  return { history, results };
}

const NO_CSV = 'the target gives no csvFolder to open CSV folders with';

/** Copies into the store: the same values as the source, never a duplicate. */
export function describeCopies(kit: ContractKit): void {
  const {
    api: { describe, expect },
    name,
    target,
    expectError,
    itWith,
  } = kit;

  describe(`${name}: copies`, () => {
    itWith(
      target.csvFolder,
      'gives the same values as a CSV folder, field for field, for the same results',
      NO_CSV,
      async (csvFolder) => {
        // Text that looks typed in a value column: an explanation kept as a companion.
        const csv = csvFolder.open(csvFolder.newLocation(), 'p', {
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
        const db = target.open(target.newLocation(), 'p');
        await copyResults(csv, db);
        expect(await snapshot(db)).toEqual(await snapshot(csv));
        await Promise.all([csv.close(), db.close()]);
      },
    );

    const sources: [string, ContractTarget | undefined][] = [
      ['another location of its kind', target],
      ['a CSV folder', target.csvFolder],
    ];
    for (const [from, source] of sources) {
      itWith(
        source,
        `never duplicates copying from ${from}: copying twice or overlapping sets, the leaderboard stays right`,
        NO_CSV,
        async (kind) => {
          const csv = kind.open(kind.newLocation(), 'p');
          const a = await csv.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'a', [
            { id: 1 },
            { id: 2 },
          ]);
          const b = await csv.logBatch([gllmResult(1, 1, 0)], 'b', [{ id: 1 }]);
          const into = target.open(target.newLocation(), 'p');
          expect(await copyResults(csv, into, { runIds: [a] })).toEqual({
            runs: 1,
            imported: 2,
            skipped: 0,
          });
          expect(await copyResults(csv, into)).toEqual({ runs: 2, imported: 1, skipped: 2 });
          expect(await copyResults(csv, into)).toEqual({ runs: 2, imported: 0, skipped: 3 });
          // A result logged later in the source goes over on the next copy, alone.
          await csv.logBatch([gllmResult(1, 1, 0)], 'a', [{ id: 3 }], { runId: a });
          expect(await copyResults(csv, into, { runIds: [a, b] })).toEqual({
            runs: 2,
            imported: 1,
            skipped: 3,
          });
          expect(await snapshot(into)).toEqual(await snapshot(csv));
          expect(
            (await into.getExperimentHistory()).map((r) => [r.runId, r.totalData, r.averageScore]),
          ).toEqual([
            [a, 3, 2 / 3],
            [b, 1, 1],
          ]);
          const error = await expectError(
            copyResults(csv, into, { runIds: ['nope'] }),
            'E_INVALID_ARGUMENT',
          );
          expect(error).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
          await Promise.all([csv.close(), into.close()]);
        },
      );
    }
  });
}
