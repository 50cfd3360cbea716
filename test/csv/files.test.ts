import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker, SimpleExperimentTracker } from 'evaltrack/csv';
import { gllmResult } from 'evaltrack/testing';
import { readWithPython } from '../helpers/python.js';
import { folderBytes, tempDir } from '../helpers/temp-dir.js';

const TRICKY = [
  'comma, "quote" and \'apostrophe\'',
  'CR\rLF\nCRLF\r\nend',
  'tab\there',
  'unicode: naïve café – ü ß 中文 العربية',
  // Lone surrogates are refused by every tracker (the contract suite), so they are not here.
  'emoji: 🎉👩‍👩‍👧 and a pair \ud83d\ude00',
  '=HYPERLINK("http://evil.example","click")',
  '+1',
  '-1+2',
  '@SUM(A1)',
  "'=x",
  '-0.5',
  '',
  'NUL \u0000 and DEL \u007f',
];

describe('the files on disk', () => {
  it('writes the gllm-evals layout and value formats', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const runId = await t.logBatch(
      [gllmResult(0.5, 1, 0), gllmResult(1, 1, 0)],
      'faq',
      [
        { id: 'a', input: 'q' },
        { id: 'b', input: 'r' },
      ],
      {
        metadata: { model_name: 'gpt-x' },
      },
    );
    await t.close();
    const text = readFileSync(join(dir.path, 'experiment_results.csv'), 'utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'run_id,dataset_name,timestamp,evaluator_name,model_name,' +
        'generation.completeness.score,generation.groundedness.score,generation.redundancy.score,' +
        'generation.completeness.success,generation.groundedness.success,generation.redundancy.success,' +
        'generation.aggregate_score,generation.aggregate_success,data,metadata,' +
        'result_id,sample_id,project_name,evaluation_result',
    );
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(lines[1]).toMatch(
      new RegExp(
        `^${runId},faq,\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z,generation,gpt-x,0\\.5,1\\.0,0\\.0,False,True,True,0\\.8333333333333334,0\\.0,"\\{""id"":""a"",""input"":""q""\\}","\\{""model_name"":""gpt-x""\\}",[0-9a-f-]{36},a,p,"\\{""generation"":`,
      ),
    );
    const board = readFileSync(join(dir.path, 'leaderboard.csv'), 'utf8').split('\r\n');
    expect(board[0]).toBe(
      'run_id,dataset_name,evaluator_name,model_name,average_score,total_data,score_column,summary_result,project_name,created_at,updated_at,context,latency_mean_ms,latency_p95_ms,total_tokens,total_cost',
    );
    expect(board[1]).toMatch(
      new RegExp(
        `^${runId},faq,generation,gpt-x,0\\.5,2,generation\\.aggregate_success,"\\{""accuracy"": 0\\.5\\}",p,[\\dT:.Z-]+,[\\dT:.Z-]+,\\{\\},,,,$`,
      ),
    );
  });

  it('round-trips awkward text exactly through our reader and Python csv + json', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', {
      outputDir: dir.path,
      companionFields: ['success', 'explanation'],
    });
    const huge = 'x'.repeat(10 * 1024 * 1024) + ', "end"\r\n';
    const data = TRICKY.map((text, i) => ({ id: `t${i}`, input: text, nested: { text } }));
    data.push({ id: 'huge', input: huge, nested: { text: 'huge' } });
    const results = data.map((d, i) => ({
      judge: {
        score: -0.5 + i,
        success: true,
        explanation: TRICKY[i]?.isWellFormed() ? TRICKY[i] : 'plain',
      },
    }));
    const runId = await t.logBatch(results, 'odd', data);
    const records = await t.getRunResults(runId);
    await t.close();
    expect(records.map((r) => r.data)).toEqual(data);
    expect(records.map((r) => r.evaluationResult)).toEqual(results);
    expect(records.map((r) => r.values['judge.score'])).toEqual(results.map((r) => r.judge.score));
    expect(records.map((r) => r.values['judge.explanation'] ?? '')).toEqual(
      results.map((r) => r.judge.explanation),
    );

    const view = readWithPython(dir.path);
    expect(view.rows.map((r) => r['data'])).toEqual(data);
    expect(view.rows.map((r) => r['evaluation_result'])).toEqual(results);
    expect(view.rows.map((r) => r['judge.score'])).toEqual(
      results.map((r) => String(r.judge.score.toFixed(1))),
    );

    // Formula cells are escaped in the file, so a spreadsheet shows them as text.
    const raw = readFileSync(join(dir.path, 'experiment_results.csv'), 'utf8');
    expect(raw).toContain(`,"'=HYPERLINK(""http://evil.example"",""click"")",`);
    expect(raw).toContain(",'+1,");
    expect(raw).toContain(",'@SUM(A1),");
    expect(raw).toContain(",''=x,");
    expect(raw).toContain(',-0.5,');
  });

  it('keeps a lone \\r in every text column exactly, for our reader and Python csv', async () => {
    using dir = tempDir();
    const cr = (name: string) => `${name} a\rb`;
    const t = new CSVExperimentTracker(cr('project'), {
      outputDir: dir.path,
      companionFields: ['success', 'explanation'],
    });
    const result = { judge: { score: 1, success: true, explanation: cr('explanation') } };
    const data = { id: cr('sample'), input: cr('input') };
    const metadata = { evaluator_name: cr('evaluator'), model_name: cr('model') };
    const runId = await t.logBatch([result], cr('dataset'), [data], {
      runId: cr('run'),
      metadata,
    });
    const [record] = await t.getRunResults(runId);
    await t.close();
    expect(record).toMatchObject({
      runId: cr('run'),
      datasetName: cr('dataset'),
      evaluatorName: cr('evaluator'),
      modelName: cr('model'),
      sampleId: cr('sample'),
      values: { 'judge.score': 1, 'judge.success': true, 'judge.explanation': cr('explanation') },
      data,
      metadata,
      evaluationResult: result,
    });
    const view = readWithPython(dir.path);
    expect(view.rows).toEqual([
      expect.objectContaining({
        run_id: cr('run'),
        dataset_name: cr('dataset'),
        evaluator_name: cr('evaluator'),
        model_name: cr('model'),
        sample_id: cr('sample'),
        project_name: cr('project'),
        'judge.explanation': cr('explanation'),
        data,
        metadata,
        evaluation_result: result,
      }),
    ]);
    expect(view.leaderboard).toEqual([
      expect.objectContaining({
        run_id: cr('run'),
        dataset_name: cr('dataset'),
        evaluator_name: cr('evaluator'),
        model_name: cr('model'),
        project_name: cr('project'),
      }),
    ]);
  });

  it('grows the header for a new metric, keeping every value under its name', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const runId = t.log({ g: { a: { score: 1, success: true } } }, 'd', { id: 1 });
    t.log({ g: { b: { score: 0.5, success: false } } }, 'd', { id: 2 });
    t.log({ h: { aggregate_success: true, c: { score: 0.25 } } }, 'd', { id: 3 });
    const records = await t.getRunResults(runId);
    await t.close();
    expect(records.map((r) => r.values)).toEqual([
      { 'g.a.score': 1, 'g.a.success': true },
      { 'g.b.score': 0.5, 'g.b.success': false },
      { 'h.c.score': 0.25, 'h.aggregate_success': 1 },
    ]);
    const view = readWithPython(dir.path);
    expect(view.header.slice(5, 11)).toEqual([
      'g.a.score',
      'g.b.score',
      'h.c.score',
      'g.a.success',
      'g.b.success',
      'h.aggregate_success',
    ]);
    expect(
      view.rows.map((r) => [
        r['g.a.score'],
        r['g.b.score'],
        r['h.c.score'],
        r['h.aggregate_success'],
      ]),
    ).toEqual([
      ['1.0', '', '', ''],
      ['', '0.5', '', ''],
      ['', '', '0.25', '1.0'],
    ]);
  });

  it('writes nothing for bad input, a batch included', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    await t.logBatch([gllmResult(1, 1, 0)], 'd', [{ id: 1 }]);
    const before = folderBytes(dir.path);
    const bad: (() => unknown)[] = [
      () => t.logBatch([gllmResult(1, 1, 0), { g: { score: NaN } }], 'd', [{ id: 2 }, { id: 3 }]),
      () => t.logBatch([gllmResult(1, 1, 0), gllmResult(1, 1, 0)], 'd', [{ id: 2 }, { id: 3n }]),
      () => t.log(gllmResult(1, 1, 0), 'bad \ud800 name', { id: 4 }),
      () => t.log({ g: { score: 1, success: 'lone \udc00' } }, 'd', { id: 5 }),
      () => t.log({ g: { 'metric \ud800': { score: 1 } } }, 'd', { id: 8 }),
      () => t.logBatch([gllmResult(1, 1, 0)], 'd', [{ id: 6 }, { id: 7 }]),
    ];
    for (const call of bad)
      await expect(Promise.resolve().then(call)).rejects.toMatchObject({
        code: expect.stringMatching(/^E_/),
      });
    expect(folderBytes(dir.path)).toEqual(before);
    await t.close();
  });

  it('SimpleExperimentTracker ranks by its score key and writes no extra columns', async () => {
    using dir = tempDir();
    const t = new SimpleExperimentTracker('legacy', { outputDir: dir.path });
    const runId = t.log(
      { generation: { score: 1, relevancy_rating: 'good', completeness: { score: 0.5 } } },
      'qa',
      { query: 'q' },
    );
    t.log({ generation: { score: 0, relevancy_rating: 'bad', completeness: { score: 1 } } }, 'qa', {
      query: 'r',
    });
    const [run] = await t.getExperimentHistory();
    await t.close();
    expect(run).toMatchObject({
      runId,
      averageScore: 0.5,
      scoreColumn: 'generation.score',
      summaryResult: {},
    });
    expect(readWithPython(dir.path).header.slice(5, 7)).toEqual([
      'generation.score',
      'generation.completeness.score',
    ]);
  });
});

