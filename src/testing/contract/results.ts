import { gllmResult, sample, UUID_V7, ISO_UTC } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** Results read back: order, exact values, ids, across trackers, and 2,500 of them. */
export function describeResults(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    target,
    fresh,
    expectError,
  } = kit;

  describe(`${name}: results`, () => {
    it('gives results back in logging order with exact values', async () => {
      const t = fresh();
      const data = {
        id: 7,
        input: 'naïve “quotes”, commas\r\nand emoji 🎉',
        expected_output: '-0.5',
        tags: ['a', 1],
      };
      const runId = t.log(gllmResult(0.5, 1, 0), 'd', data, {
        metadata: { evaluator_name: 'judge', k: [1, { x: null }] },
      });
      t.log(
        {
          generation: {
            aggregate_success: true,
            x: { score: -0.5, success: 0 },
            y: { score: null, success: true },
            z: { score: 0.5, success: null },
          },
        },
        'd',
        sample(2),
      );
      const [first, second, ...rest] = await t.getRunResults(runId);
      expect(rest).toEqual([]);
      expect(first).toMatchObject({
        sampleId: '7',
        runId,
        datasetName: 'd',
        evaluatorName: 'judge',
        modelName: 'unknown',
        values: {
          'generation.completeness.score': 0.5,
          'generation.groundedness.score': 1,
          'generation.redundancy.score': 0,
          'generation.completeness.success': false,
          'generation.groundedness.success': true,
          'generation.redundancy.success': true,
          'generation.aggregate_score': 0.8333333333333334,
          'generation.aggregate_success': 0,
        },
        data,
        metadata: { evaluator_name: 'judge', k: [1, { x: null }] },
        evaluationResult: gllmResult(0.5, 1, 0),
      });
      expect(Object.keys(first!.values)).toEqual([
        'generation.completeness.score',
        'generation.groundedness.score',
        'generation.redundancy.score',
        'generation.completeness.success',
        'generation.groundedness.success',
        'generation.redundancy.success',
        'generation.aggregate_score',
        'generation.aggregate_success',
      ]);
      // A null score is "not scored": no column, and its companions none either.
      expect(second?.values).toEqual({
        'generation.x.score': -0.5,
        'generation.z.score': 0.5,
        'generation.x.success': 0,
        'generation.aggregate_success': 1,
      });
      expect(Object.keys(second!.values)).toEqual([
        'generation.x.score',
        'generation.z.score',
        'generation.x.success',
        'generation.aggregate_success',
      ]);
      expect(second?.evaluatorName).toBe('generation');
      expect(first?.resultId).toMatch(UUID_V7);
      expect(second!.resultId > first!.resultId).toBe(true);
      expect(first?.timestamp).toMatch(ISO_UTC);
      await t.close();
    });

    it('keeps text companions (an explanation) as text, whatever they look like', async () => {
      const t = fresh({ companionFields: ['success', 'explanation'] });
      const texts = ['0.5', 'True', 'false', '=1+1', "'x", '-1', 'maybe'];
      const runId = await t.logBatch(
        texts.map((explanation) => ({ m: { score: 1, success: true, explanation } })),
        'd',
        texts.map((_, i) => sample(i)),
      );
      const records = await t.getRunResults(runId);
      expect(records.map((r) => r.values['m.explanation'])).toEqual(texts);
      expect(records.map((r) => r.values['m.success'])).toEqual(texts.map(() => true));
      await t.close();
    });

    it('gives the same sampleId to the same sample in every run', async () => {
      const t = fresh();
      const q = {
        input: 'What is the return window?',
        expected_output: '30 days',
        actual_output: 'a',
      };
      const r1 = t.log(gllmResult(1, 1, 0), 'd', q);
      const r2 = t.newRunId('d');
      t.log(gllmResult(0, 1, 0), 'd', { ...q, actual_output: 'b' });
      t.log(gllmResult(0, 1, 0), 'd', { query: 'other', expected_response: 'x' });
      const [a] = await t.getRunResults(r1);
      const [b, c] = await t.getRunResults(r2);
      expect(a?.sampleId).toMatch(/^[0-9a-f]{16}$/);
      expect(b?.sampleId).toBe(a?.sampleId);
      expect(c?.sampleId).not.toBe(a?.sampleId);
      await t.close();
    });

    it('gives unicode and huge texts back exactly', async () => {
      const t = fresh();
      const huge = `${'lorem, "ipsum"\r\n'.repeat(70_000)}end`;
      const data = {
        id: 'u',
        input: 'naïve café 中文 العربية 🎉 👩‍👩‍👧, a pair \ud83d\ude00, tab\t, NUL \u0000',
        formula: '=HYPERLINK("http://x")',
        huge,
      };
      const runId = await t.logBatch([{ m: { score: 1, explanation: huge } }], 'd', [data]);
      const [record] = await t.getRunResults(runId);
      expect(record?.data).toEqual(data);
      expect(record?.evaluationResult).toEqual({ m: { score: 1, explanation: huge } });
      await t.close();
    });

    it('gives one result by its id, and null for an unknown one', async () => {
      const t = fresh();
      const runId = await t.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'd', [
        sample(1),
        sample(2),
      ]);
      const records = await t.getRunResults(runId);
      expect(await t.getResult(runId, records[1]!.resultId)).toEqual(records[1]);
      expect(await t.getResult(runId, 'no-such-result')).toEqual(null);
      expect(await t.getResult('no-such-run', records[1]!.resultId)).toEqual(null);
      await t.close();
    });

    it('gives one run by its id, as the history lists it, and null for an unknown one', async () => {
      const t = fresh();
      const runId = await t.logBatch([gllmResult(1, 1, 0)], 'faq', [sample(1)]);
      const [listed] = await t.getExperimentHistory();
      expect(await t.getRun(runId)).toEqual(listed);
      expect(await t.getRun('no-such-run')).toBe(null);
      expect(await t.getRun('').catch((e: unknown) => e)).toMatchObject({
        code: 'E_INVALID_ARGUMENT',
      });
      await t.close();
    });

    it('checks a result as log() would, without logging it', async () => {
      const t = fresh();
      const bad = { generation: { score: 'high' } };
      const attempt = (f: () => unknown): unknown => {
        try {
          f();
          return null;
        } catch (e) {
          return e;
        }
      };
      const checked = attempt(() => t.checkResult(bad));
      const logged = attempt(() => t.log(bad, 'faq', sample(1)));
      expect(checked).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
      expect((checked as Error).message).toBe((logged as Error).message);
      t.checkResult(gllmResult(1, 1, 0));
      expect(await t.getExperimentHistory()).toEqual([]);
      await t.close();
    });

    it('takes metadata per result in logBatch, naming each result’s model', async () => {
      const t = fresh();
      const runId = await t.logBatch(
        [gllmResult(1, 1, 0), gllmResult(0, 1, 0)],
        'd',
        [sample(1), sample(2)],
        { metadata: [{ model_name: 'a', latency: 'fast' }, { model_name: 'b' }] },
      );
      const results = await t.getRunResults(runId);
      expect(results.map((r) => [r.modelName, r.metadata])).toEqual([
        ['a', { model_name: 'a', latency: 'fast' }],
        ['b', { model_name: 'b' }],
      ]);
      await expectError(
        t.logBatch([gllmResult(1, 1, 0)], 'd', [sample(3)], { runId, metadata: [{}, {}] }),
        'E_BATCH_LENGTH_MISMATCH',
      );
      await expectError(
        t.logBatch([gllmResult(1, 1, 0)], 'd', [sample(3)], { runId, metadata: [null] as never }),
        'E_INVALID_ARGUMENT',
      );
      expect(await t.getRunResults(runId)).toHaveLength(2);
      await t.close();
    });

    it('returns [] for an unknown run', async () => {
      const t = fresh();
      t.log(gllmResult(1, 1, 0), 'd', sample(1));
      expect(await t.getRunResults('no-such-run')).toEqual([]);
      await t.close();
    });

    it('keeps everything across trackers on the same location', async () => {
      const location = target.newLocation();
      const t1 = target.open(location, 'proj');
      const runId = await t1.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'd', [
        sample(1),
        sample(2),
      ]);
      await t1.logContext({ prompt: 'v2' });
      const before = {
        history: await t1.getExperimentHistory(),
        results: await t1.getRunResults(runId),
      };
      await t1.close();
      const t2 = target.open(location, 'other');
      expect(await t2.getExperimentHistory()).toEqual(before.history);
      expect(await t2.getRunResults(runId)).toEqual(before.results);
      await t2.close();
    });

    it('reads 2,500 results of one run back in exact order, imported ones too, once each', async () => {
      const runId = 'big-run';
      const batch = (from: number, n: number) => ({
        results: Array.from({ length: n }, (_, i) => gllmResult((from + i) % 2, 1, 0)),
        data: Array.from({ length: n }, (_, i) => sample(from + i)),
      });
      const t = fresh();
      const other = fresh();
      let b = batch(0, 1000);
      await t.logBatch(b.results, 'd', b.data, { runId });
      b = batch(1000, 500);
      await other.logBatch(b.results, 'd', b.data, { runId });
      const foreign = await other.getRunResults(runId);
      await other.close();
      // Out of order: odd positions backwards, then even ones; logged before the results after.
      const imported = [
        ...foreign.filter((_, i) => i % 2 === 1).reverse(),
        ...foreign.filter((_, i) => i % 2 === 0),
      ];
      expect(await t.importResults(imported)).toEqual({ imported: 500, skipped: 0 });
      b = batch(1500, 1000);
      await t.logBatch(b.results, 'd', b.data, { runId });
      expect(await t.importResults(imported.slice(0, 100))).toEqual({ imported: 0, skipped: 100 });
      const records = await t.getRunResults(runId);
      const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `s${from + i}`);
      expect(records.map((r) => r.sampleId)).toEqual([
        ...ids(0, 1000),
        ...imported.map((r) => r.sampleId),
        ...ids(1500, 1000),
      ]);
      expect(records.slice(1000, 1500)).toEqual(imported);
      expect(new Set(records.map((r) => r.resultId)).size).toBe(2500);
      const streamed: string[] = [];
      for await (const r of t.iterateRunResults(runId)) streamed.push(r.resultId);
      expect(streamed).toEqual(records.map((r) => r.resultId));
      const [run] = await t.getExperimentHistory();
      expect(run).toMatchObject({ runId, totalData: 2500, successCount: 1250, successTotal: 2500 });
      await t.close();
    });
  });
}
