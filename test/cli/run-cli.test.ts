import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../dist/cli/run-cli.js';
import { openTracker } from 'evaltrack';
import type { BaseExperimentTracker } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { newSchema, postgresUrl, withSchema } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Runs the command line in this process, with captured streams. */
async function cli(argv: string[], env: Record<string, string> = {}, isTTY = false) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    isTTY,
  });
  return { code, stdout, stderr };
}

const judged = (pass: boolean, score: number) => ({
  judge: { aggregate_success: pass, aggregate_score: score, quality: { score, success: pass } },
});

/** A baseline and a candidate over 6 samples: 1 regression, 2 improvements, 1 sample only in each. */
async function twoRuns(store: BaseExperimentTracker) {
  const data = (ids: number[]) =>
    ids.map((i) => ({ id: `s${i}`, input: `question ${i}`, actual_output: `answer ${i}` }));
  await store.logBatch(
    [judged(true, 1), judged(false, 0), judged(false, 0), judged(true, 1), judged(true, 0.5)],
    'faq',
    data([1, 2, 3, 4, 5]),
    { runId: 'base', metadata: { model_name: 'm1' } },
  );
  // Later than the baseline, so that history lists it first (times have millisecond resolution).
  await new Promise((r) => setTimeout(r, 5));
  await store.logBatch(
    [judged(false, 0), judged(true, 1), judged(true, 1), judged(true, 1), judged(true, 1)],
    'faq',
    data([1, 2, 3, 4, 6]),
    { runId: 'cand', metadata: { model_name: 'm2' } },
  );
}

