import { gllmResult, sample } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** Context merged into runs. */
export function describeContext(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    fresh,
    expectError,
  } = kit;

  describe(`${name}: context`, () => {
    it('merges context key by key into the run', async () => {
      const t = fresh();
      await t.logContext({ model: 'a', git: '1' }, { datasetName: 'd' });
      const runId = t.log(gllmResult(1, 1, 0), 'd', sample(1));
      await t.logContext({ git: '2', prompt: { version: 3 } });
      const [run] = await t.getExperimentHistory();
      expect(run).toMatchObject({
        runId,
        totalData: 1,
        context: { model: 'a', git: '2', prompt: { version: 3 } },
      });
      await t.close();
    });

    it('creates a run with no results when context comes first', async () => {
      const t = fresh();
      await t.logContext({ k: 1 }, { runId: 'r1', datasetName: 'd' });
      const [run] = await t.getExperimentHistory();
      expect(run).toMatchObject({
        runId: 'r1',
        datasetName: 'd',
        totalData: 0,
        averageScore: null,
        context: { k: 1 },
      });
      await t.close();
    });

    it('needs a run or dataset when the tracker has several current runs', async () => {
      const t = fresh();
      t.log(gllmResult(1, 1, 0), 'a', sample(1));
      t.log(gllmResult(1, 1, 0), 'b', sample(1));
      await expectError(t.logContext({ k: 1 }), 'E_INVALID_ARGUMENT');
      await expectError(t.logContext({ k: 1 }, { runId: 'unknown-run' }), 'E_INVALID_ARGUMENT');
      await t.close();
    });
  });
}
