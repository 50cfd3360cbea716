// `evaltrack runs/show/compare --store jsonl:<folder>` through the built binary.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlExperimentTracker } from 'evaltrack/jsonl';
import { gllmResult } from 'evaltrack/testing';
import { evaltrack } from '../helpers/evaltrack-binary.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('jsonl: the evaltrack binary', () => {
  it('lists, shows and compares runs of a JSON Lines store', async () => {
    using dir = tempDir();
    const t = new JsonlExperimentTracker('p', { outputDir: dir.path });
    const samples = [
      { id: 1, input: 'q1' },
      { id: 2, input: 'q2' },
    ];
    await t.logBatch([gllmResult(1, 1, 0), gllmResult(1, 1, 0)], 'd', samples, { runId: 'main' });
    await t.logBatch([gllmResult(0, 1, 0), gllmResult(1, 1, 0)], 'd', samples, {
      runId: 'change',
    });
    await t.close();
    const store = `jsonl:${dir.path}`;

    const runs = evaltrack('runs', '--store', store);
    expect([runs.code, runs.stderr]).toEqual([0, '']);
    const rows = runs.stdout.split('\n');
    expect(rows[0]).toBe("On generation.aggregate_success (the runs' leaderboard column).");
    expect(rows[4]).toMatch(
      /^1 {2}change {2}d {8}unknown {2}2 {7}2 {2}0\.500 \[0\.095, 0\.905\] {5}50\.0% \[9\.5%, 90\.5%\] {2}\d{4}-/,
    );
    expect(rows[5]).toMatch(/^2 {2}main {4}d {8}unknown {2}2 {7}2 {2}1\.000 \[0\.342, 1\.000\]/);
    expect(rows).toHaveLength(7);

    const show = evaltrack('show', 'main', '--store', store);
    expect([show.code, show.stderr]).toEqual([0, '']);
    expect(show.stdout.split('\n')[0]).toBe(
      'main on generation.aggregate_success: 2 results, 2 passed, 0 failed, 0 not scored, 0 evaluator errors',
    );
    expect(show.stdout.split('\n').filter((l) => /^ +[12] +q[12] /.test(l))).toHaveLength(2);

    const compare = evaltrack('compare', 'main', 'change', '--store', store);
    expect([compare.code, compare.stderr]).toEqual([0, '']);
    expect(compare.stdout).toContain(
      '\non generation.aggregate_success: 2 samples in both runs: 1 regressions, 0 improvements, 1 unchanged\n',
    );
    // Reading wrote nothing new.
    expect(readdirSync(dir.path).sort()).toEqual(['p.leaderboard.json', 'p.results.jsonl']);
  });

  it('read commands create no store: a missing or empty folder is no store', () => {
    using dir = tempDir();
    const missing = join(dir.path, 'missing');
    expect(evaltrack('runs', '--store', `jsonl:${missing}`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `evaltrack runs: no store at jsonl:${missing}\n`,
    });
    expect(existsSync(missing)).toBe(false);
    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    expect(evaltrack('show', 'main', '--store', `jsonl:${empty}`).code).toBe(2);
    expect(readdirSync(empty)).toEqual([]);
  });

  it("never exports into the store's folder, even with --force", async () => {
    using dir = tempDir();
    const t = new JsonlExperimentTracker('p', { outputDir: dir.path });
    await t.logBatch([gllmResult(1, 1, 0)], 'd', [{ id: 1 }], { runId: 'main' });
    await t.close();
    const before = readdirSync(dir.path)
      .sort()
      .map((f) => [f, readFileSync(join(dir.path, f), 'utf8')]);
    for (const name of ['p.results.jsonl', 'new.results.jsonl']) {
      const out = join(dir.path, name);
      const r = evaltrack(
        'export',
        '--all',
        '--out',
        out,
        '--force',
        '--store',
        `jsonl:${dir.path}`,
      );
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr: `evaltrack export: ${out} is a file of the store being exported; export never writes there, even with --force\n`,
      });
    }
    expect(
      readdirSync(dir.path)
        .sort()
        .map((f) => [f, readFileSync(join(dir.path, f), 'utf8')]),
    ).toEqual(before);
  });
});
