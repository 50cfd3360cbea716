// Latency, tokens and cost where people decide: `runs`, `show`, `compare` and `gate` through the
// built binary, on results logged with their measures by the real stores.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openTracker } from 'evaltrack';
import type { BaseExperimentTracker, ResultRecord, RunSummary } from 'evaltrack';
import { newSchema, postgresUrl, withSchema } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

type ResultMeasures = NonNullable<ResultRecord['measures']>;
type RunMeasures = RunSummary['measures'];
/** What `compare --json` says of latency or cost. */
interface MeasureJson {
  recorded: { baseline: number; candidate: number };
  baselineMean: number | null;
  candidateMean: number | null;
  difference: unknown;
}
interface CompareJson {
  measures: { latencyMs: MeasureJson; cost: MeasureJson };
  runMeasures: { baseline: RunMeasures; candidate: RunMeasures };
}

const BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../dist/cli/bin.js');

/** The built command line in a child process: exit code, stdout, stderr. */
function evaltrack(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', EVALTRACK_STORE: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sample = (i: number) => ({
  id: `s${i}`,
  input: `question ${i}`,
  actual_output: `answer ${i}`,
});
const judged = (pass: boolean) => ({
  judge: { aggregate_success: pass, aggregate_score: pass ? 1 : 0 },
});

/** Logs one result per entry of `measures`, for sample `ids[i]`, as run `runId` of dataset faq. */
async function logRun(
  store: BaseExperimentTracker,
  runId: string,
  ids: number[],
  measures: (ResultMeasures | null)[],
): Promise<void> {
  await store.logBatch(
    ids.map(() => judged(true)),
    'faq',
    ids.map(sample),
    { runId, measures },
  );
  // Later runs are listed first: times have millisecond resolution.
  await new Promise((r) => setTimeout(r, 5));
}

const LATENCIES = [100, 200, 300, 400, 1000];

/**
 * base: one result per sample, latencies 100…1000 ms, cost 0.5 (task) + 0.25 (judge).
 * cand: two trials per sample, latencies L + 40 and L + 60 (mean L + 50), task costs 0.125 and
 * 0.375 (mean 0.25) + 0.25 (judge). Per sample, cand − base is 50 ms and −0.25 for every sample.
 * plain: no measures.
 */
async function measuredRuns(store: BaseExperimentTracker): Promise<void> {
  await logRun(store, 'plain', [1, 2, 3, 4, 5], [null, null, null, null, null]);
  await logRun(
    store,
    'base',
    [1, 2, 3, 4, 5],
    LATENCIES.map((latencyMs) => ({
      task: { latencyMs, cost: 0.5, usage: { inputTokens: 100, outputTokens: 20 } },
      evaluators: { judge: { cost: 0.25, usage: { inputTokens: 50, outputTokens: 5 } } },
    })),
  );
  const trials = [0, 1].flatMap((trial) => LATENCIES.map((l, i) => ({ trial, i, l })));
  await logRun(
    store,
    'cand',
    trials.map((t) => t.i + 1),
    trials.map(({ trial, l }) => ({
      trial,
      task: {
        latencyMs: l + (trial === 0 ? 40 : 60),
        cost: trial === 0 ? 0.125 : 0.375,
        usage: { inputTokens: 80, outputTokens: 10, totalTokens: 90 },
      },
      evaluators: { judge: { cost: 0.25 } },
    })),
  );
}

const blocks = (s: string) => s.split('\n\n');

