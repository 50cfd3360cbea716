import { gllmResult, sample } from './fixtures.js';
import type { ContractKit } from './fixtures.js';

/** Input rules on names and scores: reserved columns, lone surrogates, score types, dotted keys. */
export function describeInputNamesAndScores(kit: ContractKit): void {
  const {
    api: { describe, it, expect },
    name,
    target,
    fresh,
    expectRefused,
  } = kit;

  describe(`${name}: input rules`, () => {
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
  });
}
