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
            x: { score: -0.5, success: 'maybe' },
            y: { score: '0.5', success: 'True' },
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
      expect(second?.values).toEqual({
        'generation.x.score': -0.5,
        'generation.y.score': '0.5',
        'generation.x.success': 'maybe',
        'generation.y.success': 'True',
        'generation.aggregate_success': 1,
      });
      expect(second?.evaluatorName).toBe('generation');
      expect(first?.resultId).toMatch(UUID_V7);
      expect(second!.resultId > first!.resultId).toBe(true);
      expect(first?.timestamp).toMatch(ISO_UTC);
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
        input: 'naïve café 中文 العربية 🎉 👩‍👩‍👧, a lone \ud800 and \udfff, tab\t, NUL \u0000',
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
