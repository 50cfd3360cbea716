import { InvalidInputError } from '../../errors.js';
import type { BaseExperimentTracker } from '../../tracker/base-experiment-tracker.js';
import { gllmResult, sample } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** Bad input refused with a typed error before anything is written. */
export function describeBadInput(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    target,
    fresh,
    expectError,
  } = kit;

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
}
