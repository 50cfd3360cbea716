import { copyResults } from '../../copy-results.js';
import type { BaseExperimentTracker } from '../../tracker/base-experiment-tracker.js';
import type { ContractKit } from './fixtures.js';

/** The column a run is ranked by: the first match in each result's own order, copies included. */
export function describeScoreColumn(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    target,
    itWith,
  } = kit;

  /** Logs r1, whose only match is judge's, then r2, whose own first match is rag's. */
  async function logBoth(t: BaseExperimentTracker): Promise<void> {
    // r1 puts judge.aggregate_success first in a CSV header; r2's own first match is rag's.
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
  const ranked = async (t: BaseExperimentTracker) =>
    (await t.getExperimentHistory()).map((r) => [r.runId, r.scoreColumn, r.averageScore]).sort();
  const expected = [
    ['r1', 'judge.aggregate_success', 0],
    ['r2', 'rag.aggregate_success', 1],
  ];

  describe(`${name}: the column a run is ranked by`, () => {
    it('is the first match in the result’s own order, after a rebuild and through a copy', async () => {
      const location = target.newLocation();
      const t = target.open(location, 'p');
      await logBoth(t);
      expect(await ranked(t)).toEqual(expected);
      // A reader that refolds the results from scratch agrees.
      const reread = target.open(location, 'p');
      expect(await reread.rebuild()).toEqual({ setAside: 0 });
      expect(await ranked(reread)).toEqual(expected);
      const copy = target.open(target.newLocation(), 'p');
      await copyResults(t, copy);
      expect(await ranked(copy)).toEqual(expected);
      await Promise.all([t.close(), reread.close(), copy.close()]);
    });

    itWith(
      target.csvFolder,
      'is the first match in the result’s own order through a copy to a CSV folder and back',
      'the target gives no csvFolder to open CSV folders with',
      async (csvFolder) => {
        const t = target.open(target.newLocation(), 'p');
        await logBoth(t);
        const back = csvFolder.open(csvFolder.newLocation(), 'p');
        await copyResults(t, back);
        expect(await ranked(back)).toEqual(expected);
        const again = target.open(target.newLocation(), 'p');
        await copyResults(back, again);
        expect(await ranked(again)).toEqual(expected);
        await Promise.all([t.close(), back.close(), again.close()]);
      },
    );
  });
}