describe('latency, tokens and cost on the command line', () => {
  const pgUrl = postgresUrl();
  for (const kind of ['csv', 'sqlite', 'postgres'] as const) {
    it.skipIf(kind === 'postgres' && pgUrl === null)(
      `runs, show, compare and gate show them (${kind})`,
      async () => {
        using dir = tempDir();
        const where = {
          csv: join(dir.path, 'store'),
          sqlite: `sqlite:${join(dir.path, 'db.sqlite')}`,
          postgres: withSchema(pgUrl ?? '', newSchema('measures')),
        }[kind];
        const store = await openTracker('p', { store: where });
        await measuredRuns(store);
        const history = await store.getExperimentHistory();
        await store.close();

        // runs --json: measures as the run summaries have them.
        const runsJson = evaltrack('runs', '--json', '--store', where);
        expect(runsJson.code).toBe(0);
        const listed = JSON.parse(runsJson.stdout) as { runId: string; measures: unknown }[];
        expect(listed.map((r) => [r.runId, r.measures])).toEqual(
          history.map((r) => [r.runId, r.measures]),
        );
        const [cand, base, plain] = listed.map((r) => r.measures as RunMeasures);
        expect([cand?.tokens, cand?.cost, base?.tokens, base?.cost, plain]).toEqual([
          { n: 10, inputTokens: 800, outputTokens: 100, totalTokens: 900 },
          { n: 10, total: 5 },
          { n: 5, inputTokens: 750, outputTokens: 125, totalTokens: 875 },
          { n: 5, total: 3.75 },
          null,
        ]);
        expect(cand?.latency).toMatchObject({ n: 10, meanMs: 450, maxMs: 1060 });
        expect(base?.latency).toMatchObject({ n: 5, meanMs: 400, maxMs: 1000 });
        // The summary's quantiles are within 1% of the exact ones `show` gives below.
        const near = (x: number | undefined, exact: number) =>
          expect(Math.abs((x ?? NaN) / exact - 1)).toBeLessThanOrEqual(0.01);
        near(cand?.latency?.p50Ms, 340);
        near(cand?.latency?.p95Ms, 1060);
        near(base?.latency?.p50Ms, 300);
        near(base?.latency?.p95Ms, 1000);

        // runs: a table of its own, "—" for the run that recorded nothing; the p95 is the
        // summary's (a sketch).
        const runs = evaltrack('runs', '--store', where);
        expect(blocks(runs.stdout).slice(2)).toEqual([
          "The task's latency over the results timed (mean; p95 by nearest rank, within 1%);\n" +
            'tokens and cost of the task and evaluators together:',
          '#  run    timed  mean ms  p95 ms  tokens  cost\n' +
            '-  -----  -----  -------  ------  ------  ----\n' +
            '1  cand      10      450   1,060     900  5.00\n' +
            '2  base       5      400   1,000     875  3.75\n' +
            '3  plain      —        —       —       —     —\n',
        ]);

        // show: per result, the trial, the task's latency and the cost; exact quantiles above.
        const show = evaltrack('show', 'cand', '--store', where);
        expect(show.code).toBe(0);
        expect(blocks(show.stdout).slice(0, 2)).toEqual([
          'cand on judge.aggregate_success: 10 results, 10 passed, 0 failed, 0 not scored, 0 evaluator errors\n' +
            // 140 160 240 260 340 360 440 460 1040 1060: p50 the 5th (⌈0.5 · 10⌉), p95 the 10th.
            'task latency over 10 results: mean 450 ms, p50 340 ms, p95 1,060 ms, max 1,060 ms (p50 and p95 by nearest rank, exact)\n' +
            'tokens over 10 results: 900 (800 input, 100 output)\n' +
            'cost over 10 results: 5.00',
          'sample  trial  input       judge.aggregate_score  pass  latency ms   cost\n' +
            '------  -----  ----------  ---------------------  ----  ----------  -----\n' +
            's1          0  question 1                  1.000  pass         140  0.375\n' +
            's2          0  question 2                  1.000  pass         240  0.375\n' +
            's3          0  question 3                  1.000  pass         340  0.375\n' +
            's4          0  question 4                  1.000  pass         440  0.375\n' +
            's5          0  question 5                  1.000  pass       1,040  0.375\n' +
            's1          1  question 1                  1.000  pass         160  0.625\n' +
            's2          1  question 2                  1.000  pass         260  0.625\n' +
            's3          1  question 3                  1.000  pass         360  0.625\n' +
            's4          1  question 4                  1.000  pass         460  0.625\n' +
            's5          1  question 5                  1.000  pass       1,060  0.625',
        ]);
        const shownBase = JSON.parse(
          evaltrack('show', 'base', '--json', '--store', where).stdout,
        ) as {
          measures: RunMeasures;
          results: ResultRecord[];
        };
        expect(shownBase.measures).toEqual({
          // 100 200 300 400 1000: p50 the 3rd (⌈0.5 · 5⌉), p95 the 5th (⌈0.95 · 5⌉).
          latency: { n: 5, meanMs: 400, p50Ms: 300, p95Ms: 1000, maxMs: 1000 },
          tokens: { n: 5, inputTokens: 750, outputTokens: 125, totalTokens: 875 },
          cost: { n: 5, total: 3.75 },
        });
        expect(shownBase.results.map((r) => r.measures?.task)).toEqual(
          LATENCIES.map((latencyMs) => ({
            latencyMs,
            cost: 0.5,
            usage: { inputTokens: 100, outputTokens: 20 },
          })),
        );
        // No trial column where every sample ran once.
        expect(evaltrack('show', 'base', '--store', where).stdout).toContain(
          'sample  input       judge.aggregate_score  pass  latency ms   cost\n',
        );

        // compare: the same difference for every sample gives an interval of no width.
        const compare = evaltrack('compare', 'base', 'cand', '--store', where);
        expect(blocks(compare.stdout)[1]).toBe(
          'per sample (mean)  samples  baseline  candidate      difference [95% CI]\n' +
            '-----------------  -------  --------  ---------  -----------------------\n' +
            'task latency, ms         5       400        450              50 [50, 50]\n' +
            'cost                     5     0.750      0.500  -0.250 [-0.250, -0.250]',
        );
        const cmp = JSON.parse(
          evaltrack('compare', 'base', 'cand', '--json', '--store', where).stdout,
        ) as CompareJson;
        expect(cmp.measures).toEqual({
          latencyMs: {
            recorded: { baseline: 5, candidate: 10 },
            baselineMean: 400,
            candidateMean: 450,
            difference: { n: 5, mean: 50, interval: { low: 50, high: 50 }, significantRise: true },
          },
          cost: {
            recorded: { baseline: 5, candidate: 10 },
            baselineMean: 0.75,
            candidateMean: 0.5,
            difference: {
              n: 5,
              mean: -0.25,
              interval: { low: -0.25, high: -0.25 },
              significantRise: false,
            },
          },
        });
        expect(cmp.runMeasures.candidate?.latency).toEqual({
          n: 10,
          meanMs: 450,
          p50Ms: 340,
          p95Ms: 1060,
          maxMs: 1060,
        });
        // Only one run recorded them: said, not compared.
        const withPlain = evaltrack('compare', 'plain', 'cand', '--store', where);
        expect(blocks(withPlain.stdout)[1]).toBe(
          'task latency not compared: the candidate recorded it (10 results), the baseline did not\n' +
            'cost not compared: the candidate recorded it (10 results), the baseline did not',
        );
        const plainJson = JSON.parse(
          evaltrack('compare', 'cand', 'plain', '--json', '--store', where).stdout,
        ) as CompareJson;
        expect(plainJson.measures.cost).toEqual({
          recorded: { baseline: 10, candidate: 0 },
          baselineMean: null,
          candidateMean: null,
          difference: null,
        });

        // gate: total cost 5 and p95 1060 ms, checked against the limits, each with its figure.
        const gate = (...args: string[]) =>
          evaltrack('gate', 'base', 'cand', '--store', where, ...args);
        const passed = gate('--max-cost', '5', '--max-p95-latency', '1060');
        expect([passed.code, blocks(passed.stdout).slice(0, 2)]).toEqual([
          0,
          [
            'gate passed on judge.aggregate_success',
            'checks on cand:\n' +
              '  total cost: 5 over 10 of 10 results, at most 5: pass\n' +
              '  p95 task latency: 1060 ms over 10 of 10 results, at most 1060 ms: pass',
          ],
        ]);
        const failed = gate('--max-cost', '4.99', '--max-p95-latency', '1059.5');
        expect([failed.code, blocks(failed.stdout).slice(0, 2)]).toEqual([
          1,
          [
            'gate failed on judge.aggregate_success:\n' +
              '- total cost of cand is 5 over 10 of 10 results, above 4.99\n' +
              '- p95 task latency of cand is 1060 ms over 10 of 10 results, above 1059.5 ms',
            'checks on cand:\n' +
              '  total cost: 5 over 10 of 10 results, at most 4.99: FAIL\n' +
              '  p95 task latency: 1060 ms over 10 of 10 results, at most 1059.5 ms: FAIL',
          ],
        ]);
        const json = JSON.parse(gate('--max-cost', '4.99', '--json').stdout) as {
          passed: boolean;
          checks: unknown;
        };
        expect([json.passed, json.checks]).toEqual([
          false,
          [{ check: 'max-cost', limit: 4.99, value: 5, n: 10, results: 10, passed: false }],
        ]);
        // A limit on what the candidate never recorded fails: a gate never passes on nothing.
        const nothing = evaltrack(
          'gate',
          'base',
          'plain',
          '--max-cost',
          '100',
          '--max-p95-latency',
          '100000',
          '--store',
          where,
        );
        expect([nothing.code, blocks(nothing.stdout).slice(0, 2)]).toEqual([
          1,
          [
            'gate failed on judge.aggregate_success:\n' +
              '- plain recorded no cost in its 5 results: --max-cost 100 cannot be checked\n' +
              '- plain recorded no task latency in its 5 results: --max-p95-latency 100000 cannot be checked',
            'checks on plain:\n' +
              '  total cost: not recorded, at most 100: FAIL\n' +
              '  p95 task latency: not recorded, at most 100000 ms: FAIL',
          ],
        ]);
      },
    );
  }

  it('refuses a limit that is not a number >= 0 (exit 2), before anything is compared', async () => {
    using dir = tempDir();
    const store = await openTracker('p', { store: dir.path });
    await measuredRuns(store);
    await store.close();
    const cases: [string[], string][] = [
      [['--max-cost=-1'], '--max-cost must be a number >= 0, got "-1"'],
      [['--max-cost', 'cheap'], '--max-cost must be a number >= 0, got "cheap"'],
      [['--max-cost', ''], '--max-cost must be a number >= 0, got ""'],
      [['--max-cost', 'Infinity'], '--max-cost must be a number >= 0, got "Infinity"'],
      [['--max-p95-latency', '2s'], '--max-p95-latency must be a number >= 0, got "2s"'],
      [['--max-p95-latency', 'NaN'], '--max-p95-latency must be a number >= 0, got "NaN"'],
      [
        ['--max-cost', '-1'],
        '--max-cost needs a value; "-1" reads as an option (write --max-cost=-1 if it is the value)',
      ],
    ];
    for (const [args, message] of cases) {
      // Even against a run that does not exist: the flags are read first.
      const r = evaltrack('gate', 'base', 'nope', '--store', dir.path, ...args);
      expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `evaltrack gate: ${message}`]);
    }
    expect(evaltrack('gate', 'base', 'cand', '--max-cost', '1e1', '--store', dir.path).code).toBe(
      0,
    );
  });

  it('counts a cost at its limit as within it, whatever binary floating point makes of the sum', async () => {
    using dir = tempDir();
    const store = await openTracker('p', { store: dir.path });
    // 0.1 + 0.2 is 0.30000000000000004 in binary floating point.
    const costs = [{ task: { cost: 0.1 } }, { task: { cost: 0.2 } }];
    await logRun(store, 'base', [1, 2], costs);
    await logRun(store, 'cand', [1, 2], costs);
    await store.close();
    const gate = (limit: string) =>
      evaltrack('gate', 'base', 'cand', '--max-cost', limit, '--store', dir.path);
    expect([gate('0.3').code, blocks(gate('0.3').stdout)[1]]).toEqual([
      0,
      'checks on cand:\n  total cost: 0.3 over 2 of 2 results, at most 0.3: pass',
    ]);
    expect(gate('0.2999').code).toBe(1);
  });

  it('gives p95 by nearest rank: of 20 latencies the 19th, in show, gate and (within 1%) runs', async () => {
    using dir = tempDir();
    const store = await openTracker('p', { store: `sqlite:${join(dir.path, 'db.sqlite')}` });
    const ids = Array.from({ length: 20 }, (_, i) => i + 1);
    // 20 results in an order of their own; sorted, they are 50, 100, …, 1000 ms.
    const latencies = ids.map((i) => 50 * ((i * 7) % 20 || 20));
    expect([...latencies].sort((a, b) => a - b)).toEqual(ids.map((i) => 50 * i));
    await logRun(
      store,
      'base',
      ids,
      latencies.map((latencyMs) => ({ task: { latencyMs } })),
    );
    await logRun(
      store,
      'cand',
      ids,
      latencies.map((latencyMs) => ({ task: { latencyMs } })),
    );
    await store.close();
    const where = `sqlite:${join(dir.path, 'db.sqlite')}`;
    expect(evaltrack('show', 'cand', '--store', where).stdout.split('\n')[1]).toBe(
      'task latency over 20 results: mean 525 ms, p50 500 ms, p95 950 ms, max 1,000 ms (p50 and p95 by nearest rank, exact)',
    );
    const gate = (limit: string) =>
      evaltrack('gate', 'base', 'cand', '--max-p95-latency', limit, '--store', where);
    expect([gate('950').code, gate('949.9').code]).toEqual([0, 1]);
    const [summary] = JSON.parse(evaltrack('runs', '--json', '--store', where).stdout) as {
      measures: RunMeasures;
    }[];
    expect(Math.abs((summary?.measures?.latency?.p95Ms ?? NaN) / 950 - 1)).toBeLessThanOrEqual(
      0.01,
    );
  });

  it('pairs latency by sample, trials averaged first, with the bootstrap of the metrics', async () => {
    using dir = tempDir();
    const store = await openTracker('p', { store: `sqlite:${join(dir.path, 'db.sqlite')}` });
    // Two samples, differences 0 and 100 ms: resampled means are 0, 50 and 100 with chances 1/4,
    // 1/2 and 1/4, so of 2,000 draws far more than 50 are 0 and far more than 50 are 100: the
    // 2.5th percentile is 0 and the 97.5th is 100, whatever the seed.
    await logRun(
      store,
      'two-base',
      [1, 2],
      [{ task: { latencyMs: 10 } }, { task: { latencyMs: 10 } }],
    );
    await logRun(
      store,
      'two-cand',
      [1, 2, 2],
      [{ task: { latencyMs: 10 } }, { task: { latencyMs: 60 } }, { task: { latencyMs: 160 } }],
    );
    // Six samples with uneven differences; the interval computed below, independently.
    const base = [120, 340, 95, 410, 230, 800];
    const cand = [[150], [300, 320], [90], [520], [260, 250], [1000]];
    await logRun(
      store,
      'six-base',
      [1, 2, 3, 4, 5, 6],
      base.map((latencyMs) => ({ task: { latencyMs } })),
    );
    const ids = cand.flatMap((ls, i) => ls.map(() => i + 1));
    await logRun(
      store,
      'six-cand',
      ids,
      cand.flat().map((latencyMs) => ({ task: { latencyMs } })),
    );
    await store.close();
    const where = `sqlite:${join(dir.path, 'db.sqlite')}`;
    const latencyOf = (b: string, c: string) =>
      (JSON.parse(evaltrack('compare', b, c, '--json', '--store', where).stdout) as CompareJson)
        .measures.latencyMs.difference;
    expect(latencyOf('two-base', 'two-cand')).toEqual({
      n: 2,
      mean: 50,
      interval: { low: 0, high: 100 },
      significantRise: false,
    });
    // Per-sample differences, each sample's trials averaged first: 30, −30, −5, 110, 25, 200.
    const diffs = cand.map((ls, i) => ls.reduce((s, x) => s + x, 0) / ls.length - base[i]!);
    expect(diffs).toEqual([30, -30, -5, 110, 25, 200]);
    expect(latencyOf('six-base', 'six-cand')).toEqual({
      n: 6,
      mean: 55,
      interval: expectedInterval(diffs, seedFrom('six-base|six-cand')),
      significantRise: false,
    });
    // numpy.percentile(means, [2.5, 97.5]) over the same draws: [-1.66666667, 125.85416667].
    expect(expectedInterval(diffs, seedFrom('six-base|six-cand'))).toEqual({
      low: expect.closeTo(-10 / 6, 9),
      high: expect.closeTo(125.85416667, 7),
    });
  });
});

/** The seed a comparison draws with: 32-bit FNV-1a of `<baseline id>|<candidate id>`. */
function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/**
 * The percentile bootstrap written out again, apart from src/stats: 2,000 resamples drawn with
 * mulberry32, the mean of each, and the 2.5th and 97.5th percentiles interpolated between the
 * two nearest resampled means.
 */
function expectedInterval(diffs: number[], seed: number): { low: number; high: number } {
  let a = seed;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const means: number[] = [];
  for (let b = 0; b < 2000; b++) {
    let sum = 0;
    for (let i = 0; i < diffs.length; i++) sum += diffs[Math.floor(random() * diffs.length)]!;
    means.push(sum / diffs.length);
  }
  means.sort((x, y) => x - y);
  const at = (q: number): number => {
    const pos = (means.length - 1) * q;
    const lo = means[Math.floor(pos)]!;
    return lo + (means[Math.ceil(pos)]! - lo) * (pos - Math.floor(pos));
  };
  return { low: at(0.025), high: at(0.975) };
}
