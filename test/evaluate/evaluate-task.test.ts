// evaluate() running the application too (`task`), as a user runs it: `node script.mjs` in a child
// process, its task calling a real HTTP server on 127.0.0.1 through `fetch`, so that time limits,
// retries and latency are measured on real sockets; the results read back from each store.
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openTracker } from 'evaltrack';
import type { ResultRecord, RunSummary } from 'evaltrack';
import {
  ANSWER_COST,
  ANSWER_MODEL,
  ANSWER_USAGE,
  answerOf,
  startAnswerServer,
} from '../helpers/answer-server.js';
import type { AnswerPlan } from '../helpers/answer-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { testStores } from '../helpers/test-stores.js';

const SCRIPT = fileURLToPath(new URL('../helpers/evaluate-task-script.mjs', import.meta.url));
const BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../dist/cli/bin.js');
const DELAY_MS = 30;
const TIMEOUT_MS = 300;
const TRIALS = 3;
const IDS = Array.from({ length: 10 }, (_, i) => `s${i}`);
const pairs = (ids: string[], trials: number[]) =>
  ids.flatMap((id) => trials.map((t) => `${id}/${t}`)).sort();
const ALL_PAIRS = pairs(IDS, [0, 1, 2]);

interface ScriptOut {
  runId: string;
  judgeCalls: number;
  numSamples: number;
  results: unknown[][];
  measures: RunSummary['measures'];
  error?: string;
}

interface Config {
  store: string;
  base: string;
  trials: number;
  timeoutMs: number;
  runId?: string;
  scenario?: string;
  readyAfter?: number;
}

function run(config: Config): Promise<{ code: number | null; out: ScriptOut; stderr: string }> {
  // Asynchronous: the server answering the child runs in this process.
  return new Promise((done) => {
    const child = spawn(process.execPath, [SCRIPT, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '{}';
      done({ code, out: JSON.parse(last) as ScriptOut, stderr });
    });
  });
}

async function readRun(store: string, runId: string): Promise<[ResultRecord[], RunSummary]> {
  const t = await openTracker('p', { store, create: false });
  try {
    const run = await t.getRun(runId);
    if (!run) throw new Error(`no run ${runId} in ${store}`);
    return [await t.getRunResults(runId), run];
  } finally {
    await t.close();
  }
}

const pairOf = (r: ResultRecord) => `${r.sampleId}/${r.measures?.trial}`;
const RATE_LIMITED = new Set(['s0', 's3', 's6']);
const MAIN_PLAN: AnswerPlan = {
  delayMs: DELAY_MS,
  rateLimited: (id) => RATE_LIMITED.has(id),
  hangs: (id) => id === 's9',
};

