import { gllmResult, sample } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** Run ids: one current run per dataset, in the gllm-evals format. */
export function describeRunIds(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    fresh,
  } = kit;

  describe(`${name}: run ids`, () => {
    it('keeps one current run per dataset, in the gllm-evals format', async () => {
      const t = fresh();
      const a1 = t.log(gllmResult(1, 1, 0), 'faq', sample(1));
      const a2 = t.log(gllmResult(1, 1, 0), 'faq', sample(2));
      const b = t.log(gllmResult(1, 1, 0), 'chat', sample(1));
      expect(a1).toMatch(/^proj_faq_[0-9a-f]{8}$/);
      expect(a2).toBe(a1);
      expect(b).toMatch(/^proj_chat_[0-9a-f]{8}$/);
      const fresh2 = t.newRunId('faq');
      expect(fresh2).not.toBe(a1);
      expect(t.log(gllmResult(1, 1, 0), 'faq', sample(3))).toBe(fresh2);
      expect(
        await t.logBatch([gllmResult(1, 1, 0)], 'faq', [sample(4)], { runId: 'explicit-run' }),
      ).toBe('explicit-run');
      expect((await t.getExperimentHistory()).map((r) => r.runId).sort()).toEqual(
        [a1, b, fresh2, 'explicit-run'].sort(),
      );
      await t.close();
    });
  });
}