describe('leaderboard.csv for other readers', () => {
  it('ranks by the first match in each result’s own order when refolded from the file alone', async () => {
    using dir = tempDir();
    const csv = new CSVExperimentTracker('p', { outputDir: dir.path });
    // r1 puts judge.aggregate_success first in the header; r2's own first match is rag's.
    await csv.logBatch([{ judge: { aggregate_success: false } }], 'd', [{ id: 1 }], {
      runId: 'r1',
    });
    await csv.logBatch(
      [{ rag: { aggregate_success: true }, judge: { aggregate_success: false } }],
      'd',
      [{ id: 1 }],
      { runId: 'r2' },
    );
    // A reader that refolds the file from scratch agrees.
    rmSync(join(dir.path, '.evaltrack-state.json'));
    const reread = new CSVExperimentTracker('p', { outputDir: dir.path });
    expect(
      (await reread.getExperimentHistory())
        .map((r) => [r.runId, r.scoreColumn, r.averageScore])
        .sort(),
    ).toEqual([
      ['r1', 'judge.aggregate_success', 0],
      ['r2', 'rag.aggregate_success', 1],
    ]);
    await Promise.all([csv.close(), reread.close()]);
  });

  it('is rebuilt by a reader when a writer stopped before refreshing it', async () => {
    using dir = tempDir();
    const writer = new CSVExperimentTracker('p', { outputDir: dir.path });
    const runId = writer.log(gllmResult(1, 1, 0), 'd', { id: 1 });
    writer.log(gllmResult(0, 1, 0), 'd', { id: 2 });
    // No close(): as if the process had been killed.
    expect(readdirSync(dir.path)).not.toContain('leaderboard.csv');
    const reader = new CSVExperimentTracker('p', { outputDir: dir.path });
    expect((await reader.getExperimentHistory())[0]).toMatchObject({ runId, totalData: 2 });
    await reader.close();
    expect(
      readWithPython(dir.path).leaderboard?.map((r) => [r['run_id'], r['total_data']]),
    ).toEqual([[runId, '2']]);
  });

  it('upgrades a version-1 state file: refolds the sums, keeps the context', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const runId = await t.logBatch(
      [gllmResult(1, 1, 0), gllmResult(0, 1, 0), gllmResult(1, 1, 0)],
      'd',
      [{ id: 1 }, { id: 2 }, { id: 3 }],
    );
    await t.logContext({ commit: 'abc' }, { runId });
    const expected = await t.getExperimentHistory();
    await t.close();
    // The state as evaltrack 0.1 wrote it: no spread of scores.
    const statePath = join(dir.path, '.evaltrack-state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as {
      runs: Record<string, unknown>[];
    };
    for (const run of state.runs) {
      delete run['scoreSumSq'];
      delete run['scorePassFailCount'];
    }
    writeFileSync(statePath, JSON.stringify({ ...state, version: 1 }));
    const reader = new CSVExperimentTracker('p', { outputDir: dir.path });
    expect(await reader.getExperimentHistory()).toEqual(expected);
    expect(expected[0]).toMatchObject({
      runId,
      scoredCount: 3,
      scorePassFail: true,
      scoreStdDev: expect.closeTo(Math.sqrt(1 / 3), 12),
      context: { commit: 'abc' },
    });
    await reader.close();
  });

  it('does not fail a stored batch when the lock for the leaderboard is held too long', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path, lockTimeoutMs: 50 });
    const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [{ id: 1 }]);
    const warnings: string[] = [];
    const slow = new CSVExperimentTracker('p', {
      outputDir: dir.path,
      lockTimeoutMs: 50,
      onWarning: (_m, code) => warnings.push(code),
    });
    slow.log(gllmResult(1, 1, 0), 'd', { id: 2 }, { runId });
    // Then a live process holds the lock (the parent of this test process: alive by definition).
    writeFileSync(join(dir.path, '.evaltrack.lock'), `${process.ppid}@${hostname()} 0 x\n`);
    await expect(slow.logBatch([gllmResult(0, 1, 0)], 'd', [{ id: 3 }], { runId })).resolves.toBe(
      runId,
    );
    expect(warnings).toContain('EVALTRACK_LEADERBOARD_STALE');
    expect((await slow.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 2, 3]);
    rmSync(join(dir.path, '.evaltrack.lock'));
    await slow.close();
    await t.close();
  });

  it('rejects logContext() and close() when the lock is held too long, and keeps the context until it can be saved', async () => {
    using dir = tempDir();
    const lock = join(dir.path, '.evaltrack.lock');
    const t = new CSVExperimentTracker('p', { outputDir: dir.path, lockTimeoutMs: 50 });
    const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [{ id: 1 }]);
    // A live process (the parent of this test process) holds the lock past lockTimeoutMs.
    writeFileSync(lock, `${process.ppid}@${hostname()} 0 x\n`);
    await expect(t.logContext({ prompt: 'v3' }, { runId })).rejects.toMatchObject({
      code: 'E_NOT_STORED',
      results: [],
      pendingRunChanges: 1,
      cause: { code: 'E_LOCK_TIMEOUT' },
    });
    // Not stored, as the rejection said; kept, and saved by the next call that can.
    const other = new CSVExperimentTracker('p', { outputDir: dir.path });
    expect((await other.getExperimentHistory())[0]?.context).toEqual({});
    rmSync(lock);
    await t.flush();
    expect((await other.getExperimentHistory())[0]?.context).toEqual({ prompt: 'v3' });

    writeFileSync(lock, `${process.ppid}@${hostname()} 0 x\n`);
    await expect(t.logContext({ git: 'abc' }, { runId })).rejects.toMatchObject({
      code: 'E_NOT_STORED',
    });
    // A batch whose results are written resolves (rejecting would have them logged twice).
    await expect(t.logBatch([gllmResult(0, 1, 0)], 'd', [{ id: 2 }], { runId })).resolves.toBe(
      runId,
    );
    const closing = t.close();
    await expect(closing).rejects.toMatchObject({ code: 'E_NOT_STORED', pendingRunChanges: 1 });
    await expect(closing).rejects.toThrow(`run "${runId}": context (git)`);
    rmSync(lock);
    expect((await other.getExperimentHistory())[0]).toMatchObject({
      totalData: 2,
      context: { prompt: 'v3' },
    });
    expect((await other.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 2]);
    await other.close();
  });

  it('with summary evaluators, a stored batch resolves under a held lock, and close() rejects naming the summary', async () => {
    using dir = tempDir();
    const lock = join(dir.path, '.evaltrack.lock');
    const warnings: string[] = [];
    const t = new CSVExperimentTracker('p', {
      outputDir: dir.path,
      lockTimeoutMs: 50,
      summaryEvaluators: [(results) => ({ n: results.length })],
      onWarning: (_m, code) => warnings.push(code),
    });
    const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [{ id: 1 }]);
    writeFileSync(lock, `${process.ppid}@${hostname()} 0 x\n`);
    // Its results are stored: rejecting would make the caller log them twice.
    await expect(t.logBatch([gllmResult(0, 1, 0)], 'd', [{ id: 2 }], { runId })).resolves.toBe(
      runId,
    );
    expect(warnings).toContain('EVALTRACK_LEADERBOARD_STALE');
    const closing = t.close();
    await expect(closing).rejects.toMatchObject({ code: 'E_NOT_STORED', results: [] });
    await expect(closing).rejects.toThrow(`run "${runId}": summary`);
    rmSync(lock);
    const reader = new CSVExperimentTracker('p', { outputDir: dir.path });
    expect((await reader.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 2]);
    expect((await reader.getExperimentHistory())[0]?.summaryResult).toEqual({
      accuracy: 0.5,
      n: 1,
    });
    await reader.close();
  });

  it('quotes and escapes metric names in the header like any text', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const result = { judge: { 'tone, style': { score: 0.5 }, '=cmd()': { score: 1 } } };
    const runId = t.log(result, 'd', { id: 1 });
    expect((await t.getRunResults(runId))[0]?.values).toEqual({
      'judge.tone, style.score': 0.5,
      'judge.=cmd().score': 1,
    });
    await t.close();
    expect(readWithPython(dir.path).header.slice(5, 7)).toEqual([
      'judge.tone, style.score',
      'judge.=cmd().score',
    ]);
  });
});
