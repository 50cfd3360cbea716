import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate, metricEvaluator } from 'evaltrack';
import type { MetricInput } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { tempDir } from '../helpers/temp-dir.js';

const samples = (n: number): MetricInput[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    input: `question ${i}`,
    actual_output: i % 3 === 0 ? `answer ${i}` : `wrong ${i}`,
    expected_output: `answer ${i}`,
  }));

const exact = metricEvaluator('exact', {
  match: ({ output, expected }) => ({ score: output === expected ? 1 : 0 }),
});

describe('evaluate()', () => {
  it('logs 1,000 samples exactly once each, failures with their error, despite throws and hangs', async () => {
    using dir = tempDir();
    const tracker = new SqliteExperimentTracker('p', { file: join(dir.path, 'db.sqlite') });
    const attempts = new Map<string, number>();
    const flaky = async (sample: MetricInput) => {
      const id = String(sample['id']);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      const i = Number(id.slice(1));
      if (i % 10 === 1 && n === 1) throw new Error('transient'); // recovers on retry
      if (i % 50 === 2) throw new Error(`always fails ${i}`);
      if (i % 100 === 3) await new Promise(() => {}); // hangs past the timeout, every time
      return { flaky: { score: 1, success: true } };
    };
    const out = await evaluate({
      data: samples(1000),
      evaluators: [exact, flaky],
      tracker,
      datasetName: 'qa',
      concurrency: 20,
      timeoutMs: 250,
      retries: 1,
      progress: false,
    });
    const records = await tracker.getRunResults(out.runId);
    expect(records).toHaveLength(1000);
    expect(new Set(records.map((r) => r.sampleId)).size).toBe(1000);
    const failed = records.filter(
      (r) => (r.evaluationResult?.['flaky'] as { error?: string }).error,
    );
    expect(failed.map((r) => r.sampleId).sort()).toEqual(
      samples(1000)
        .map((s, i) => [s['id'], i] as const)
        .filter(([, i]) => i % 50 === 2 || i % 100 === 3)
        .map(([id]) => id)
        .sort(),
    );
    const timedOut = records.find((r) => r.sampleId === 's3')?.evaluationResult?.['flaky'];
    expect(timedOut).toEqual({
      error: 'TimeoutError: evaluator flaky took longer than 250 ms',
      attempts: 2,
    });
    expect(records.find((r) => r.sampleId === 's2')?.evaluationResult?.['flaky']).toEqual({
      error: 'Error: always fails 2',
      attempts: 2,
    });
    expect(out).toMatchObject({ runId: out.runId, datasetName: 'qa', numSamples: 1000 });
    expect(out.results).toHaveLength(1000);
    expect(out.results[0]).toEqual([
      expect.objectContaining({ exact: expect.objectContaining({ aggregate_success: true }) }),
      { flaky: { score: 1, success: true } },
    ]);
    const [run] = await tracker.getExperimentHistory();
    // Pass rate of `exact` over every sample; failures of `flaky` carry no score, not a zero.
    expect(run).toMatchObject({ totalData: 1000, averageScore: 334 / 1000 });
    await tracker.close();
  });

  it('keeps what was logged when aborted, and a rerun with the same runId logs only the rest', async () => {
    using dir = tempDir();
    const tracker = new CSVExperimentTracker('p', { outputDir: dir.path });
    const controller = new AbortController();
    let calls = 0;
    const slow = async (sample: MetricInput) => {
      calls++;
      if (calls === 300) controller.abort();
      await new Promise((r) => setTimeout(r, 1));
      return { slow: { score: sample['id'] === 's0' ? 1 : 0 } };
    };
    const runId = tracker.newRunId('qa');
    await expect(
      evaluate({
        data: samples(1000),
        evaluators: [slow],
        tracker,
        runId,
        concurrency: 5,
        batchSize: 10,
        signal: controller.signal,
        progress: false,
      }),
    ).rejects.toThrow();
    const first = await tracker.getRunResults(runId);
    expect(first.length).toBeGreaterThan(200);
    expect(first.length).toBeLessThan(1000);
    calls = 0;
    const out = await evaluate({
      data: samples(1000),
      evaluators: [slow],
      tracker,
      runId,
      progress: false,
    });
    expect(calls).toBe(1000 - first.length);
    const all = await tracker.getRunResults(runId);
    expect(all).toHaveLength(1000);
    expect(new Set(all.map((r) => r.sampleId)).size).toBe(1000);
    expect(out.results.filter((r) => r.length === 1)).toHaveLength(1000);
    await tracker.close();
  });

  it('resumes a dataset that lists a sample twice: one stored result covers one occurrence', async () => {
    using dir = tempDir();
    const tracker = new CSVExperimentTracker('p', { outputDir: dir.path });
    const a = { id: 'a', input: 'same question', actual_output: 'x', expected_output: 'x' };
    const b = { id: 'b', input: 'other question', actual_output: 'y', expected_output: 'z' };
    await tracker.logBatch([{ exact: { score: 1 } }], 'qa', [a], { runId: 'r' });
    const seen: string[] = [];
    const counting = async (sample: MetricInput) => {
      seen.push(String(sample['id']));
      return { exact: { score: 1 } };
    };
    const out = await evaluate({
      data: [a, a, b],
      evaluators: [counting],
      tracker,
      runId: 'r',
      progress: false,
      handleSignals: false,
    });
    expect(seen.sort()).toEqual(['a', 'b']);
    expect((await tracker.getRunResults('r')).map((r) => r.sampleId).sort()).toEqual([
      'a',
      'a',
      'b',
    ]);
    // A second resume finds all three and evaluates nothing.
    seen.length = 0;
    await evaluate({
      data: [a, a, b],
      evaluators: [counting],
      tracker,
      runId: 'r',
      progress: false,
    });
    expect(seen).toEqual([]);
    expect(out.results.map((r) => r.length)).toEqual([1, 1, 1]);
    await tracker.close();
  });

  it('reads samples from JSONL and CSV files, named after the file', async () => {
    using dir = tempDir();
    const rows = samples(5);
    writeFileSync(
      join(dir.path, 'faq.jsonl'),
      rows.map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
    writeFileSync(
      join(dir.path, 'support.csv'),
      'id,input,actual_output,expected_output\r\n' +
        rows
          .map((r) => [r['id'], r['input'], r['actual_output'], r['expected_output']].join(','))
          .join('\r\n'),
    );
    const tracker = new CSVExperimentTracker('p', { outputDir: join(dir.path, 'out') });
    for (const file of ['faq.jsonl', 'support.csv']) {
      const out = await evaluate({
        data: join(dir.path, file),
        evaluators: [exact],
        tracker,
        progress: false,
      });
      expect(out.datasetName).toBe(file.split('.')[0]);
      expect((await tracker.getRunResults(out.runId)).map((r) => r.data)).toEqual(rows);
    }
    await tracker.close();
  });

  it('merges summary evaluators into the run and refuses bad options before running', async () => {
    using dir = tempDir();
    const tracker = new CSVExperimentTracker('p', { outputDir: dir.path });
    const out = await evaluate({
      data: samples(10),
      evaluators: [exact],
      tracker,
      progress: false,
      summaryEvaluators: [(results) => ({ n: results.length })],
    });
    expect(out.summaryResult).toEqual({ accuracy: 0.4, n: 10 });
    await expect(evaluate({ data: samples(1), evaluators: [], tracker })).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    });
    await expect(
      evaluate({ data: samples(1), evaluators: [exact], tracker, concurrency: 0 }),
    ).rejects.toMatchObject({
      code: 'E_INVALID_ARGUMENT',
    });
    await expect(
      evaluate({ data: samples(1), evaluators: [exact], tracker, extra: 1 } as never),
    ).rejects.toMatchObject({
      code: 'E_UNKNOWN_OPTION',
    });
    await tracker.close();
  });
});

