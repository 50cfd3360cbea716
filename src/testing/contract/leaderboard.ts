import { gllmResult, sample, ISO_UTC } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** The leaderboard: exact aggregates, the score column, order, summaries, rebuilds. */
export function describeLeaderboard(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    target,
    fresh,
  } = kit;

  describe(`${name}: leaderboard`, () => {
    it('aggregates a run exactly', async () => {
      const t = fresh();
      const runId = await t.logBatch(
        [gllmResult(1, 1, 0), gllmResult(0.5, 1, 0), gllmResult(1, 1, 0.5)],
        'faq',
        [sample(1), sample(2), sample(3)],
        { metadata: { model_name: 'gpt-x' } },
      );
      const [run, ...rest] = await t.getExperimentHistory();
      expect(rest).toEqual([]);
      expect(run).toMatchObject({
        runId,
        datasetName: 'faq',
        evaluatorName: 'generation',
        modelName: 'gpt-x',
        averageScore: 0.6666666666666666,
        totalData: 3,
        scoreColumn: 'generation.aggregate_success',
        scoredCount: 3,
        scoreStdDev: 0.5773502691896258,
        scorePassFail: true,
        successCount: 2,
        successTotal: 3,
        summaryResult: { accuracy: 0.67 },
        projectName: 'proj',
        context: {},
      });
      expect(run?.createdAt).toMatch(ISO_UTC);
      expect(run?.updatedAt).toMatch(ISO_UTC);
      expect(run!.updatedAt! >= run!.createdAt!).toBe(true);
      await t.close();
    });

    it('ranks by the configured key; results without it count in totalData only', async () => {
      const t = fresh({ leaderboardScoreKey: 'score', extraScoreKeys: [] });
      const runId = t.log({ m: { score: 0.25 } }, 'd', sample(1));
      t.log({ m: { other: 1 } }, 'd', sample(2));
      t.log({ m: { score: 0.75 } }, 'd', sample(3));
      const [run] = await t.getExperimentHistory();
      expect(run).toMatchObject({
        runId,
        averageScore: 0.5,
        totalData: 3,
        scoreColumn: 'm.score',
        scoredCount: 2,
        scoreStdDev: 0.3535533905932738,
        scorePassFail: false,
        successCount: 0,
        successTotal: 0,
        summaryResult: {},
      });
      await t.close();
    });

    it('counts a result accurate only when every evaluator passed, wherever the failure is', async () => {
      const t = fresh();
      const two = (a: boolean, b: boolean) => ({
        rag: { aggregate_success: a },
        judge: { aggregate_success: b },
      });
      await t.logBatch(
        [two(false, true), two(true, false), two(true, true), two(false, false)],
        'faq',
        [sample(1), sample(2), sample(3), sample(4)],
        { runId: 'both' },
      );
      const [run] = await t.getExperimentHistory();
      expect(run).toMatchObject({
        scoreColumn: 'rag.aggregate_success',
        averageScore: 0.5,
        successCount: 1,
        successTotal: 4,
        summaryResult: { accuracy: 0.25 },
      });
      await t.close();
    });

    it('gives averageScore null when no result has the score', async () => {
      const t = fresh();
      t.log({ m: { score: 1 } }, 'd', sample(1));
      const [run] = await t.getExperimentHistory();
      expect(run).toMatchObject({
        averageScore: null,
        totalData: 1,
        scoreColumn: null,
        scoredCount: 0,
        scoreStdDev: null,
        scorePassFail: false,
      });
      await t.close();
    });

    it('lists the most recently updated run first', async () => {
      const t = fresh();
      const a = t.log(gllmResult(1, 1, 0), 'a', sample(1));
      await new Promise((r) => setTimeout(r, 5));
      const b = t.log(gllmResult(1, 1, 0), 'b', sample(1));
      await new Promise((r) => setTimeout(r, 5));
      expect((await t.getExperimentHistory()).map((r) => r.runId)).toEqual([b, a]);
      t.log(gllmResult(1, 1, 0), 'a', sample(2));
      expect((await t.getExperimentHistory()).map((r) => r.runId)).toEqual([a, b]);
      expect((await t.getExperimentHistory({ datasetName: 'b' })).map((r) => r.runId)).toEqual([b]);
      await t.close();
    });

    it('merges summary evaluators over all results of the run so far', async () => {
      const t = fresh({
        summaryEvaluators: [
          (results, data) => ({ n: results.length, first: data[0]?.['id'] ?? null }),
        ],
      });
      await t.logBatch([gllmResult(1, 1, 0)], 'd', [sample(1)]);
      await t.logBatch([gllmResult(0, 1, 0), gllmResult(1, 1, 0)], 'd', [sample(2), sample(3)]);
      const [run] = await t.getExperimentHistory();
      expect(run?.summaryResult).toEqual({ accuracy: 0.67, n: 3, first: 's1' });
      await t.close();
    });
    it('rebuilds the same leaderboard from the results', async () => {
      const t = fresh({ summaryEvaluators: [(results: unknown[]) => ({ n: results.length })] });
      await t.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'a', [sample(1), sample(2)]);
      await t.logContext({ k: 1 });
      await t.logBatch([gllmResult(0.5, 1, 1)], 'b', [sample(1)]);
      const before = await t.getExperimentHistory();
      expect(await t.rebuild()).toEqual({ setAside: 0 });
      expect(await t.getExperimentHistory()).toEqual(before);
      await t.close();
    });

    it('computes summaries over every result of the run, whoever logged them', async () => {
      const location = target.newLocation();
      const count = { summaryEvaluators: [(results: unknown[]) => ({ n: results.length })] };
      const t1 = target.open(location, 'proj', count);
      const t2 = target.open(location, 'proj', count);
      const runId = await t1.logBatch([gllmResult(1, 1, 0)], 'd', [sample(1)], { runId: 'shared' });
      await t2.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'd', [sample(2), sample(3)], {
        runId,
      });
      await t1.logBatch([gllmResult(1, 1, 0)], 'd', [sample(4)], { runId });
      const [run] = await t1.getExperimentHistory();
      expect(run).toMatchObject({ totalData: 4, summaryResult: { accuracy: 0.75, n: 4 } });
      await t1.close();
      await t2.close();
    });
  });
}
