/**
 * The tracker contract as tests: one suite that every store must pass, asserting exact values.
 * It takes the test runner's `describe`, `it` and `expect` (vitest's, or jest's), so that a user
 * who writes a store of their own can run it without evaltrack depending on a runner:
 *
 * ```ts
 * import { describe, expect, it } from 'vitest';
 * import { describeTrackerContract } from 'evaltrack/testing';
 *
 * describeTrackerContract({ describe, it, expect }, 'my store', {
 *   newLocation: () => `db-${Math.random()}`,
 *   open: (location, projectName, options) => new MyTracker(projectName, location, options),
 * });
 * ```
 */
import { EvaltrackError, InvalidInputError, TrackerClosedError } from '../errors.js';
import type { BaseExperimentTracker, TrackerOptions } from '../tracker/base-experiment-tracker.js';

/** The matchers the suite uses; vitest's and jest's `expect` have them. */
export interface ContractMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatch(expected: RegExp): void;
  toMatchObject(expected: object): void;
  toBeInstanceOf(expected: unknown): void;
  toHaveLength(expected: number): void;
  not: ContractMatchers;
}

/** The test runner's functions. */
export interface ContractTestApi {
  describe: (name: string, body: () => void) => void;
  it: (name: string, body: () => Promise<void> | void) => void;
  expect: (actual: unknown) => ContractMatchers;
}

