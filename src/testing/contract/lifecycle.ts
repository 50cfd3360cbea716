import { TrackerClosedError } from '../../errors.js';
import { gllmResult, sample } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** Closing: twice, use after close, Symbol.asyncDispose. */
export function describeLifecycle(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    target,
    fresh,
    expectError,
  } = kit;

  describe(`${name}: lifecycle`, () => {
    it('closes twice harmlessly and refuses use after close', async () => {
      const t = fresh();
      t.log(gllmResult(1, 1, 0), 'd', sample(1));
      await t.close();
      await t.close();
      for (const call of [
        () => t.log(gllmResult(1, 1, 0), 'd', sample(1)),
        () => t.alog(gllmResult(1, 1, 0), 'd', sample(1)),
        () => t.logBatch([], 'd', []),
        () => t.getExperimentHistory(),
        () => t.getRunResults('x'),
        () => t.flush(),
      ]) {
        const error = await expectError(call, 'E_TRACKER_CLOSED');
        expect(error).toBeInstanceOf(TrackerClosedError);
      }
    });

    it('closes through Symbol.asyncDispose', async () => {
      const location = target.newLocation();
      const t = target.open(location, 'p');
      const runId = await t.alog(gllmResult(1, 1, 0), 'd', sample(1));
      await t[Symbol.asyncDispose]();
      await expectError(() => t.log(gllmResult(1, 1, 0), 'd', sample(1)), 'E_TRACKER_CLOSED');
      const again = target.open(location, 'p');
      expect(await again.getRunResults(runId)).toHaveLength(1);
      await again.close();
    });
  });
}
