// The regression gate cannot pass on missing evidence: every rule checked through the command
// line, on results logged by the real trackers (and by evaluate() for a judge outage).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate } from 'evaltrack';
import type { EvaluationOutput, MetricInput } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { runCli } from '../../dist/cli/run-cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../dist/cli/bin.js');

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    isTTY: false,
  });
  return { code, stdout, stderr };
}

const sample = (i: number, input = `question ${i}`): MetricInput => ({
  id: `q${String(i).padStart(2, '0')}`,
  input,
  actual_output: `answer ${i}`,
  expected_output: `answer ${i}`,
});
const judged = (pass: boolean, score = pass ? 1 : 0): EvaluationOutput => ({
  judge: { aggregate_success: pass, aggregate_score: score },
});

/** Logs `outputs[i]` for `samples[i]` as run `runId` of `dataset`. */
async function logRun(
  dir: string,
  runId: string,
  outputs: EvaluationOutput[],
  samples: MetricInput[],
  dataset = 'faq',
): Promise<void> {
  const t = new CSVExperimentTracker('p', { outputDir: dir });
  await t.logBatch(outputs, dataset, samples, { runId });
  await t.close();
}

const thirty = Array.from({ length: 30 }, (_, i) => sample(i));
const firstLine = (s: string) => s.split('\n\n')[0];