/** How the suite opens trackers over your store. */
export interface ContractTarget {
  /** A new, empty place for the store to keep results (a folder, a database file, a schema). */
  newLocation(): string;
  /** A tracker over `location`; trackers opened on one location share their results. */
  open(location: string, projectName: string, options?: TrackerOptions): BaseExperimentTracker;
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A gllm-evals shaped evaluator output for tests: three metrics (redundancy lower-is-better),
 * `aggregate_success` when all pass, and the polarity-aware `aggregate_score`.
 */
export function gllmResult(completeness: number, groundedness: number, redundancy: number) {
  const c = completeness >= 1;
  const g = groundedness >= 1;
  const r = redundancy <= 0.5;
  return {
    generation: {
      aggregate_explanation: c && g && r ? 'All metrics met the expected values.' : 'Some failed.',
      aggregate_success: c && g && r,
      aggregate_score: (completeness + groundedness + (1 - redundancy)) / 3,
      completeness: {
        score: completeness,
        explanation: 'c',
        success: c,
        threshold: 1,
        higher_is_better: true,
      },
      groundedness: {
        score: groundedness,
        explanation: 'g',
        success: g,
        threshold: 1,
        higher_is_better: true,
      },
      redundancy: {
        score: redundancy,
        explanation: 'r',
        success: r,
        threshold: 0.5,
        higher_is_better: false,
      },
    },
  };
}

const sample = (i: number) => ({
  id: `s${i}`,
  input: `question ${i}`,
  actual_output: `answer ${i}`,
  expected_output: `expected ${i}`,
});

/** Registers the contract suite, exact values and error paths, for one store. */
export function describeTrackerContract(
  api: ContractTestApi,
  name: string,
  target: ContractTarget,
): void {
  const { describe, it, expect } = api;

  async function expectError(
    promise: Promise<unknown> | (() => unknown),
    code: string,
  ): Promise<EvaltrackError> {
    let error: unknown;
    try {
      await (typeof promise === 'function' ? promise() : promise);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EvaltrackError);
    expect((error as EvaltrackError).code).toBe(code);
    return error as EvaltrackError;
  }

  const fresh = (options?: TrackerOptions) => target.open(target.newLocation(), 'proj', options);

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
      const checked = (() => {
        try {
          t.checkResult(bad);
          return null;
        } catch (e) {
          return e;
        }
      })();
      const logged = (() => {
        try {
          t.log(bad, 'faq', sample(1));
          return null;
        } catch (e) {
          return e;
        }
      })();
      expect(checked).toMatchObject({ code: 'E_INVALID_ARGUMENT' });
      expect((checked as Error).message).toBe((logged as Error).message);
      t.checkResult(gllmResult(1, 1, 0));
      expect(await t.getExperimentHistory()).toEqual([]);
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
  });

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

  describe(`${name}: bad input`, () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const cases: [string, (t: BaseExperimentTracker) => unknown, string][] = [
      [
        'a result that is not an object',
        (t) => t.log(null as never, 'd', sample(1)),
        'E_INVALID_ARGUMENT',
      ],
      [
        'a result that is an array',
        (t) => t.log([] as never, 'd', sample(1)),
        'E_INVALID_ARGUMENT',
      ],
      [
        'data that is a string',
        (t) => t.log(gllmResult(1, 1, 0), 'd', 'x' as never),
        'E_INVALID_ARGUMENT',
      ],
      [
        'an empty dataset name',
        (t) => t.log(gllmResult(1, 1, 0), '', sample(1)),
        'E_INVALID_ARGUMENT',
      ],
      ['a BigInt in data', (t) => t.log(gllmResult(1, 1, 0), 'd', { n: 1n }), 'E_NOT_SERIALIZABLE'],
      ['a cycle in data', (t) => t.log(gllmResult(1, 1, 0), 'd', cyclic), 'E_NOT_SERIALIZABLE'],
      ['a NaN score', (t) => t.log(gllmResult(NaN, 1, 0), 'd', sample(1)), 'E_NON_FINITE_SCORE'],
      [
        'an Infinity score',
        (t) => t.log({ m: { score: Infinity } }, 'd', sample(1)),
        'E_NON_FINITE_SCORE',
      ],
      [
        'an unknown option',
        (t) => t.log(gllmResult(1, 1, 0), 'd', sample(1), { runid: 'x' } as never),
        'E_UNKNOWN_OPTION',
      ],
      [
        'metadata that is not an object',
        (t) => t.log(gllmResult(1, 1, 0), 'd', sample(1), { metadata: 3 as never }),
        'E_INVALID_ARGUMENT',
      ],
      [
        'an empty run id',
        (t) => t.log(gllmResult(1, 1, 0), 'd', sample(1), { runId: '' }),
        'E_INVALID_ARGUMENT',
      ],
      [
        'batch lengths that differ',
        (t) => t.logBatch([gllmResult(1, 1, 0)], 'd', []),
        'E_BATCH_LENGTH_MISMATCH',
      ],
      [
        'a batch with one bad result',
        (t) =>
          t.logBatch([gllmResult(1, 1, 0), gllmResult(1, 1, 0), { m: { score: NaN } }], 'd', [
            sample(1),
            sample(2),
            sample(3),
          ]),
        'E_NON_FINITE_SCORE',
      ],
      [
        'a context that is not an object',
        (t) => t.logContext([] as never, { datasetName: 'd' }),
        'E_INVALID_ARGUMENT',
      ],
      [
        'an unknown history option',
        (t) => t.getExperimentHistory({ limit: 1 } as never),
        'E_UNKNOWN_OPTION',
      ],
    ];
    for (const [what, call, code] of cases) {
      it(`rejects ${what} with ${code} and writes nothing`, async () => {
        const t = fresh();
        const error = await expectError(() => call(t), code);
        expect(error).toBeInstanceOf(InvalidInputError);
        expect(error.message).toMatch(/^\[evaltrack\] /);
        expect(await t.getExperimentHistory()).toEqual([]);
        await t.close();
      });
    }

    it('rejects a bad project name or option in the constructor', async () => {
      await expectError(() => target.open(target.newLocation(), ''), 'E_INVALID_ARGUMENT');
      await expectError(
        () => target.open(target.newLocation(), 'p', { scoreKeys: 'x' } as never),
        'E_UNKNOWN_OPTION',
      );
      await expectError(
        () => target.open(target.newLocation(), 'p', { scoreKey: '' }),
        'E_INVALID_ARGUMENT',
      );
    });
  });

  describe(`${name}: input rules`, () => {
    /** Expects `call` to be refused with `code` at `path`, as an {@link InvalidInputError}. */
    async function expectRefused(
      call: () => unknown,
      code: string,
      path: string,
    ): Promise<InvalidInputError> {
      const error = await expectError(call, code);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).path).toBe(path);
      expect(error.message).toMatch(/^\[evaltrack\] /);
      return error as InvalidInputError;
    }

    // The results file's own columns; no score or companion column may take their names.
    const FILE_COLUMNS = [
      'run_id',
      'dataset_name',
      'timestamp',
      'evaluator_name',
      'model_name',
      'data',
      'metadata',
      'result_id',
      'sample_id',
      'project_name',
      'evaluation_result',
    ];

    it('refuses a score or companion column named like a column of the results file', async () => {
      const location = target.newLocation();
      for (const column of FILE_COLUMNS) {
        const t = target.open(location, 'proj', { scoreKey: column });
        await expectRefused(
          () => t.log({ [column]: 1 }, 'd', sample(1)),
          'E_INVALID_ARGUMENT',
          `evaluationResult.${column}`,
        );
        await t.close();
      }
      const t = target.open(location, 'proj', { companionFields: ['success', ...FILE_COLUMNS] });
      for (const column of FILE_COLUMNS) {
        await expectRefused(
          () => t.log({ score: 1, [column]: 2 }, 'd', sample(1)),
          'E_INVALID_ARGUMENT',
          `evaluationResult.${column}`,
        );
        await expectRefused(
          () =>
            t.logBatch([{ m: { score: 1 } }, { score: 1, [column]: 'x' }], 'd', [
              sample(1),
              sample(2),
            ]),
          'E_INVALID_ARGUMENT',
          `evaluationResults[1].${column}`,
        );
      }
      expect(await t.getExperimentHistory()).toEqual([]);
      // Below the top level the same names are ordinary columns.
      const runId = t.log({ judge: { score: 1, data: 2, timestamp: 3 } }, 'd', sample(1));
      const [record] = await t.getRunResults(runId);
      expect(record?.values).toEqual({ 'judge.score': 1, 'judge.data': 2, 'judge.timestamp': 3 });
      // Results stored before this rule cannot carry such a column into this store either.
      const copy = { ...record!, resultId: `${record!.resultId}-copy`, values: { timestamp: 1 } };
      await expectRefused(
        () => t.importResults([copy]),
        'E_INVALID_ARGUMENT',
        'records[0].values.timestamp',
      );
      expect((await t.getRunResults(runId)).map((r) => r.resultId)).toEqual([record!.resultId]);
      await t.close();
    });

    it('refuses lone surrogates in every name and text, with the path, in every store', async () => {
      await expectRefused(
        () => target.open(target.newLocation(), 'proj\ud800'),
        'E_NOT_SERIALIZABLE',
        'projectName',
      );
      const t = fresh({ companionFields: ['success', 'explanation'] });
      const ok = { m: { score: 1 } };
      const cases: [() => unknown, string][] = [
        [() => t.log(ok, 'd', sample(1), { runId: 'run\ud800' }), 'options.runId'],
        [() => t.log(ok, 'd\udfff', sample(1)), 'datasetName'],
        [
          () => t.log(ok, 'd', sample(1), { metadata: { model_name: 'gpt\ud800' } }),
          'options.metadata.model_name',
        ],
        [
          () => t.log(ok, 'd', sample(1), { metadata: { evaluator_name: '\udc00judge' } }),
          'options.metadata.evaluator_name',
        ],
        [
          () => t.log(ok, 'd', sample(1), { metadata: { notes: ['a', 'b\ud800'] } }),
          'options.metadata.notes[1]',
        ],
        [() => t.log(ok, 'd', { id: 's\ud800', input: 'q' }), 'data.id'],
        [() => t.log(ok, 'd', { input: 'question \udfff' }), 'data.input'],
        [() => t.log(ok, 'd', { ...sample(1), ['key\ud800']: 1 }), 'data.key\ud800'],
        [
          () => t.log({ ['judge\ud800']: { score: 1 } }, 'd', sample(1)),
          'evaluationResult.judge\ud800',
        ],
        [
          () => t.log({ m: { score: 1, explanation: 'why \udfff' } }, 'd', sample(1)),
          'evaluationResult.m.explanation',
        ],
        [
          () => t.log({ m: { score: 1, context: [{ text: '\ud800' }] } }, 'd', sample(1)),
          'evaluationResult.m.context[0].text',
        ],
        [() => t.logBatch([ok, ok], 'd', [sample(1), { input: '\ud800' }]), 'data[1].input'],
        [() => t.logContext({ prompt: 'v\ud800' }, { datasetName: 'd' }), 'context.prompt'],
        [() => t.logContext({ k: 1 }, { runId: 'r\ud800', datasetName: 'd' }), 'options.runId'],
      ];
      for (const [call, path] of cases) await expectRefused(call, 'E_NOT_SERIALIZABLE', path);
      expect(await t.getExperimentHistory()).toEqual([]);
      // Nor can an imported result bring one in.
      const runId = t.log(ok, 'd', sample(1));
      const [record] = await t.getRunResults(runId);
      for (const [field, path] of [
        [{ sampleId: 's\ud800' }, 'records[0].sampleId'],
        [{ modelName: 'm\ud800' }, 'records[0].modelName'],
        [{ data: { input: '\udfff' } }, 'records[0].data.input'],
        [{ values: { 'm.score': 1, 'm.note': 'x\ud800' } }, 'records[0].values.m.note'],
      ] as const) {
        const copy = { ...record!, resultId: `${record!.resultId}-copy`, ...field };
        await expectRefused(() => t.importResults([copy]), 'E_NOT_SERIALIZABLE', path);
      }
      expect(await t.getRunResults(runId)).toEqual([record]);
      await t.close();
    });

    it('refuses a score that is not a number or a boolean, and takes null as not scored', async () => {
      const t = fresh();
      const cases: [Record<string, unknown>, string][] = [
        [{ m: { score: 'true' } }, 'evaluationResult.m.score'],
        [{ m: { score: '1' } }, 'evaluationResult.m.score'],
        [{ m: { score: '' } }, 'evaluationResult.m.score'],
        [{ m: { score: new Date(0) } }, 'evaluationResult.m.score'],
        [{ m: { score: { value: 1 } } }, 'evaluationResult.m.score'],
        [{ m: { score: [1] } }, 'evaluationResult.m.score'],
        [{ m: { score: 1, success: 'True' } }, 'evaluationResult.m.success'],
        [{ m: { score: 1, success: {} } }, 'evaluationResult.m.success'],
        [{ m: { aggregate_success: 'true' } }, 'evaluationResult.m.aggregate_success'],
        [{ m: { aggregate_score: '0.9' } }, 'evaluationResult.m.aggregate_score'],
      ];
      for (const [result, path] of cases) {
        const error = await expectRefused(
          () => t.log(result, 'd', sample(1)),
          'E_INVALID_ARGUMENT',
          path,
        );
        expect(error.message).toMatch(/a score must be a number or a boolean/);
      }
      await expectRefused(
        () => t.logBatch([gllmResult(1, 1, 0), { m: { score: '1' } }], 'd', [sample(1), sample(2)]),
        'E_INVALID_ARGUMENT',
        'evaluationResults[1].m.score',
      );
      const exact = fresh({ scoreKey: 'm.accuracy' });
      await expectRefused(
        () => exact.log({ m: { accuracy: '0.9' } }, 'd', sample(1)),
        'E_INVALID_ARGUMENT',
        'evaluationResult.m.accuracy',
      );
      await exact.close();
      expect(await t.getExperimentHistory()).toEqual([]);

      const runId = t.log(
        { m: { score: null, success: null, aggregate_success: null, aggregate_score: null } },
        'd',
        sample(1),
      );
      const [record] = await t.getRunResults(runId);
      expect(record?.values).toEqual({});
      const [run] = await t.getExperimentHistory();
      expect(run).toMatchObject({
        totalData: 1,
        scoredCount: 0,
        averageScore: null,
        successTotal: 0,
        summaryResult: {},
      });
      await t.close();
    });

    it('refuses two score leaves of one name (a key with a dot in it)', async () => {
      const t = fresh();
      await expectRefused(
        () => t.log({ 'a.b': { score: 1 }, a: { b: { score: 2 } } }, 'd', sample(1)),
        'E_INVALID_ARGUMENT',
        'evaluationResult.a.b.score',
      );
      await expectRefused(
        () => t.log({ m: { a: { b: { score: 2 } }, 'a.b': { score: 1 } } }, 'd', sample(1)),
        'E_INVALID_ARGUMENT',
        'evaluationResult.m.a.b.score',
      );
      expect(await t.getExperimentHistory()).toEqual([]);
      await t.close();
    });

    it('keeps __proto__ keys as data everywhere, and never touches Object.prototype', async () => {
      const hostile = '{"__proto__": {"polluted": 1}}';
      const location = target.newLocation();
      const options = {
        scoreKey: 'polluted',
        includeEvalResult: false,
        summaryEvaluators: [
          (results: readonly Record<string, unknown>[]) => ({
            ...(JSON.parse(hostile) as object),
            first: results[0],
          }),
        ],
      };
      const t = target.open(location, 'proj', options);
      try {
        const runId = await t.logBatch(
          [JSON.parse(hostile) as Record<string, unknown>],
          'd',
          [JSON.parse(`{"id": "p1", "__proto__": {"polluted": 2}}`) as Record<string, unknown>],
          { metadata: JSON.parse('{"__proto__": {"polluted": 3}}') as Record<string, unknown> },
        );
        await t.logContext(JSON.parse('{"__proto__": {"polluted": 4}}') as Record<string, unknown>);
        for (const reader of [t, target.open(location, 'proj', options)]) {
          const [record] = await reader.getRunResults(runId);
          expect(JSON.stringify(record?.values)).toBe('{"__proto__.polluted":1}');
          expect(JSON.stringify(record?.data)).toBe('{"id":"p1","__proto__":{"polluted":2}}');
          expect(JSON.stringify(record?.metadata)).toBe('{"__proto__":{"polluted":3}}');
          expect(Object.getPrototypeOf(record?.data)).toBe(Object.prototype);
          expect(record?.sampleId).toBe('p1');
          const [run] = await reader.getExperimentHistory();
          expect(JSON.stringify(run?.context)).toBe('{"__proto__":{"polluted":4}}');
          // The summary evaluator saw the result rebuilt from its columns, key for key.
          expect(JSON.stringify(run?.summaryResult)).toBe(
            '{"__proto__":{"polluted":1},"first":{"__proto__":{"polluted":1}}}',
          );
          expect(Object.getPrototypeOf(run?.summaryResult)).toBe(Object.prototype);
          if (reader !== t) await reader.close();
        }
        // A column named `__proto__` itself, ranked by, is a column like any other.
        const named = fresh({
          scoreKey: '__proto__',
          leaderboardScoreKey: '__proto__',
          includeEvalResult: false,
          summaryEvaluators: [(results) => ({ first: results[0] })],
        });
        const other = named.log(
          JSON.parse('{"__proto__": 0.5}') as Record<string, unknown>,
          'd',
          sample(1),
        );
        const [own] = await named.getRunResults(other);
        expect(JSON.stringify(own?.values)).toBe('{"__proto__":0.5}');
        await named.flush();
        const [ranked] = await named.getExperimentHistory();
        expect(ranked).toMatchObject({ scoreColumn: '__proto__', averageScore: 0.5 });
        expect(JSON.stringify(ranked?.summaryResult)).toBe('{"first":{"__proto__":0.5}}');
        await named.close();
        expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
        expect(({} as Record<string, unknown>)['polluted']).toBe(undefined);
      } finally {
        // So that one store's failure does not spread to every later test.
        delete (Object.prototype as Record<string, unknown>)['polluted'];
        await t.close();
      }
    });

    it('refuses nesting deeper than 500 levels with E_INVALID_ARGUMENT and its path', async () => {
      const nest = (levels: number): Record<string, unknown> => {
        let v: Record<string, unknown> = { leaf: true };
        for (let i = 1; i < levels; i++) v = { a: v };
        return v;
      };
      const deepPath = (levels: number) => '.a'.repeat(levels);
      const t = fresh();
      const cases: [() => unknown, string][] = [
        [() => t.log(gllmResult(1, 1, 0), 'd', nest(501)), `data${deepPath(500)}`],
        [() => t.log(gllmResult(1, 1, 0), 'd', nest(6000)), `data${deepPath(500)}`],
        [
          () => t.log({ m: { score: 1, deep: nest(499) } }, 'd', sample(1)),
          `evaluationResult.m.deep${deepPath(498)}`,
        ],
        [
          () => t.log({ m: { score: 1, deep: nest(6000) } }, 'd', sample(1)),
          `evaluationResult.m.deep${deepPath(498)}`,
        ],
        [
          () => t.log(gllmResult(1, 1, 0), 'd', sample(1), { metadata: nest(6000) }),
          `options.metadata${deepPath(500)}`,
        ],
        [() => t.logContext(nest(6000), { datasetName: 'd' }), `context${deepPath(500)}`],
      ];
      for (const [call, path] of cases) {
        const error = await expectRefused(call, 'E_INVALID_ARGUMENT', path);
        expect(error.message).toMatch(/more than 500 levels/);
      }
      const exact = fresh({ scoreKey: ['m', 'score'] });
      await expectRefused(
        () => exact.log({ m: { score: 1, deep: nest(6000) } }, 'd', sample(1)),
        'E_INVALID_ARGUMENT',
        `evaluationResult.m.deep${deepPath(498)}`,
      );
      await exact.close();
      expect(await t.getExperimentHistory()).toEqual([]);
      // 500 levels are stored and read back exactly.
      const data = nest(500);
      const result = { m: { score: 1, deep: nest(498) } };
      const runId = await t.logBatch([result], 'd', [data], { metadata: nest(500) });
      const [record] = await t.getRunResults(runId);
      expect(record?.data).toEqual(data);
      expect(record?.evaluationResult).toEqual(result);
      expect(record?.metadata).toEqual(nest(500));
      await t.close();
    });

    it('gives a typed error, with the path, for a getter or toJSON that throws', async () => {
      const t = fresh();
      const boom = () => {
        throw new RangeError('boom');
      };
      const data = { ...sample(1) };
      Object.defineProperty(data, 'secret', { get: boom, enumerable: true });
      const cases: [() => unknown, string][] = [
        [() => t.log(gllmResult(1, 1, 0), 'd', data), 'data.secret'],
        [
          () => t.log({ m: { score: 1, extra: { toJSON: boom } } }, 'd', sample(1)),
          'evaluationResult.m.extra',
        ],
        [
          () =>
            t.log(
              {
                m: {
                  get score(): number {
                    return boom();
                  },
                },
              },
              'd',
              sample(1),
            ),
          'evaluationResult.m.score',
        ],
        [
          () => t.log(gllmResult(1, 1, 0), 'd', sample(1), { metadata: { at: { toJSON: boom } } }),
          'options.metadata.at',
        ],
        [() => t.logContext({ v: { toJSON: boom } }, { datasetName: 'd' }), 'context.v'],
      ];
      for (const [call, path] of cases) {
        const error = await expectRefused(call, 'E_NOT_SERIALIZABLE', path);
        expect(error.message).toMatch(/RangeError: boom/);
        expect((error.cause as Error).message).toBe('boom');
      }
      expect(await t.getExperimentHistory()).toEqual([]);
      await t.close();
    });

    it('says what a wrong value is: "got undefined", "got an object"', async () => {
      const t = fresh();
      const cases: [() => unknown, string][] = [
        [
          () => t.log(gllmResult(1, 1, 0), undefined as never, sample(1)),
          'datasetName must be a non-empty string, got undefined',
        ],
        [
          () => t.log(gllmResult(1, 1, 0), {} as never, sample(1)),
          'datasetName must be a non-empty string, got an object',
        ],
        [
          () => t.log(undefined as never, 'd', sample(1)),
          'evaluationResult must be an object, got undefined',
        ],
        [() => t.log(gllmResult(1, 1, 0), 'd', 3 as never), 'data must be an object, got a number'],
      ];
      for (const [call, message] of cases) {
        const error = await expectError(call, 'E_INVALID_ARGUMENT');
        expect(error.message).toBe(`[evaltrack] ${message}`);
      }
      await t.close();
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