describe('the quickstart and autoevals', () => {
  it('scores with an autoevals scorer through metricEvaluator', async () => {
    const { Levenshtein } = await import('autoevals');
    const lexical = metricEvaluator('lexical', {
      levenshtein: { metric: Levenshtein, threshold: 0.5 },
    });
    expect(
      await lexical({ actual_output: 'hello world', expected_output: 'hello wrld' }),
    ).toMatchObject({
      lexical: {
        levenshtein: { score: 0.9090909090909091, success: true },
        aggregate_success: true,
      },
    });
  });

  it('runs `npm start` (examples/quickstart.mjs) and prints the leaderboard of two runs', () => {
    using dir = tempDir();
    const script = fileURLToPath(new URL('../../examples/quickstart.mjs', import.meta.url));
    const out = execFileSync(process.execPath, [script], { cwd: dir.path, encoding: 'utf8' });
    expect(out).toMatch(/^Leaderboard of nimbus-support-qa \(.*leaderboard\.csv\), newest first:/);
    expect(out).toMatch(/quickstart_nimbus-support-qa_[0-9a-f]{8} +gpt-large-2026-05 +20 +80\.0%/);
    expect(out).toMatch(/quickstart_nimbus-support-qa_[0-9a-f]{8} +gpt-mini-2026-05 +20 +50\.0%/);
    expect(out).toContain('9 samples now pass (q02, q04, q06, q08, q10, q14, q16, q18, q20)');
    expect(out).toContain('3 samples now fail (q03, q07, q17)');
    // The task step: the stand-in model's answers, with what evaluate() measured of it.
    const task = (model: string) =>
      new RegExp(`^  ${model}: latency p50 (\\d+) ms, p95 (\\d+) ms; (.*)$`, 'm').exec(out);
    const large = task('gpt-large-2026-05');
    const mini = task('gpt-mini-2026-05');
    expect(large?.[3]).toBe('5,543 tokens (4,269 in, 1,274 out); cost $0.0234');
    expect(mini?.[3]).toBe('5,203 tokens (4,269 in, 934 out); cost $0.0012');
    // The stand-ins wait 45 and 20 ms: the measured latency is at least that (p50 within 1%).
    expect(Number(large?.[1])).toBeGreaterThanOrEqual(45);
    expect(Number(mini?.[1])).toBeGreaterThanOrEqual(20);
  });
});

