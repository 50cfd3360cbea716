import { gllmResult, sample } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** Input rules on hostile values: __proto__ keys, deep nesting, throwing getters, wrong types. */
export function describeHostileInput(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    target,
    fresh,
    expectError,
    expectRefused,
  } = kit;

  describe(`${name}: input rules`, () => {
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
  });
}
