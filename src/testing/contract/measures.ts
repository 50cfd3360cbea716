import { copyResults } from '../../copy-results.js';
import type { ResultMeasures } from '../../types.js';
import { gllmResult, sample } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** Task latencies 1..100 ms: exact p50 50.5 (between ranks), p95 95.05, mean 50.5. */
const LATENCIES = Array.from({ length: 100 }, (_, i) => i + 1);

const measured = (i: number): ResultMeasures => ({
  trial: i % 2,
  task: {
    latencyMs: LATENCIES[i] ?? 0,
    usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
    cost: 0.001,
  },
  evaluators: {
    judge: { latencyMs: 2.5, usage: { inputTokens: 100, outputTokens: 1 }, cost: 0.01 },
  },
});

/** Latency, tokens and cost: stored with each result, kept as run aggregates. */
export function describeMeasures(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    target,
    fresh,
    expectError,
    expectRefused,
    itWith,
  } = kit;

  describe(`${name}: latency, tokens and cost`, () => {
    it('stores each result’s measures exactly and sums them per run without reading results', async () => {
      const location = target.newLocation();
      const t = target.open(location, 'p');
      const runId = await t.logBatch(
        LATENCIES.map(() => gllmResult(1, 1, 0)),
        'd',
        LATENCIES.map((_, i) => sample(i)),
        { runId: 'm1', measures: LATENCIES.map((_, i) => measured(i)) },
      );
      // One more result, measured by log(), and one with no measures at all.
      t.log(gllmResult(1, 1, 0), 'd', sample(100), {
        runId,
        measures: { task: { cost: 0.5 } },
      });
      await t.alog(gllmResult(1, 1, 0), 'd', sample(101), { runId });
      await t.close();

      const again = target.open(location, 'p');
      const results = await again.getRunResults(runId);
      expect(results).toHaveLength(102);
      expect(results[0]?.measures).toEqual(measured(0));
      expect(results[99]?.measures).toEqual(measured(99));
      expect(results[100]?.measures).toEqual({ task: { cost: 0.5 } });
      expect(results[101]?.measures).toBe(null);
      expect((await again.getResult(runId, results[7]?.resultId ?? ''))?.measures).toEqual(
        measured(7),
      );
      const run = await again.getRun(runId);
      const m = run?.measures;
      expect(m?.latency?.n).toBe(100);
      expect(m?.latency?.meanMs).toBe(50.5);
      expect(m?.latency?.maxMs).toBe(100);
      // Quantiles from a sketch: within 1% of the exact values of ranks 49 and 94.
      expect(Math.abs((m?.latency?.p50Ms ?? 0) - 50) / 50 <= 0.01).toBe(true);
      expect(Math.abs((m?.latency?.p95Ms ?? 0) - 95) / 95 <= 0.01).toBe(true);
      expect(m?.tokens).toEqual({
        n: 100,
        inputTokens: 100 * 110,
        outputTokens: 100 * 6,
        // The judge gave no total: its input and output are added.
        totalTokens: 100 * (15 + 101),
      });
      expect(m?.cost?.n).toBe(101);
      expect(Math.abs((m?.cost?.total ?? 0) - (100 * 0.011 + 0.5)) < 1e-9).toBe(true);
      await again.close();
    });

    it('has no measures for a run whose results carry none', async () => {
      const t = fresh();
      const runId = await t.alog(gllmResult(1, 1, 0), 'd', sample(1));
      expect((await t.getRun(runId))?.measures).toBe(null);
      expect((await t.getRunResults(runId))[0]?.measures).toBe(null);
      await t.close();
    });

    it('refuses bad measures before anything is written, naming the place', async () => {
      const t = fresh();
      const bad: [unknown, string][] = [
        [{ task: { latencyMs: -1 } }, 'options.measures.task.latencyMs'],
        [{ task: { latencyMs: Number.NaN } }, 'options.measures.task.latencyMs'],
        [{ task: { usage: { inputTokens: 1.5 } } }, 'options.measures.task.usage.inputTokens'],
        [{ task: { costs: 1 } }, 'options.measures.task.costs'],
        [{ trial: -1 }, 'options.measures.trial'],
        [{ evaluators: { judge: 'fast' } }, 'options.measures.evaluators.judge'],
        [[{}], 'options.measures'],
      ];
      for (const [measures, path] of bad) {
        await expectRefused(
          () =>
            t.alog(gllmResult(1, 1, 0), 'd', sample(1), {
              runId: 'bad',
              measures: measures as ResultMeasures,
            }),
          'E_INVALID_ARGUMENT',
          path,
        );
      }
      await expectError(
        t.logBatch([gllmResult(1, 1, 0), gllmResult(1, 1, 0)], 'd', [sample(1), sample(2)], {
          runId: 'bad',
          measures: [{ task: { cost: 1 } }],
        }),
        'E_BATCH_LENGTH_MISMATCH',
      );
      await expectRefused(
        () =>
          t.logBatch([gllmResult(1, 1, 0), gllmResult(1, 1, 0)], 'd', [sample(1), sample(2)], {
            runId: 'bad',
            measures: [null, { task: { cost: -2 } }],
          }),
        'E_INVALID_ARGUMENT',
        'options.measures[1].task.cost',
      );
      expect(await t.getRun('bad')).toBe(null);
      await t.close();
    });

    itWith(
      target.csvFolder,
      'keeps measures through a copy to a CSV folder and back',
      'the target gives no csvFolder to open CSV folders with',
      async (csvFolder) => {
        const t = fresh();
        const runId = await t.logBatch(
          [gllmResult(1, 1, 0), gllmResult(0, 1, 0)],
          'd',
          [sample(1), sample(2)],
          { measures: [measured(3), null] },
        );
        const csv = csvFolder.open(csvFolder.newLocation(), 'p');
        await copyResults(t, csv);
        const back = fresh();
        await copyResults(csv, back);
        for (const store of [csv, back]) {
          const results = await store.getRunResults(runId);
          expect(results.map((r) => r.measures)).toEqual([measured(3), null]);
          expect((await store.getRun(runId))?.measures).toEqual((await t.getRun(runId))?.measures);
        }
        await Promise.all([t.close(), csv.close(), back.close()]);
      },
    );
  });
}
