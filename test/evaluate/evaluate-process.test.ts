// evaluate() in a plain `node script.mjs`, where nothing but its own work keeps the process alive:
// the test runner keeps its event loop busy and would hide a process that exits in silence.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import type { ResultRecord } from 'evaltrack';
import { tempDir } from '../helpers/temp-dir.js';

const SCRIPT = fileURLToPath(new URL('../helpers/evaluate-script.mjs', import.meta.url));

function run(scenario: string, folder: string, runId?: string) {
  const r = spawnSync(process.execPath, [SCRIPT, scenario, folder, ...(runId ? [runId] : [])], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return { code: r.status, out: JSON.parse(last) as Record<string, unknown>, stderr: r.stderr };
}

async function stored(folder: string): Promise<ResultRecord[]> {
  const t = new CSVExperimentTracker('p', { outputDir: folder });
  try {
    const runs = await t.getExperimentHistory();
    const out: ResultRecord[] = [];
    for (const run of runs) out.push(...(await t.getRunResults(run.runId)));
    return out;
  } finally {
    await t.close();
  }
}

const ids = (records: ResultRecord[]) => records.map((r) => r.sampleId).sort();
const TEN = Array.from({ length: 10 }, (_, i) => `s${i}`).sort();
const errorOf = (r: ResultRecord) =>
  (r.evaluationResult?.['judge'] ?? Object.values(r.evaluationResult ?? {})[0]) as {
    error?: string;
    attempts?: number;
  };

describe('evaluate() in a child process', () => {
  it('finishes when a rate-limited judge throws once per sample: every sample logged once', async () => {
    using dir = tempDir();
    const r = run('throws-once', dir.path);
    expect(r.code).toBe(0);
    expect(r.out['calls']).toBe(20);
    const records = await stored(dir.path);
    expect(ids(records)).toEqual(TEN);
    expect(records.every((x) => x.values['judge.aggregate_success'] === 1)).toBe(true);
  });

  it('logs every sample as a failure with its error when the judge always throws', async () => {
    using dir = tempDir();
    const r = run('always-throws', dir.path);
    expect(r.code).toBe(0);
    expect(r.out['calls']).toBe(30); // 10 samples x (1 try + 2 retries)
    const records = await stored(dir.path);
    expect(ids(records)).toEqual(TEN);
    expect(records.map((x) => errorOf(x))).toEqual(
      Array.from({ length: 10 }, () => ({ error: 'Error: judge is down', attempts: 3 })),
    );
  });

  it('times out an evaluator that waits on nothing, and logs it', async () => {
    using dir = tempDir();
    const r = run('hangs', dir.path);
    expect(r.code).toBe(0);
    const records = await stored(dir.path);
    expect(ids(records)).toEqual(TEN);
    expect(new Set(records.map((x) => errorOf(x).error))).toEqual(
      new Set(['TimeoutError: evaluator hangs took longer than 200 ms']),
    );
  });

  it('logs evaluators returning null or a non-object as failures', async () => {
    using dir = tempDir();
    const r = run('returns-null', dir.path);
    expect(r.code).toBe(0);
    const records = await stored(dir.path);
    expect(ids(records)).toEqual(TEN);
    const errors = new Map(records.map((x) => [x.sampleId, errorOf(x).error]));
    expect(errors.get('s0')).toBe('TypeError: evaluator returns-null returned null, not an object');
    expect(errors.get('s1')).toBe(
      'TypeError: evaluator returns-null returned number, not an object',
    );
    expect(errors.get('s3')).toBe(
      'TypeError: evaluator returns-null returned an array, not an object',
    );
    expect(errors.get('s4')).toBe(
      'TypeError: evaluator returns-null returned undefined, not an object',
    );
  });

  it('refuses a sample that cannot be stored before any evaluator runs, naming its index', async () => {
    using dir = tempDir();
    const r = run('unstorable', dir.path);
    expect(r.code).toBe(1);
    expect(r.out).toEqual({
      error: '[evaltrack] data[7].context.tokens is NaN, which JSON cannot hold',
      code: 'E_NOT_SERIALIZABLE',
      path: 'data[7].context.tokens',
      calls: 0,
    });
    expect(await stored(dir.path)).toEqual([]);
  });

  it('keeps a metric that gave no score as not scored', async () => {
    using dir = tempDir();
    expect(run('null-score', dir.path).code).toBe(0);
    const records = await stored(dir.path);
    const s3 = records.find((x) => x.sampleId === 's3');
    expect(s3?.values).toEqual({});
    expect(s3?.evaluationResult?.['judge']).toEqual({
      aggregate_score: null,
      aggregate_success: null,
      aggregate_explanation: 'Not scored: Relevance.',
      relevance: {
        score: null,
        success: null,
        threshold: 0.5,
        higher_is_better: true,
        explanation: null,
      },
    });
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const [run0] = await t.getExperimentHistory();
    await t.close();
    // Left out of the mean, counted in n.
    expect([run0?.totalData, run0?.scoredCount, run0?.averageScore]).toEqual([10, 9, 1]);
  });

  it('after Ctrl+C exits non-zero having logged what finished; a rerun finishes the rest', async () => {
    using dir = tempDir();
    const child = spawn(process.execPath, [SCRIPT, 'sigint', dir.path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        const before = stdout;
        stdout += d.toString();
        // Once: a second Ctrl+C stops the process at once, as it should.
        if (!before.includes('ready\n') && stdout.includes('ready\n')) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(1);
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { error: string };
    const runId = /in run (\S+);/.exec(out.error)?.[1] ?? '';
    expect(out.error).toBe(
      `[evaltrack] evaluate() was interrupted by SIGINT: 5 results are logged in run ${runId}; ` +
        `run it again with runId "${runId}" to evaluate the 5 samples left`,
    );
    expect(stderr).toContain('E_ABORTED');
    expect(ids(await stored(dir.path))).toEqual(['s0', 's1', 's2', 's3', 's4']);

    expect(run('resume', dir.path, runId).code).toBe(0);
    expect(ids(await stored(dir.path))).toEqual(TEN);
  });
});
