import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyResults } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { readWithPython } from '../helpers/python.js';
import {
  FIXTURE_DIR,
  FIXTURE_RUN_ID,
  fixtureCopy,
  folderBytes,
  tempDir,
} from '../helpers/temp-dir.js';

const SCORE_COLUMNS = [
  'generation.completeness.score',
  'generation.redundancy.score',
  'generation.groundedness.score',
  'generation.completeness.success',
  'generation.redundancy.success',
  'generation.groundedness.success',
  'generation.aggregate_score',
  'generation.aggregate_success',
];

/** The fixture's rows as Python reads them, with cells typed as our reader types them. */
function pythonRows(folder: string) {
  return readWithPython(folder).rows.map((row) => ({
    runId: row['run_id'],
    timestamp: row['timestamp'],
    values: Object.fromEntries(
      SCORE_COLUMNS.map((c) => {
        const v = row[c] as string;
        return [c, v === 'True' ? true : v === 'False' ? false : Number(v)];
      }),
    ),
    data: row['data'],
    metadata: row['metadata'],
  }));
}

describe('the gllm-evals fixture, written by Python', () => {
  it('reads its one run as the Python tracker wrote it', async () => {
    const t = new CSVExperimentTracker('default', { outputDir: FIXTURE_DIR });
    expect(await t.getExperimentHistory()).toEqual([
      {
        runId: FIXTURE_RUN_ID,
        datasetName: 'dataset_20260511T043742Z',
        evaluatorName: 'generation',
        modelName: 'unknown',
        averageScore: 0.6666666666666666,
        totalData: 3,
        scoreColumn: 'generation.aggregate_success',
        scoredCount: 3,
        scoreStdDev: 0.5773502691896258,
        scorePassFail: true,
        successCount: 2,
        successTotal: 3,
        summaryResult: { accuracy: 0.67 },
        projectName: 'default',
        createdAt: null,
        updatedAt: null,
        context: {},
        measures: null,
      },
    ]);
    await t.close();
  });

  it('gives its 3 records with the values and data of the file', async () => {
    const t = new CSVExperimentTracker('default', { outputDir: FIXTURE_DIR });
    const records = await t.getRunResults(FIXTURE_RUN_ID);
    await t.close();
    expect(
      records.map(({ runId, timestamp, values, data, metadata }) => ({
        runId,
        timestamp,
        values,
        data,
        metadata,
      })),
    ).toEqual(pythonRows(FIXTURE_DIR));
    expect(records.map((r) => r.values['generation.aggregate_success'])).toEqual([0, 1, 1]);
    expect(records[0]?.values['generation.completeness.success']).toBe(false);
    expect(records[0]?.timestamp).toBe('2026-05-11T11:37:58.197195');
    expect(records[0]?.evaluationResult).toBeNull();
    // Made from the rows' content, the same as by earlier versions (so a folder copied before
    // is not copied twice).
    expect(records.map((r) => r.resultId)).toEqual([
      '019e16d4-62b5-7dd5-a4de-2832a24b69ca',
      '019e16d4-62b7-73d1-a939-4c757713b3c2',
      '019e16d4-62b9-74b3-80eb-595ff63df072',
    ]);
    expect(new Set(records.map((r) => r.sampleId)).size).toBe(3);
  });

  it('reading changes no byte of the folder', async () => {
    using dir = fixtureCopy();
    const before = folderBytes(dir.path);
    const t = new CSVExperimentTracker('default', { outputDir: dir.path });
    await t.getExperimentHistory();
    await t.getRunResults(FIXTURE_RUN_ID);
    await t.close();
    expect(folderBytes(dir.path)).toEqual(before);
  });

  it('keeps the Python rows intact and readable when more results are logged', async () => {
    using dir = fixtureCopy();
    const reader = new CSVExperimentTracker('default', { outputDir: dir.path });
    const before = await reader.getRunResults(FIXTURE_RUN_ID);
    await reader.close();
    const pythonBefore = pythonRows(dir.path);

    const t = new CSVExperimentTracker('mine', { outputDir: dir.path });
    const runId = await t.logBatch(
      [
        {
          generation: {
            aggregate_success: true,
            aggregate_score: 1,
            completeness: { score: 1, success: true },
            tone: { score: 0.9, success: true },
          },
        },
      ],
      'faq',
      [{ input: 'q', actual_output: 'a' }],
    );
    const after = await t.getRunResults(FIXTURE_RUN_ID);
    const history = await t.getExperimentHistory();
    await t.close();

    expect(after).toEqual(before);
    expect(pythonRows(dir.path).slice(0, 3)).toEqual(pythonBefore);
    expect(history.map((r) => [r.runId, r.totalData, r.averageScore])).toEqual([
      [runId, 1, 1],
      [FIXTURE_RUN_ID, 3, 0.6666666666666666],
    ]);
    const view = readWithPython(dir.path);
    expect(view.header.slice(0, 15)).toEqual(
      readFileSync(join(FIXTURE_DIR, 'experiment_results.csv'), 'utf8')
        .split('\r\n')[0]!
        .split(',')
        .slice(0, 5)
        .concat(
          [
            'generation.completeness.score',
            'generation.redundancy.score',
            'generation.groundedness.score',
            'generation.tone.score',
          ],
          [
            'generation.completeness.success',
            'generation.redundancy.success',
            'generation.groundedness.success',
            'generation.tone.success',
          ],
          ['generation.aggregate_score', 'generation.aggregate_success'],
        ),
    );
    expect(view.rows[3]?.['generation.tone.score']).toBe('0.9');
    expect(view.rows[0]?.['generation.tone.score']).toBe('');
    expect(view.leaderboard?.map((r) => r['run_id'])).toEqual([runId, FIXTURE_RUN_ID]);
    expect(view.leaderboard?.[1]?.['summary_result']).toBe('{"accuracy": 0.67}');
  });

  it('gives distinct rows of one sample at one time distinct ids, so a copy keeps them all', async () => {
    using dir = tempDir();
    // As the Python tracker writes them: no result id. Two evaluators' rows for one sample in the
    // same microsecond, and the first row once more (a sample logged twice).
    const script = `
import csv, json, sys
header = ['run_id', 'dataset_name', 'timestamp', 'evaluator_name', 'model_name',
          'judge.score', 'lexical.score', 'data', 'metadata']
data = json.dumps({'input': 'q1', 'expected_output': 'a1'})
rows = [['run_1', 'ds', '2026-05-11T11:37:58.197195', 'judge', 'm', '1.0', '', data, '{}'],
        ['run_1', 'ds', '2026-05-11T11:37:58.197195', 'lexical', 'm', '', '0.25', data, '{}']]
with open(sys.argv[1] + '/experiment_results.csv', 'w', newline='', encoding='utf-8') as f:
    w = csv.writer(f)
    w.writerow(header)
    w.writerows(rows + rows[:1])
`;
    execFileSync('python3', ['-c', script, dir.path]);
    const csv = new CSVExperimentTracker('p', { outputDir: dir.path });
    const records = await csv.getRunResults('run_1');
    expect(records.map((r) => [r.evaluatorName, r.values])).toEqual([
      ['judge', { 'judge.score': 1 }],
      ['lexical', { 'lexical.score': 0.25 }],
      ['judge', { 'judge.score': 1 }],
    ]);
    expect(new Set(records.map((r) => r.sampleId)).size).toBe(1);
    expect(new Set(records.map((r) => r.resultId)).size).toBe(3);
    // Every read gives the same ids.
    expect((await csv.getRunResults('run_1')).map((r) => r.resultId)).toEqual(
      records.map((r) => r.resultId),
    );

    const db = new SqliteExperimentTracker('p', { file: `${dir.path}/copy.sqlite` });
    expect(await copyResults(csv, db)).toEqual({ runs: 1, imported: 3, skipped: 0 });
    expect(await copyResults(csv, db)).toEqual({ runs: 1, imported: 0, skipped: 3 });
    const copied = await db.getRunResults('run_1');
    expect(copied.map((r) => [r.resultId, r.evaluatorName, r.values])).toEqual(
      records.map((r) => [r.resultId, r.evaluatorName, r.values]),
    );
    expect((await db.getExperimentHistory())[0]?.totalData).toBe(3);
    await Promise.all([csv.close(), db.close()]);
  });
});