describe('evaltrack (in process)', () => {
  const pgUrl = postgresUrl();
  for (const kind of ['csv', 'sqlite', 'postgres'] as const) {
    it.skipIf(kind === 'postgres' && pgUrl === null)(
      `lists runs with intervals, shows a run, compares and gates (${kind})`,
      async () => {
        using dir = tempDir();
        const where = {
          csv: join(dir.path, 'store'),
          sqlite: `sqlite:${join(dir.path, 'db.sqlite')}`,
          postgres: withSchema(pgUrl ?? '', newSchema('cli')),
        }[kind];
        // Written through the store the command line opens for the same address.
        const store = await openTracker('p', { store: where });
        await twoRuns(store);
        await store.close();

        const runs = await cli(['runs', '--json', '--store', where]);
        expect(runs.code).toBe(0);
        const listed = JSON.parse(runs.stdout) as {
          runId: string;
          n: number;
          passRate: number;
          passInterval: { low: number; high: number };
        }[];
        expect(listed.map((r) => [r.runId, r.n, r.passRate])).toEqual([
          ['cand', 5, 0.8],
          ['base', 5, 0.6],
        ]);
        expect(listed[0]?.passInterval.low).toBeCloseTo(0.37553, 5); // Wilson 4/5

        const table = await cli(['leaderboard'], { EVALTRACK_STORE: where });
        const lines = table.stdout.split('\n');
        expect(lines[0]).toBe("On judge.aggregate_success (the runs' leaderboard column).");
        expect(lines[2]).toMatch(
          /^# +run +dataset +model +n +scored +score \[95% CI\] +pass rate \[95% CI\] +updated$/,
        );
        expect(table.stdout).toContain('80.0% [37.6%, 96.4%]');

        const show = await cli(['show', 'base', '--failures', '--store', where]);
        expect(show.code).toBe(0);
        const shown = show.stdout.split('\n');
        expect(shown[0]).toBe(
          'base on judge.aggregate_success: 5 results, 3 passed, 2 failed, 0 not scored, 0 evaluator errors',
        );
        expect(shown.slice(4, -1).map((l) => l.split(/ +/)[0])).toEqual(['s2', 's3']);

        const compare = await cli(['compare', 'base', 'cand', '--json', '--store', where]);
        const cmp = JSON.parse(compare.stdout) as {
          matched: number;
          onlyBaseline: string[];
          onlyCandidate: string[];
          regressions: { sampleId: string; input: string; baselineOutput: string }[];
          improvements: { sampleId: string }[];
          unchanged: number;
          metric: string;
        };
        expect(cmp).toMatchObject({
          matched: 4,
          onlyBaseline: ['s5'],
          onlyCandidate: ['s6'],
          unchanged: 1,
          metric: 'judge.aggregate_success',
        });
        expect(cmp.regressions).toEqual([
          {
            sampleId: 's1',
            input: 'question 1',
            baselineOutput: 'answer 1',
            candidateOutput: 'answer 1',
          },
        ]);
        expect(cmp.improvements.map((r) => r.sampleId)).toEqual(['s2', 's3']);

        const gate = (...args: string[]) =>
          cli(['gate', 'base', 'cand', '--store', where, ...args]);
        expect((await gate('--max-regressions', '1', '--max-missing', '1')).code).toBe(0);
        const failed = await gate('--max-regressions', '0', '--min-score', '0.9');
        expect(failed.code).toBe(1);
        expect(failed.stdout.split('\n\n')[0]).toBe(
          'gate failed on judge.aggregate_success:\n' +
            '- 1 samples of the baseline are missing from the candidate (at most 0): s5\n' +
            '- 1 regressions on judge.aggregate_success (at most 0): s1\n' +
            '- judge.aggregate_success of cand is 0.800 over 5 results, below 0.9',
        );
      },
    );
  }

  it.skipIf(pgUrl === null)('pushes a laptop folder into PostgreSQL with copy', async () => {
    using dir = tempDir();
    const folder = join(dir.path, 'experiments');
    const laptop = new CSVExperimentTracker('p', { outputDir: folder });
    await twoRuns(laptop);
    await laptop.close();
    const team = withSchema(pgUrl ?? '', newSchema('push'));
    const push = () => cli(['copy', '--from', folder, '--to', team]);
    expect((await push()).stdout).toBe('copied 2 runs: 10 results, 0 already there\n');
    expect((await push()).stdout).toBe('copied 2 runs: 0 results, 10 already there\n');
    const local = JSON.parse((await cli(['runs', '--json', '--store', folder])).stdout) as unknown;
    expect(JSON.parse((await cli(['runs', '--json', '--store', team])).stdout)).toEqual(local);
  });

  it('puts a Student-t interval on a mean score without reading a result', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'db.sqlite');
    const store = new SqliteExperimentTracker('p', { file, leaderboardScoreKey: 'score' });
    const runId = await store.logBatch(
      [{ m: { score: 0.25 } }, { m: { score: 0.75 } }, { m: { score: 1 } }],
      'd',
      [{ id: 1 }, { id: 2 }, { id: 3 }],
    );
    await store.close();
    // The leaderboard lives in the runs table: with the results gone, runs answers the same.
    const db = new Database(file);
    db.exec('DELETE FROM results');
    db.close();
    const runs = await cli(['runs', '--json', '--store', `sqlite:${file}`]);
    const mean = 2 / 3;
    // t(0.975, 2) = 4.302653 (any t table); the sample variance of 0.25, 0.75, 1 is 0.1458333.
    const half = (4.302652729749464 * Math.sqrt(0.1458333333333333)) / Math.sqrt(3);
    expect(JSON.parse(runs.stdout)).toEqual([
      expect.objectContaining({
        runId,
        n: 3,
        score: mean,
        scoreInterval: {
          low: expect.closeTo(mean - half, 9),
          high: expect.closeTo(mean + half, 9),
        },
        passRate: null,
        passInterval: null,
      }),
    ]);
  });

  it('says how to use it, with exit code 2', async () => {
    using dir = tempDir();
    expect((await cli([])).code).toBe(2);
    expect((await cli(['--help'])).code).toBe(0);
    const unknown = await cli(['frobnicate']);
    expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([
      2,
      'evaltrack: unknown command "frobnicate" (evaltrack --help lists them)',
    ]);
    const bad = await cli(['runs', '--bogus', '--store', dir.path]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/usage: evaltrack runs/);
    const help = await cli(['gate', '--help']);
    expect(help.stdout).toMatch(/example: evaltrack gate main-baseline latest --max-regressions 0/);
    expect((await cli(['compare', 'only-one', '--store', dir.path])).code).toBe(2);
    expect((await cli(['show', 'nope', '--store', dir.path])).code).toBe(2);
  });

  it('exports, imports and copies between stores, never twice', async () => {
    using dir = tempDir();
    const csvDir = join(dir.path, 'store');
    const store = new CSVExperimentTracker('p', { outputDir: csvDir });
    await twoRuns(store);
    const original = await store.getRunResults('base');
    await store.close();
    const db = `sqlite:${join(dir.path, 'db.sqlite')}`;

    const jsonl = join(dir.path, 'all.jsonl');
    // Not a terminal: progress is a plain line on stderr (every 5 s, and at the end).
    const progressLine = (verb: string, n: number) =>
      new RegExp(`^${verb} ${n}/${n} results \\(100%\\), [\\d.]+/s, ETA 0 s\\n$`);
    const exported = await cli(['export', '--all', '--out', jsonl, '--store', csvDir]);
    expect(exported.stdout).toBe(`exported 10 results of 2 runs to ${jsonl}\n`);
    expect(exported.stderr).toMatch(progressLine('exporting', 10));
    const imported = await cli(['import', jsonl, '--store', db]);
    expect(imported.stdout).toBe('imported 10 results, 0 already there\n');
    const [checking, importing] = imported.stderr.split(/(?<=\n)/);
    expect(checking).toMatch(/^checking 10\/10 lines \(100%\), [\d.]+\/s, ETA 0 s\n$/);
    expect(importing).toMatch(progressLine('importing', 10));
    expect((await cli(['import', jsonl, '--store', db])).stdout).toBe(
      'imported 0 results, 10 already there\n',
    );
    const copied = await cli(['copy', '--from', csvDir, '--to', db, '--run', 'base']);
    expect(copied.stdout).toBe('copied 1 runs: 0 results, 5 already there\n');
    expect(copied.stderr).toMatch(progressLine('copying', 5));
    const reread = new SqliteExperimentTracker('p', { file: db.slice(7) });
    expect(await reread.getRunResults('base')).toEqual(original);
    await reread.close();

    const folder = join(dir.path, 'gllm');
    expect(
      (await cli(['export', 'base', '--format', 'gllm-csv', '--out', folder, '--store', db])).code,
    ).toBe(0);
    const back = new CSVExperimentTracker('p', { outputDir: folder });
    expect(await back.getRunResults('base')).toEqual(original);
    await back.close();

    const flat = join(dir.path, 'flat.csv');
    expect(
      (await cli(['export', 'cand', '--format', 'csv', '--out', flat, '--store', db])).code,
    ).toBe(0);
    const lines = readFileSync(flat, 'utf8').split('\r\n');
    expect(lines[0]).toBe(
      'result_id,sample_id,run_id,dataset_name,timestamp,evaluator_name,model_name,judge.quality.score,judge.quality.success,judge.aggregate_score,judge.aggregate_success,data,metadata,evaluation_result,measures',
    );
    expect(lines).toHaveLength(7);
    expect((await cli(['export', 'nope', '--out', flat, '--store', db])).code).toBe(1);
  });

  it('rebuilds the leaderboard and sets aside damaged records', async () => {
    using dir = tempDir();
    const store = new CSVExperimentTracker('p', { outputDir: dir.path, onWarning: () => {} });
    await twoRuns(store);
    await store.close();
    // A record cut short in the middle of the file, and a leaderboard that says something else.
    const file = join(dir.path, 'experiment_results.csv');
    const [header, first, ...rest] = readFileSync(file, 'utf8').split('\r\n');
    writeFileSync(
      file,
      [header, first, 'base,faq,2026-01-01T00:00:00.000Z,judge', ...rest].join('\r\n'),
    );
    writeFileSync(join(dir.path, 'leaderboard.csv'), 'run_id\r\nghost\r\n');
    const out = await cli(['rebuild', '--json', '--store', dir.path]);
    expect([out.code, JSON.parse(out.stdout)]).toEqual([0, { runs: 2, setAside: 1 }]);
    const runs = JSON.parse((await cli(['runs', '--json', '--store', dir.path])).stdout) as {
      runId: string;
      n: number;
    }[];
    expect(runs.map((r) => [r.runId, r.n]).sort()).toEqual([
      ['base', 5],
      ['cand', 5],
    ]);
  });

  it('shows pass@k and pass^k when samples were tried more than once', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    // s1 passes 2 of 3 tries, s2 fails all 3.
    const outcomes = [true, true, false, false, false, false];
    await t.logBatch(
      outcomes.map((ok) => judged(ok, ok ? 1 : 0)),
      'd',
      outcomes.map((_, i) => ({ id: i < 3 ? 's1' : 's2' })),
      { runId: 'rep' },
    );
    await t.close();
    const out = await cli(['show', 'rep', '--store', dir.path]);
    // pass@1 = (2/3 + 0)/2; pass@3 = (1 + 0)/2; pass^3 = (0 + 0)/2.
    expect(out.stdout.split('\n').slice(-2)[0]).toBe(
      '2 samples tried more than once (up to 3 times): pass@1 0.333, pass@n 0.500, pass^n 0.000',
    );
  });

  it('colours only on a terminal, never with NO_COLOR or in CI', async () => {
    using dir = tempDir();
    const store = new CSVExperimentTracker('p', { outputDir: dir.path });
    await twoRuns(store);
    await store.close();
    const compare = (env: Record<string, string>, tty: boolean) =>
      cli(['compare', 'base', 'cand', '--store', dir.path], env, tty).then((r) => r.stdout);
    const ESC = String.fromCharCode(27);
    expect(await compare({}, true)).toContain(`${ESC}[31m1 regressions${ESC}[0m`);
    expect(await compare({}, false)).not.toContain(ESC);
    expect(await compare({ NO_COLOR: '1' }, true)).not.toContain(ESC);
    expect(await compare({ CI: 'true' }, true)).not.toContain(ESC);
  });

  it('draws a progress bar on stderr when stderr is a terminal', async () => {
    using dir = tempDir();
    const store = new CSVExperimentTracker('p', { outputDir: dir.path });
    await twoRuns(store);
    await store.close();
    let drawn = '';
    const terminal = Object.assign(new PassThrough(), {
      isTTY: true,
      columns: 100,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    });
    terminal.on('data', (d: Buffer) => (drawn += d.toString()));
    const code = await runCli(
      ['export', '--all', '--out', join(dir.path, 'all.jsonl'), '--store', dir.path],
      { stdout: { write: () => true }, stderr: terminal, env: {}, isTTY: false },
    );
    expect(code).toBe(0);
    expect(drawn).toMatch(/exporting .*10\/10 results \| [\d.]+\/s \| ETA 0s/);
  });

  it('serves the dashboard until stopped, on 127.0.0.1', async () => {
    using dir = tempDir();
    const store = new CSVExperimentTracker('p', { outputDir: dir.path });
    await twoRuns(store);
    await store.close();
    const stop = new AbortController();
    let stdout = '';
    const opened: string[] = [];
    const running = runCli(['ui', '--port', '0', '--json', '--open', '--store', dir.path], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      env: {},
      isTTY: false,
      signal: stop.signal,
      openUrl: (url) => opened.push(url),
    });
    while (!stdout.includes('\n')) await new Promise((r) => setTimeout(r, 10));
    const { url } = JSON.parse(stdout) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(opened).toEqual([url]);
    const runs = (await (await fetch(`${url}/api/runs`)).json()) as { runId: string }[];
    expect(runs.map((r) => r.runId)).toEqual(['cand', 'base']);
    stop.abort();
    expect(await running).toBe(0);
    await expect(fetch(`${url}/api/runs`)).rejects.toThrow();
  });
});
