import { expect } from 'vitest';
import { foldResult, toRunSummary } from 'evaltrack';
import type { BaseExperimentTracker, RunAggregate } from 'evaltrack';

/**
 * Checks that every run's leaderboard row equals a fold, from scratch, of the results the store
 * gives back: what concurrent writers' incremental aggregates must come to.
 */
export async function expectLeaderboardToEqualRefold(
  t: BaseExperimentTracker,
  runIds: readonly string[],
): Promise<void> {
  const history = await t.getExperimentHistory();
  expect(history.map((r) => r.runId).sort()).toEqual([...runIds].sort());
  for (const runId of runIds) {
    let agg: RunAggregate | undefined;
    for (const r of await t.getRunResults(runId)) {
      agg = foldResult(
        agg,
        {
          runId: r.runId,
          datasetName: r.datasetName,
          projectName: null,
          evaluatorName: r.evaluatorName,
          modelName: r.modelName,
          timestamp: r.timestamp,
          columns: Object.entries(r.values).map(([name, value]) => ({ name, value })),
          measures: r.measures,
        },
        t.options.leaderboardScoreKey,
      );
    }
    const refold = toRunSummary(agg!);
    const row = history.find((r) => r.runId === runId)!;
    expect(row.totalData).toBeGreaterThan(0);
    const totals = (s: typeof row) => ({
      totalData: s.totalData,
      scoreColumn: s.scoreColumn,
      scoredCount: s.scoredCount,
      averageScore: s.averageScore,
      scorePassFail: s.scorePassFail,
      successCount: s.successCount,
      successTotal: s.successTotal,
      summaryResult: s.summaryResult,
    });
    expect(totals(row)).toEqual(totals(refold));
    // A sum of squares folded in another order may differ in its last bits.
    if (refold.scoreStdDev === null) expect(row.scoreStdDev).toBeNull();
    else expect(row.scoreStdDev).toBeCloseTo(refold.scoreStdDev, 12);
  }
}
