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
    expect(out).toContain('9 samples now pass');
    expect(out).toContain('3 samples now fail (q03, q07, q17)');
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