describe('evaluate() without a tracker', () => {
  it('logs into a CSV tracker on ./gllm_evals/experiments, as gllm-evals does', () => {
    using dir = tempDir();
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { evaluate } = await import(${JSON.stringify(join(root, 'dist/index.js'))});
         const r = await evaluate({ data: [{ id: 1, input: 'q' }], evaluators: [() => ({ e: { score: 1 } })], progress: false });
         console.log(JSON.stringify(r));`,
      ],
      { cwd: dir.path, encoding: 'utf8' },
    );
    const result = JSON.parse(out) as {
      runId: string;
      experimentUris: { runUri: string; leaderboardUri: string };
    };
    expect(result.runId).toMatch(/^default_dataset_\d{8}T\d{6}Z_[0-9a-f]{8}$/);
    expect(result.experimentUris).toEqual({
      runUri: join(dir.path, 'gllm_evals', 'experiments', 'experiment_results.csv'),
      leaderboardUri: join(dir.path, 'gllm_evals', 'experiments', 'leaderboard.csv'),
    });
    expect(readFileSync(result.experimentUris.runUri, 'utf8')).toContain(result.runId);
  });
});

describe('evaluate() with a task', () => {
  const questions = (n: number): MetricInput[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      input: `question ${i}`,
      expected_output: `answer ${i}`,
    }));

  it('reads the task return by the wrapper rule, into a copy of the sample', async () => {
    using dir = tempDir();
    const tracker = new CSVExperimentTracker('p', { outputDir: dir.path });
    const data = questions(7);
    const before = structuredClone(data);
    const returns: unknown[] = [
      'answer 0', // the output itself
      { output: 'answer 1', usage: { inputTokens: 3, outputTokens: 2 }, cost: 0.5 }, // wrapper
      { output: { text: 'a' }, extra: 1 }, // a key beside the four: the whole object is the output
      { usage: { inputTokens: 1 } }, // no `output`: the whole object is the output
      null, // a JSON value
      { output: 'answer 5', metadata: { model_name: 'm-large', prompt: 'v3' } },
      [1, 2],
    ];
    const seen: unknown[] = [];
    const out = await evaluate({
      data,
      task: (sample, { trial }) => {
        seen.push([sample['id'], trial]);
        return returns[Number(String(sample['id']).slice(1))];
      },
      evaluators: [exact],
      tracker,
      metadata: { prompt: 'v2', team: 'support' },
      concurrency: 1,
      progress: false,
    });
    expect(data).toEqual(before); // the caller's samples are not changed
    expect(seen).toEqual(data.map((s) => [s['id'], 0]));
    const records = await tracker.getRunResults(out.runId);
    expect(records.map((r) => r.data['actual_output'])).toEqual([
      'answer 0',
      'answer 1',
      { output: { text: 'a' }, extra: 1 },
      { usage: { inputTokens: 1 } },
      null,
      'answer 5',
      [1, 2],
    ]);
    expect(records[1]?.data).toEqual({ ...data[1], actual_output: 'answer 1' });
    expect(records.map((r) => r.values['exact.aggregate_success'])).toEqual([1, 1, 0, 0, 0, 1, 0]);
    expect(records[1]?.measures?.task).toEqual({
      latencyMs: expect.any(Number),
      usage: { inputTokens: 3, outputTokens: 2 },
      cost: 0.5,
    });
    expect(records[0]?.measures?.task).toEqual({ latencyMs: expect.any(Number) });
    // The task's metadata over evaluate()'s, for that result only.
    expect(records[5]?.metadata).toEqual({ prompt: 'v3', team: 'support', model_name: 'm-large' });
    expect(records[5]?.modelName).toBe('m-large');
    expect(records[4]?.metadata).toEqual({ prompt: 'v2', team: 'support' });
    expect(out.metadata).toMatchObject({ task: 'task' });
    const [run] = await tracker.getExperimentHistory();
    expect(run?.measures).toMatchObject({
      latency: { n: 7 },
      tokens: { n: 1, inputTokens: 3, outputTokens: 2, totalTokens: 5 },
      cost: { n: 1, total: 0.5 },
    });
    await tracker.close();
  });

  it('logs a task that returns what cannot be stored as failed at once, and retries one that returns nothing', async () => {
    using dir = tempDir();
    const tracker = new CSVExperimentTracker('p', { outputDir: dir.path });
    const calls = new Map<string, number>();
    let judged = 0;
    const out = await evaluate({
      data: questions(4),
      inference_fn: (sample) => {
        const id = String(sample['id']);
        calls.set(id, (calls.get(id) ?? 0) + 1);
        if (id === 's0') return { output: { tokens: NaN } };
        if (id === 's1') return { output: 'x', usage: { input_tokens: 3 } };
        if (id === 's2') return undefined;
        return { output: 'answer 3', metadata: 'not an object' };
      },
      evaluators: [
        (sample) => {
          judged++;
          return exact(sample);
        },
      ],
      tracker,
      retries: 2,
      progress: false,
    });
    expect(judged).toBe(0);
    // Bad output fails the same way every time (one attempt); nothing returned is retried.
    expect(Object.fromEntries(calls)).toEqual({ s0: 1, s1: 1, s2: 3, s3: 1 });
    // In data order (the retried one was logged last).
    const records = (await tracker.getRunResults(out.runId)).sort((a, b) =>
      a.sampleId < b.sampleId ? -1 : 1,
    );
    expect(records.map((r) => r.evaluationResult)).toEqual([
      {
        task: {
          error: 'InvalidInputError: [evaltrack] task output.tokens is NaN, which JSON cannot hold',
          attempts: 1,
        },
      },
      {
        task: {
          error:
            'InvalidInputError: [evaltrack] task.usage.input_tokens is not one of inputTokens, outputTokens, totalTokens',
          attempts: 1,
        },
      },
      { task: { error: 'TypeError: task returned undefined, not an output', attempts: 3 } },
      {
        task: {
          error: 'InvalidInputError: [evaltrack] task metadata must be an object, got string',
          attempts: 1,
        },
      },
    ]);
    expect(records.map((r) => r.measures)).toEqual([null, null, null, null]);
    expect(records.map((r) => r.data['actual_output'])).toEqual([null, null, null, null]);
    expect(out.results).toEqual(records.map((r) => [r.evaluationResult]));
    await tracker.close();
  });

  it('runs trials sample by sample, and refuses bad task, inference_fn and trials options', async () => {
    using dir = tempDir();
    const tracker = new CSVExperimentTracker('p', { outputDir: dir.path });
    const seen: string[] = [];
    const out = await evaluate({
      data: questions(3),
      task: (sample, { trial }) => {
        seen.push(`${String(sample['id'])}/${trial}`);
        return trial === 1 ? 'wrong' : `answer ${String(sample['id']).slice(1)}`;
      },
      evaluators: [exact],
      tracker,
      trials: 2,
      concurrency: 1,
      progress: false,
    });
    expect(seen).toEqual(['s0/0', 's0/1', 's1/0', 's1/1', 's2/0', 's2/1']);
    expect(out.numSamples).toBe(3);
    expect(out.metadata).toMatchObject({ trials: 2 });
    expect(
      out.results.map(
        (r) => (r[0] as { exact: { aggregate_success: boolean } }).exact.aggregate_success,
      ),
    ).toEqual([true, false, true, false, true, false]);
    const records = await tracker.getRunResults(out.runId);
    expect(records.map((r) => [r.sampleId, r.measures?.trial])).toEqual([
      ['s0', 0],
      ['s0', 1],
      ['s1', 0],
      ['s1', 1],
      ['s2', 0],
      ['s2', 1],
    ]);
    const task = () => 'x';
    for (const bad of [
      { task, inference_fn: task },
      { task: 'not a function' },
      { inference_fn: 42 },
      { trials: 0 },
      { trials: 1.5 },
    ]) {
      await expect(
        evaluate({ data: questions(1), evaluators: [exact], tracker, ...bad } as never),
      ).rejects.toMatchObject({ code: 'E_INVALID_ARGUMENT' });
    }
    await expect(
      evaluate({ data: questions(1), evaluators: [exact], tracker, inferenceFn: task } as never),
    ).rejects.toMatchObject({ code: 'E_UNKNOWN_OPTION' });
    expect(await tracker.getExperimentHistory()).toHaveLength(1); // nothing else was logged
    await tracker.close();
  });

  it("measures each evaluator's latency without a task, and takes its usage and cost out of its output", async () => {
    using dir = tempDir();
    const tracker = new CSVExperimentTracker('p', { outputDir: dir.path });
    const judge = async (sample: MetricInput) => {
      await new Promise((r) => setTimeout(r, 20));
      return {
        judge: { score: sample['id'] === 's0' ? 1 : 0 },
        usage: { inputTokens: 100, outputTokens: 20 },
        cost: 0.25,
      };
    };
    // An evaluator named `cost` keeps its block: only a number is a cost.
    const cost = () => ({ cost: { score: 1 } });
    const badUsage = (sample: MetricInput) =>
      sample['id'] === 's1'
        ? { other: { score: 1 }, usage: { tokens: 5 } }
        : { other: { score: 1 } };
    const out = await evaluate({
      data: questions(2),
      evaluators: [judge, cost, badUsage],
      tracker,
      progress: false,
    });
    const records = await tracker.getRunResults(out.runId);
    expect(records.map((r) => r.evaluationResult)).toEqual([
      { judge: { score: 1 }, cost: { score: 1 }, other: { score: 1 } },
      {
        judge: { score: 0 },
        cost: { score: 1 },
        badUsage: {
          error:
            'InvalidInputError: [evaltrack] evaluator badUsage.usage.tokens is not one of inputTokens, outputTokens, totalTokens',
          attempts: 1,
        },
      },
    ]);
    expect(records[0]?.measures).toEqual({
      evaluators: {
        judge: {
          latencyMs: expect.any(Number),
          usage: { inputTokens: 100, outputTokens: 20 },
          cost: 0.25,
        },
        cost: { latencyMs: expect.any(Number) },
        badUsage: { latencyMs: expect.any(Number) },
      },
    });
    expect(Object.keys(records[1]?.measures?.evaluators ?? {})).toEqual(['judge', 'cost']);
    // The attempt's wall time: the judge waited 20 ms on a timer.
    expect(records[0]?.measures?.evaluators?.['judge']?.latencyMs).toBeGreaterThanOrEqual(19);
    // No task: no task latency in the run, but the evaluators' tokens and cost.
    expect(out.measures).toEqual({
      latency: null,
      tokens: { n: 2, inputTokens: 200, outputTokens: 40, totalTokens: 240 },
      cost: { n: 2, total: 0.5 },
    });
    await tracker.close();
  });
});