describe('evaltrack gate', () => {
  it("fails the README's CI recipe on a judge outage: every candidate result an evaluator error", async () => {
    using dir = tempDir();
    await logRun(
      dir.path,
      'main',
      thirty.map(() => judged(true)),
      thirty,
    );
    // The judge is down: evaluate() logs each sample as failed with its error.
    const tracker = new CSVExperimentTracker('p', { outputDir: dir.path });
    await evaluate({
      data: thirty,
      evaluators: [
        async function judge(): Promise<EvaluationOutput> {
          throw new Error('503 Service Unavailable');
        },
      ],
      tracker,
      datasetName: 'faq',
      runId: 'pr',
      retries: 0,
      progress: false,
      handleSignals: false,
    });
    await tracker.close();
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'gate',
        'main',
        'pr',
        '--max-regressions',
        '0',
        '--no-significant-drop',
        '--store',
        dir.path,
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(firstLine(r.stdout)).toBe(
      'gate failed on judge.aggregate_success:\n' +
        '- no sample has a value on judge.aggregate_success in both runs: nothing was compared\n' +
        '- 30 samples of the candidate are evaluator errors (at most 0): q00 (judge: Error: 503 Service Unavailable), ' +
        'q01 (judge: Error: 503 Service Unavailable), q02 (judge: Error: 503 Service Unavailable), ' +
        'q03 (judge: Error: 503 Service Unavailable), q04 (judge: Error: 503 Service Unavailable), and 25 more\n' +
        '- no paired values on judge.aggregate_success: a drop cannot be ruled out',
    );
    // Allowing the errors does not make a pass out of nothing.
    const allowed = await cli([
      'gate',
      'main',
      'pr',
      '--max-errors',
      '30',
      '--no-significant-drop',
      '--store',
      dir.path,
    ]);
    expect([allowed.code, firstLine(allowed.stdout)]).toEqual([
      1,
      'gate failed on judge.aggregate_success:\n' +
        '- no sample has a value on judge.aggregate_success in both runs: nothing was compared\n' +
        '- no paired values on judge.aggregate_success: a drop cannot be ruled out',
    ]);
  });

  it('fails when only 3 of 30 samples ran, unless --max-missing allows it', async () => {
    using dir = tempDir();
    await logRun(
      dir.path,
      'main',
      thirty.map(() => judged(true)),
      thirty,
    );
    await logRun(dir.path, 'pr', [judged(true), judged(true), judged(true)], thirty.slice(0, 3));
    const gate = (...args: string[]) => cli(['gate', 'main', 'pr', '--store', dir.path, ...args]);
    const failed = await gate('--max-regressions', '0');
    expect([failed.code, firstLine(failed.stdout)]).toEqual([
      1,
      'gate failed on judge.aggregate_success:\n- 27 samples of the baseline are missing from the candidate (at most 0): ' +
        'q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15, q16, q17, q18, q19, q20, q21, q22, and 7 more',
    ]);
    expect((await gate('--max-regressions', '0', '--max-missing', '26')).code).toBe(1);
    expect((await gate('--max-regressions', '0', '--max-missing', '27')).code).toBe(0);
  });

  it('fails when no sample is in both runs', async () => {
    using dir = tempDir();
    await logRun(
      dir.path,
      'main',
      thirty.map(() => judged(true)),
      thirty,
    );
    const others = Array.from({ length: 30 }, (_, i) => sample(i + 100));
    await logRun(
      dir.path,
      'pr',
      others.map(() => judged(true)),
      others,
    );
    const r = await cli(['gate', 'main', 'pr', '--max-missing', '30', '--store', dir.path]);
    expect([r.code, firstLine(r.stdout)]).toEqual([
      1,
      'gate failed on judge.aggregate_success:\n- no sample is in both runs with the same input and expected answer: nothing was compared',
    ]);
    expect((await cli(['compare', 'main', 'pr', '--store', dir.path])).stdout).toContain(
      'on judge.aggregate_success: 0 samples in both runs: 0 regressions, 0 improvements, 0 unchanged\n' +
        'coverage gap: 30 only in the baseline, 30 only in the candidate\n',
    );
  });

  it('refuses runs of different datasets (exit 2), and compares them when allowed', async () => {
    using dir = tempDir();
    await logRun(
      dir.path,
      'main',
      thirty.map(() => judged(true)),
      thirty,
      'faq',
    );
    await logRun(
      dir.path,
      'pr',
      thirty.map(() => judged(true)),
      thirty,
      'billing',
    );
    for (const command of ['compare', 'gate']) {
      const r = await cli([command, 'main', 'pr', '--store', dir.path]);
      expect([r.code, r.stderr.split('\n')[0]]).toEqual([
        2,
        `evaltrack ${command}: main is a run of dataset "faq" and pr of "billing": their samples are not the same (allow it with --allow-different-datasets)`,
      ]);
    }
    const allowed = await cli([
      'gate',
      'main',
      'pr',
      '--allow-different-datasets',
      '--store',
      dir.path,
    ]);
    expect(allowed.code).toBe(0);
  });

  it('leaves samples whose input changed out of the pairing, and fails unless allowed', async () => {
    using dir = tempDir();
    await logRun(
      dir.path,
      'main',
      thirty.map(() => judged(true)),
      thirty,
    );
    const changed = thirty.map((s, i) =>
      i === 4 || i === 9 ? sample(i, 'a reworded question') : s,
    );
    // q04 fails now, but with another question: not a regression of the same sample.
    await logRun(
      dir.path,
      'pr',
      changed.map((_, i) => judged(i !== 4)),
      changed,
    );
    const r = await cli(['gate', 'main', 'pr', '--max-regressions', '0', '--store', dir.path]);
    expect([r.code, firstLine(r.stdout)]).toEqual([
      1,
      'gate failed on judge.aggregate_success:\n- 2 samples changed their input or expected answer, so they were not compared (allow with --allow-changed-inputs): q04, q09',
    ]);
    expect(r.stdout).toContain(
      'on judge.aggregate_success: 28 samples in both runs: 0 regressions, 0 improvements, 28 unchanged',
    );
    const allowed = await cli([
      'gate',
      'main',
      'pr',
      '--max-regressions',
      '0',
      '--allow-changed-inputs',
      '--store',
      dir.path,
    ]);
    expect(allowed.code).toBe(0);
  });

  it('decides on the chosen metric, and names it: a better judge is not failed by a lexical metric', async () => {
    using dir = tempDir();
    const both = (judge: boolean, lexical: boolean): EvaluationOutput => ({
      lexical: { aggregate_success: lexical, aggregate_score: Number(lexical) },
      judge: { aggregate_success: judge, aggregate_score: Number(judge) },
    });
    const ten = thirty.slice(0, 10);
    await logRun(
      dir.path,
      'main',
      ten.map((_, i) => both(i < 5, true)),
      ten,
    );
    await logRun(
      dir.path,
      'pr',
      ten.map((_, i) => both(true, i !== 0)),
      ten,
    );
    // The leaderboard column is the first evaluator's: lexical here.
    const byDefault = await cli([
      'gate',
      'main',
      'pr',
      '--max-regressions',
      '0',
      '--store',
      dir.path,
    ]);
    expect([byDefault.code, firstLine(byDefault.stdout)]).toEqual([
      1,
      'gate failed on lexical.aggregate_success:\n- 1 regressions on lexical.aggregate_success (at most 0): q00',
    ]);
    const judge = await cli([
      'gate',
      'main',
      'pr',
      '--metric',
      'judge.aggregate_success',
      '--max-regressions',
      '0',
      '--no-significant-drop',
      '--store',
      dir.path,
    ]);
    expect([judge.code, judge.stdout.split('\n')[0]]).toEqual([
      0,
      'gate passed on judge.aggregate_success',
    ]);
    expect(judge.stdout).toContain('5 improvements');
    const runs = await cli(['runs', '--metric', 'judge.aggregate_success', '--store', dir.path]);
    expect(runs.stdout.split('\n')[0]).toBe('On judge.aggregate_success.');
    const unknown = await cli([
      'gate',
      'main',
      'pr',
      '--metric',
      'judge.nope',
      '--store',
      dir.path,
    ]);
    expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([
      2,
      'evaltrack gate: no result has a value on metric "judge.nope"; metrics: lexical.aggregate_score, lexical.aggregate_success, judge.aggregate_score, judge.aggregate_success',
    ]);
  });

  it('checks --min-score on the metric each rule names, and refuses an empty number', async () => {
    using dir = tempDir();
    const ten = thirty.slice(0, 10);
    await logRun(
      dir.path,
      'main',
      ten.map(() => judged(true, 1)),
      ten,
    );
    await logRun(
      dir.path,
      'pr',
      ten.map((_, i) => judged(true, i < 5 ? 1 : 0.5)),
      ten,
    );
    const gate = (...args: string[]) => cli(['gate', 'main', 'pr', '--store', dir.path, ...args]);
    const r = await gate('--min-score', '0.9', '--min-score', 'judge.aggregate_score=0.8');
    expect([r.code, firstLine(r.stdout)]).toEqual([
      1,
      'gate failed on judge.aggregate_success:\n- judge.aggregate_score of pr is 0.750 over 10 results, below 0.8',
    ]);
    const ok = await gate('--min-score', 'judge.aggregate_score=0.75');
    expect(ok.stdout.split('\n')[0]).toBe('gate passed on judge.aggregate_success');
    for (const bad of ['', 'judge.aggregate_score=', '=0.5', 'high']) {
      const usage = await gate('--min-score', bad);
      expect([usage.code, usage.stderr.split('\n')[0]]).toEqual([
        2,
        `evaltrack gate: --min-score must be a number or COLUMN=number, got ${JSON.stringify(bad)}`,
      ]);
    }
    for (const bad of ['', '-1', '1.5']) {
      expect((await gate('--max-regressions', bad)).code).toBe(2);
    }
  });

  it('--no-significant-drop fails a drop beyond noise on the metric, and only then', async () => {
    using dir = tempDir();
    const forty = Array.from({ length: 40 }, (_, i) => sample(i));
    await logRun(
      dir.path,
      'main',
      forty.map(() => judged(true)),
      forty,
    );
    // 12 of 40 fail now: a drop of 0.3 whose whole interval is below zero.
    await logRun(
      dir.path,
      'worse',
      forty.map((_, i) => judged(i >= 12)),
      forty,
    );
    // 1 of 40 fails: an interval that reaches zero.
    await logRun(
      dir.path,
      'noisy',
      forty.map((_, i) => judged(i !== 7)),
      forty,
    );
    const worse = await cli([
      'gate',
      'main',
      'worse',
      '--no-significant-drop',
      '--store',
      dir.path,
    ]);
    expect(worse.code).toBe(1);
    expect(firstLine(worse.stdout)).toMatch(
      /^gate failed on judge\.aggregate_success:\n- judge\.aggregate_success dropped by -0\.300 \[-0\.\d{3}, -0\.\d{3}\]$/,
    );
    const noisy = await cli([
      'gate',
      'main',
      'noisy',
      '--no-significant-drop',
      '--store',
      dir.path,
    ]);
    expect([noisy.code, noisy.stdout.split('\n')[0]]).toEqual([
      0,
      'gate passed on judge.aggregate_success',
    ]);
  });
});
