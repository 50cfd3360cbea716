// `evaltrack history` and `evaltrack flaky` as a user runs them: the built binary, on a SQLite
// store of five runs made a day apart, and on the gllm-evals fixture (rows without sample ids).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationOutput, MetricInput } from 'evaltrack';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { evaltrack } from '../helpers/evaltrack-binary.js';
import { FIXTURE_DIR, tempDir } from '../helpers/temp-dir.js';

const judged = (pass: boolean): EvaluationOutput => ({
  judge: { aggregate_success: pass, quality: { score: pass ? 1 : 0.25, success: pass } },
});
const sample = (id: string, run: number): MetricInput => ({
  id,
  input: `question ${id}`,
  actual_output: `answer to ${id} in run ${run}\n<b>second line</b>`,
});

/** Outcomes of q1..q4 in runs run-1..run-5 (1 pass, 0 fail); q5 only in run-5. */
const PLAN: Record<string, number[]> = {
  q1: [1, 0, 1, 1, 0],
  q2: [1, 1, 1, 1, 1],
  q3: [0, 1, 0, 1, 0],
  q4: [1, 1, 1, 1, 0],
};
const day = (d: number) => `2026-01-0${d}T00:00:00.000Z`;

describe('evaltrack history and flaky', () => {
  const dir = tempDir();
  const store = `sqlite:${join(dir.path, 'evals.sqlite')}`;
  const run = (...args: string[]) => evaltrack(...args, '--store', store);

  beforeAll(async () => {
    const t = new SqliteExperimentTracker('bot', { file: join(dir.path, 'evals.sqlite') });
    for (let r = 1; r <= 5; r++) {
      const ids = Object.keys(PLAN);
      const outcomes = ids.map((id) => judged(PLAN[id]?.[r - 1] === 1));
      const data = ids.map((id) => sample(id, r));
      if (r === 5) {
        // q5 tried twice in the last run, failing one of them: a tie, which fails (as in compare).
        outcomes.push(judged(true), judged(false));
        data.push(sample('q5', r), sample('q5', r));
      }
      const runId = `run-${r}`;
      await t.logBatch(outcomes, 'faq', data, {
        runId,
        metadata: { model_name: `model-${r}` },
        measures: data.map((_, i) => (i < 4 ? null : { trial: i - 4 })),
      });
      const summary = await t.getRun(runId);
      if (summary) await t.importRun({ ...summary, createdAt: day(r) });
    }
    await t.close();
  });
  afterAll(() => dir[Symbol.dispose]());

  it('history: every run that holds a sample, newest first, and when it last went from pass to fail', () => {
    const r = run('history', 'q1');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      'q1 in dataset "faq" on judge.aggregate_success: 5 runs hold it\n' +
        'last changed from pass to fail in run run-5 (2026-01-05T00:00:00.000Z); it passed in run-4 before\n\n' +
        'run    created                   model    value  pass  trials  output                                    error\n' +
        '-----  ------------------------  -------  -----  ----  ------  ----------------------------------------  -----\n' +
        'run-5  2026-01-05T00:00:00.000Z  model-5  0.000  FAIL       1  answer to q1 in run 5 <b>second line</b>\n' +
        'run-4  2026-01-04T00:00:00.000Z  model-4  1.000  pass       1  answer to q1 in run 4 <b>second line</b>\n' +
        'run-3  2026-01-03T00:00:00.000Z  model-3  1.000  pass       1  answer to q1 in run 3 <b>second line</b>\n' +
        'run-2  2026-01-02T00:00:00.000Z  model-2  0.000  FAIL       1  answer to q1 in run 2 <b>second line</b>\n' +
        'run-1  2026-01-01T00:00:00.000Z  model-1  1.000  pass       1  answer to q1 in run 1 <b>second line</b>\n',
    );
    const last = run('history', 'q2', '--last', '2', '--metric', 'judge.quality.score');
    expect(last.stdout.split('\n').slice(0, 2)).toEqual([
      'q2 in dataset "faq" on judge.quality.score: 5 runs hold it, the newest 2 shown',
      'never changed from pass to fail in the runs that hold it',
    ]);
    // A tie of two trials is not a majority: a failure, as compare counts it, both trials counted.
    const tie = run('history', 'q5', '--dataset', 'faq');
    expect(tie.stdout.split('\n')[5]).toBe(
      'run-5  2026-01-05T00:00:00.000Z  model-5  0.500  FAIL       2  answer to q5 in run 5 <b>second line</b>',
    );
  });

  it('history --json: everything, the outputs whole', () => {
    const r = run('history', 'q1', '--last', '1', '--json');
    const h = JSON.parse(r.stdout) as {
      runCount: number;
      runs: { runId: string; passed: boolean; output: string; results: { sampleId: string }[] }[];
      lastPassToFail: { runId: string; passedIn: string };
    };
    expect([h.runCount, h.runs.length, h.lastPassToFail]).toEqual([
      5,
      1,
      { runId: 'run-5', createdAt: day(5), passedIn: 'run-4' },
    ]);
    expect(h.runs[0]).toMatchObject({
      runId: 'run-5',
      passed: false,
      output: 'answer to q1 in run 5\n<b>second line</b>',
    });
    expect(h.runs[0]?.results.map((x) => x.sampleId)).toEqual(['q1']);
  });

  it('history: an unknown sample exits 1 with the closest ids, bad flags exit 2', () => {
    expect(run('history', 'q9')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'evaltrack history: no sample "q9" in any run; the closest in the newest run (run-5): q1, q2, q3\n',
    });
    expect(run('history', 'q1', '--dataset', 'billing')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'evaltrack history: no sample "q1": there is no run of dataset "billing"\n',
    });
    expect(run('history', 'q1', '--last', '0').stderr.split('\n')[0]).toBe(
      'evaltrack history: --last must be a whole number >= 1, got "0"',
    );
    expect(run('history', 'q1', '--last', '0').code).toBe(2);
    expect(run('history').code).toBe(2);
    const metric = run('history', 'q1', '--metric', 'judge.qualty.score');
    expect([metric.code, metric.stderr.split('\n')[0]]).toEqual([
      2,
      'evaltrack history: no result has a value on metric "judge.qualty.score"; metrics: judge.quality.score, judge.quality.success, judge.aggregate_success',
    ]);
  });

  it('flaky: samples whose outcome flips across the last runs, by flip rate, with Wilson intervals', () => {
    const r = run('flaky');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(
      'On judge.aggregate_success, across the last 5 runs of dataset "faq" (run-1 to run-5): 5 samples, 4 with two outcomes or more, 3 flaky\n\n' +
        'sample      flip rate [95% CI]  flips  passes  last  last flip\n' +
        '------  ----------------------  -----  ------  ----  ---------\n' +
        'q3      100.0% [51.0%, 100.0%]  4/4    2/5     FAIL  run-5\n' +
        'q1        75.0% [30.1%, 95.4%]  3/4    3/5     FAIL  run-5\n' +
        'q4         25.0% [4.6%, 69.9%]  1/4    4/5     FAIL  run-5\n',
    );
    const last2 = run('flaky', '--last', '2', '--json');
    const report = JSON.parse(last2.stdout) as {
      runs: { runId: string }[];
      flaky: { sampleId: string; flips: number; transitions: number }[];
    };
    expect(report.runs.map((x) => x.runId)).toEqual(['run-4', 'run-5']);
    expect(report.flaky.map((f) => [f.sampleId, f.flips, f.transitions])).toEqual([
      ['q1', 1, 1],
      ['q3', 1, 1],
      ['q4', 1, 1],
    ]);
  });

  it('flaky --run: across the trials of one run; nothing flaky says so and exits 0', () => {
    // Named by id: two runs logged within one millisecond have no `latest` between them.
    const r = run('flaky', '--run', 'run-5');
    expect(r).toEqual({
      code: 0,
      stdout:
        'On judge.aggregate_success, across the trials of run run-5: 5 samples, 1 with two outcomes or more, 1 flaky\n\n' +
        'sample      flip rate [95% CI]  flips  passes  last  last flip\n' +
        '------  ----------------------  -----  ------  ----  ---------\n' +
        'q5      100.0% [20.7%, 100.0%]  1/1    1/2     FAIL  trial 1\n',
      stderr: '',
    });
    expect(run('flaky', '--run', 'run-4').stdout).toBe(
      'On judge.aggregate_success, across the trials of run run-4: 4 samples, 0 with two outcomes or more, 0 flaky\n' +
        "nothing flaky: no sample's outcome flipped\n",
    );
  });

  it('flaky: refuses what it cannot decide, with the usual exit codes', async () => {
    expect(run('flaky', '--last', '1').stderr.split('\n')[0]).toBe(
      'evaltrack flaky: --last must be a whole number >= 2, got "1"',
    );
    expect(run('flaky', '--run', 'run-5', '--last', '3').code).toBe(2);
    expect(run('flaky', '--dataset', 'fqa')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'evaltrack flaky: no run of dataset "fqa"; did you mean "faq"?\n',
    });
    expect(run('flaky', '--run', 'nope').code).toBe(1);
    // A second dataset: flaky needs --dataset, and history a sample id of both.
    const t = new SqliteExperimentTracker('bot', { file: join(dir.path, 'evals.sqlite') });
    await t.logBatch([judged(true)], 'billing', [sample('q1', 9)], { runId: 'bill-1' });
    await t.close();
    expect(run('flaky')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'evaltrack flaky: the store holds 2 datasets ("billing", "faq"): choose one with --dataset\n' +
        'usage: evaltrack flaky [--dataset NAME] [--last N] [--run RUN] [--metric COLUMN]\n' +
        '(evaltrack help flaky says more)\n',
    });
    expect(run('flaky', '--dataset', 'faq').code).toBe(0);
    const both = run('history', 'q1');
    expect([both.code, both.stderr.split('\n')[0]]).toEqual([
      2,
      'evaltrack history: sample "q1" is in 2 datasets ("billing", "faq"): choose one with --dataset',
    ]);
    expect(run('history', 'q1', '--dataset', 'billing').stdout.split('\n')[0]).toBe(
      'q1 in dataset "billing" on judge.aggregate_success: 1 run holds it',
    );
  });

  it('history of a row written by Python (no sample id cell): the id made from its data', () => {
    const r = evaltrack('history', 'a7766df4080997a1', '--store', FIXTURE_DIR);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      'a7766df4080997a1 in dataset "dataset_20260511T043742Z" on generation.aggregate_success: 1 run holds it',
      'never changed from pass to fail in the runs that hold it',
    ]);
    // Python wrote no run creation time: `-`.
    expect(r.stdout.split('\n')[5]).toMatch(
      /^default_dataset_20260511T043742Z_d83486d0 {8}- {2}unknown {2}0\.000 {2}FAIL {7}1 {2}- Luminafox: /,
    );
  });
});
