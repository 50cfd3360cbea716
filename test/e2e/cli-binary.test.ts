// The built `evaltrack` binary, run as a user runs it: a process, its output and exit code.
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { gllmResult } from 'evaltrack/testing';
import { evaltrack } from '../helpers/evaltrack-binary.js';
import { FIXTURE_DIR, FIXTURE_RUN_ID, tempDir } from '../helpers/temp-dir.js';

describe('the evaltrack binary', () => {
  it('reads the gllm-evals fixture', () => {
    expect(evaltrack('runs', '--store', FIXTURE_DIR)).toEqual({
      code: 0,
      stdout: [
        "On generation.aggregate_success (the runs' leaderboard column).",
        '',
        '#  run                                        dataset                   model    n  scored        score [95% CI]    pass rate [95% CI]  updated',
        '-  -----------------------------------------  ------------------------  -------  -  ------  --------------------  --------------------  -------',
        '1  default_dataset_20260511T043742Z_d83486d0  dataset_20260511T043742Z  unknown  3       3  0.667 [0.208, 0.939]  66.7% [20.8%, 93.9%]        -',
        '',
      ].join('\n'),
      stderr: '',
    });
    const show = evaltrack('show', FIXTURE_RUN_ID, '--failures', '--store', FIXTURE_DIR);
    expect(show.code).toBe(0);
    expect(show.stdout.split('\n')[4]).toMatch(
      /^a7766df4080997a1 +Give me nocturnal creatures from the da… +0\.500 +0\.000 +1\.000 +0\.833 +FAIL$/,
    );
    expect(
      evaltrack(
        'gate',
        FIXTURE_RUN_ID,
        FIXTURE_RUN_ID,
        '--max-regressions',
        '0',
        '--store',
        FIXTURE_DIR,
      ),
    ).toEqual({
      code: 0,
      stdout: [
        'gate passed on generation.aggregate_success',
        '',
        'on generation.aggregate_success: 3 samples in both runs: 0 regressions, 0 improvements, 3 unchanged',
        'coverage gap: 0 only in the baseline, 0 only in the candidate',
        'evaluator errors: 0 in the baseline, 0 in the candidate',
        'not scored on generation.aggregate_success: 0 in the baseline, 0 in the candidate',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('fails a gate with exit code 1 on a fresh store, and a usage error with 2', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    await t.logBatch([gllmResult(1, 1, 0), gllmResult(1, 1, 0)], 'd', [{ id: 1 }, { id: 2 }], {
      runId: 'main',
    });
    await t.logBatch([gllmResult(0, 1, 0), gllmResult(1, 1, 0)], 'd', [{ id: 1 }, { id: 2 }], {
      runId: 'change',
    });
    await t.close();
    const gate = evaltrack('gate', 'main', 'change', '--max-regressions', '0', '--store', dir.path);
    expect(gate).toMatchObject({ code: 1, stderr: '' });
    expect(gate.stdout.split('\n\n')[0]).toBe(
      'gate failed on generation.aggregate_success:\n- 1 regressions on generation.aggregate_success (at most 0): 1',
    );
    const usage = evaltrack('gate', 'main', '--store', dir.path);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(
      /^evaltrack gate: give a baseline run and a candidate run\nusage: evaltrack gate </,
    );
    expect(evaltrack('--help').code).toBe(0);
  });
});