// Every store kind: a CSV folder (the default), SQLite, JSON Lines and PostgreSQL.
for (const testStore of testStores()) {
  describe.skipIf(testStore.skip !== null)(
    `evaluate() with a task, in ${testStore.kind}${testStore.skip ? ` (skipped: ${testStore.skip})` : ''}`,
    () => {
      it('runs the task over real HTTP 3 times per sample: outputs, retries after 429, time limits, latency, tokens and cost', async () => {
        const store = testStore.address(testStore.newLocation());
        await using server = await startAnswerServer(MAIN_PLAN);
        const r = await run({ store, base: server.base, trials: TRIALS, timeoutMs: TIMEOUT_MS });
        expect(r.code, r.stderr).toBe(0);
        // The judge runs once per answered (sample, trial); never on a task that failed.
        expect(r.out.judgeCalls).toBe(27);
        expect(r.out.numSamples).toBe(10);

        // The server's side: one request per pair, two where the first got a 429, three (the first
        // try and two retries) where the server never answered.
        const expectedRequests = Object.fromEntries(
          ALL_PAIRS.map((p) => {
            const id = p.split('/')[0] as string;
            return [p, id === 's9' ? 3 : RATE_LIMITED.has(id) ? 2 : 1];
          }),
        );
        expect(Object.fromEntries([...server.requests].sort())).toEqual(expectedRequests);

        const [records, summary] = await readRun(store, r.out.runId);
        expect(records.map(pairOf).sort()).toEqual(ALL_PAIRS);
        for (const rec of records) {
          const trial = rec.measures?.trial as number;
          if (rec.sampleId === 's9') {
            // Logged, with the task's error; no output, no evaluator, no latency.
            expect(rec.evaluationResult).toEqual({
              task: { error: `TimeoutError: task took longer than ${TIMEOUT_MS} ms`, attempts: 3 },
            });
            expect(rec.data).toEqual({
              id: 's9',
              input: 'question 9',
              expected_output: 'answer 9',
              actual_output: null,
            });
            expect(rec.measures).toEqual({ trial });
            expect(rec.values).toEqual({});
            continue;
          }
          const pass = Number(rec.sampleId.slice(1)) % 2 === 0;
          // What the server sent is the sample's actual_output, in the stored data.
          expect(rec.data['actual_output']).toBe(answerOf(rec.sampleId));
          // The judge's usage and cost are measures, not part of its output.
          expect(rec.evaluationResult).toEqual({
            judge: { aggregate_score: pass ? 1 : 0, aggregate_success: pass },
          });
          expect(rec.metadata).toEqual({ model_name: ANSWER_MODEL });
          expect(rec.modelName).toBe(ANSWER_MODEL);
          expect(rec.measures).toEqual({
            trial,
            task: { latencyMs: expect.any(Number), usage: ANSWER_USAGE, cost: ANSWER_COST },
            evaluators: {
              judge: {
                latencyMs: expect.any(Number),
                usage: { inputTokens: 7, outputTokens: 1, totalTokens: 8 },
                cost: 0.125,
              },
            },
          });
          // The server waited DELAY_MS before answering: the attempt that answered took at least
          // that long (the 429 before it came at once).
          expect(rec.measures?.task?.latencyMs).toBeGreaterThanOrEqual(DELAY_MS);
          expect(rec.measures?.evaluators?.['judge']?.latencyMs).toBeGreaterThanOrEqual(0);
          // Stored to the microsecond: at most three decimals.
          for (const ms of [
            rec.measures?.task?.latencyMs,
            rec.measures?.evaluators?.['judge']?.latencyMs,
          ])
            expect(String(ms)).toMatch(/^\d+(\.\d{1,3})?$/);
        }

        // The run's measures: 27 results with a task latency, tokens and cost of task and judge.
        expect(summary.measures).toEqual({
          latency: {
            n: 27,
            meanMs: expect.any(Number),
            p50Ms: expect.any(Number),
            p95Ms: expect.any(Number),
            maxMs: expect.any(Number),
          },
          tokens: { n: 27, inputTokens: 27 * 17, outputTokens: 27 * 6, totalTokens: 27 * 23 },
          cost: { n: 27, total: 27 * 0.375 },
        });
        const latency = summary.measures?.latency;
        expect(latency?.meanMs).toBeGreaterThanOrEqual(DELAY_MS);
        expect(latency?.p50Ms).toBeGreaterThanOrEqual(DELAY_MS * 0.99); // the sketch: within 1%
        expect(latency?.maxMs).toBeGreaterThanOrEqual(DELAY_MS);
        expect(r.out.measures).toEqual(summary.measures);
        expect([summary.totalData, summary.scoredCount, summary.averageScore]).toEqual([
          30,
          27,
          15 / 27,
        ]);

        // The trials are repetitions of one sample for the command line: pass@k and pass^k.
        const show = spawnSync(process.execPath, [BIN, 'show', r.out.runId, '--store', store], {
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
        });
        const lines = show.stdout.trim().split('\n');
        expect([lines[0], lines.at(-1)]).toEqual([
          `${r.out.runId} on judge.aggregate_success: 30 results, 15 passed, 12 failed, 0 not scored, 3 evaluator errors`,
          '9 samples tried more than once (up to 3 times): pass@1 0.556, pass@n 0.556, pass^n 0.556',
        ]);

        // evaluate()'s own results: sample by sample, each sample's trials in order.
        expect(r.out.results).toHaveLength(30);
        expect(r.out.results[27]).toEqual([
          { task: { error: `TimeoutError: task took longer than ${TIMEOUT_MS} ms`, attempts: 3 } },
        ]);
        expect(r.out.results.slice(0, 3)).toEqual([
          [{ judge: { aggregate_score: 1, aggregate_success: true } }],
          [{ judge: { aggregate_score: 1, aggregate_success: true } }],
          [{ judge: { aggregate_score: 1, aggregate_success: true } }],
        ]);
        expect(r.out.results[3]).toEqual([
          { judge: { aggregate_score: 0, aggregate_success: false } },
        ]);
      });

      it('after Ctrl+C a rerun with the runId runs exactly the (sample, trial) pairs not stored', async () => {
        const store = testStore.address(testStore.newLocation());
        // Even samples hang on trial 0, odd ones on trial 2: one pair per sample is left, and it is
        // not the same trial for all (a resume counting per sample would run the wrong trials).
        const left = (id: string, trial: number) =>
          Number(id.slice(1)) % 2 === 0 ? trial === 0 : trial === 2;
        await using server = await startAnswerServer({
          delayMs: DELAY_MS,
          rateLimited: () => false,
          hangs: left,
        });
        const config: Config = {
          store,
          base: server.base,
          trials: TRIALS,
          timeoutMs: 60_000,
          scenario: 'sigint',
          readyAfter: 20,
        };
        const child = spawn(process.execPath, [SCRIPT, JSON.stringify(config)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((done) => {
          child.stdout.on('data', (d: Buffer) => {
            const before = stdout;
            stdout += d.toString();
            if (!before.includes('ready\n') && stdout.includes('ready\n')) child.kill('SIGINT');
          });
          child.on('exit', (c) => done(c));
        });
        expect(code, stderr).toBe(1);
        const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { error: string };
        const runId = /in run (\S+);/.exec(out.error)?.[1] ?? '';
        expect(out.error).toBe(
          `[evaltrack] evaluate() was interrupted by SIGINT: 20 results are logged in run ${runId}; ` +
            `run it again with runId "${runId}" to evaluate the 10 sample trials left`,
        );
        const leftPairs = ALL_PAIRS.filter((p) => {
          const [id, t] = p.split('/') as [string, string];
          return left(id, Number(t));
        });
        const [first] = await readRun(store, runId);
        expect(first.map(pairOf).sort()).toEqual(ALL_PAIRS.filter((p) => !leftPairs.includes(p)));

        server.plan = { delayMs: DELAY_MS, rateLimited: () => false, hangs: () => false };
        server.requests.clear();
        const again = await run({ ...config, runId, scenario: 'resume' });
        expect(again.code, again.stderr).toBe(0);
        // Only the pairs the run lacked were asked for, and judged.
        expect([...server.requests.keys()].sort()).toEqual(leftPairs);
        expect(again.out.judgeCalls).toBe(10);
        const [records, summary] = await readRun(store, runId);
        expect(records.map(pairOf).sort()).toEqual(ALL_PAIRS);
        expect(summary.measures?.latency?.n).toBe(30);
        // The stored results fill in evaluate()'s results, in sample and trial order.
        expect(again.out.results).toEqual(
          IDS.flatMap((id) => {
            const pass = Number(id.slice(1)) % 2 === 0;
            return Array.from({ length: TRIALS }, () => [
              { judge: { aggregate_score: pass ? 1 : 0, aggregate_success: pass } },
            ]);
          }),
        );
      });
    },
  );
}

describe('a failed task in compare and gate', () => {
  it('counts a task error as an evaluator error: the gate fails on it', async () => {
    using dir = tempDir();
    const store = join(dir.path, 'csv');
    await using server = await startAnswerServer({
      delayMs: 1,
      rateLimited: () => false,
      hangs: () => false,
    });
    const base = await run({ store, base: server.base, trials: 1, timeoutMs: TIMEOUT_MS });
    expect(base.code, base.stderr).toBe(0);
    server.plan = { delayMs: 1, rateLimited: () => false, hangs: (id) => id === 's9' };
    const candidate = await run({ store, base: server.base, trials: 1, timeoutMs: TIMEOUT_MS });
    expect(candidate.code, candidate.stderr).toBe(0);
    const gate = spawnSync(
      process.execPath,
      [BIN, 'gate', base.out.runId, candidate.out.runId, '--store', store],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(gate.status, gate.stdout + gate.stderr).toBe(1);
    expect(gate.stdout).toContain(
      `1 samples of the candidate are evaluator errors (at most 0): s9 (task: TimeoutError: task took longer than ${TIMEOUT_MS} ms)`,
    );
    expect(gate.stdout).toContain('evaluator errors: 0 in the baseline, 1 in the candidate');
  });
});
