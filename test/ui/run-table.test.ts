import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { RunTable } from '../../dist/ui/run-table.js';
import { tempDir } from '../helpers/temp-dir.js';

const page = {
  offset: 0,
  limit: 100,
  sort: 'i',
  desc: false,
  failures: false,
  search: '',
  metric: 'm.aggregate_success' as string | null,
};

describe('the dashboard run table', () => {
  it('pages, filters, searches and sorts with missing values last and numbers before text', async () => {
    using dir = tempDir();
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 't.sqlite') });
    const values = [0.5, undefined, 1, 'n/a', 0, true];
    const result = (v: (typeof values)[number], i: number) => ({
      m: { aggregate_success: i % 2 === 0, ...(v === undefined ? {} : { score: v }) },
    });
    const sample = (i: number) => ({ id: `s${i}`, input: i === 3 ? 'the Needle here' : `q${i}` });
    const runId = 'run';
    for (const [i, v] of values.entries()) {
      if (typeof v !== 'string') {
        await t.logBatch([result(v, i)], 'd', [sample(i)], { runId });
        continue;
      }
      // Text under a score key is refused at log time, but files (Python's) can hold it.
      const [like] = await t.getRunResults(runId);
      await t.importResults([
        {
          ...like!,
          resultId: `text-${i}`,
          sampleId: `s${i}`,
          values: { 'm.score': v, 'm.aggregate_success': 0 },
          data: sample(i),
          evaluationResult: result(v, i),
        },
      ]);
    }
    const [run] = await t.getExperimentHistory();
    const table = new RunTable(t, run!);
    const ids = async (q: Partial<typeof page>) =>
      (await table.page({ ...page, ...q })).rows.map((r) => r.sampleId);

    expect(await ids({})).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(await ids({ offset: 4, limit: 1 })).toEqual(['s4']);
    expect(await ids({ failures: true })).toEqual(['s1', 's3', 's5']);
    // On a score without a verdict beside it, nothing fails: failing needs a verdict.
    expect(await ids({ failures: true, metric: 'm.score' })).toEqual([]);
    expect((await table.page({ ...page, limit: 2 })).rows.map((r) => r.passed)).toEqual([
      true,
      false,
    ]);
    expect(await ids({ search: 'NEEDLE' })).toEqual(['s3']);
    expect(await ids({ sort: 'm.score' })).toEqual(['s4', 's0', 's2', 's5', 's3', 's1']);
    expect(await ids({ sort: 'm.score', desc: true })).toEqual([
      's3',
      's2',
      's5',
      's0',
      's4',
      's1',
    ]);
    expect((await table.page({ ...page, failures: true, limit: 1 })).total).toBe(3);
    // Only continuous metrics have a histogram: a pass/fail column's distribution is its pass rate.
    expect(await table.histograms()).toEqual([
      { metric: 'm.score', min: 0, max: 1, counts: [1, 0, 0, 0, 0, 1, 0, 0, 0, 2] },
    ]);
    expect(runId).toBe(run!.runId);
    await t.close();
  });

  it('marks each score against its recorded threshold, else its verdict, and sums up each metric', async () => {
    using dir = tempDir();
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 't.sqlite') });
    const outputs = [
      {
        g: {
          aggregate_score: 0.9,
          aggregate_success: true,
          a: { score: 0.8, success: true, threshold: 0.5 },
          b: { score: 0.2, success: true, threshold: 0.3, higher_is_better: false },
        },
        h: { quality: { score: 0.7, success: true } },
      },
      {
        g: {
          aggregate_score: 0.4,
          aggregate_success: false,
          a: { score: 0.4, success: false, threshold: 0.5 },
          b: { score: 0.6, success: false, threshold: 0.3, higher_is_better: false },
        },
        h: { error: 'timeout', attempts: 2 },
      },
      {
        // A threshold of its own (0.4, not the run's first 0.5): 0.4 meets it.
        g: {
          aggregate_score: 0.5,
          aggregate_success: false,
          a: { score: 0.4, success: true, threshold: 0.4 },
        },
        h: { quality: { score: 0.1, success: false } },
      },
    ];
    await t.logBatch(
      outputs,
      'd',
      outputs.map((_, i) => ({ id: `s${i}` })),
      { runId: 'r' },
    );
    const [run] = await t.getExperimentHistory();
    const table = new RunTable(t, run!);
    const got = await table.page({ ...page, metric: 'g.aggregate_success' });
    expect(got.rows.map((r) => r.marks)).toEqual([
      { 'g.a.score': true, 'g.b.score': true, 'h.quality.score': true, 'g.aggregate_score': true },
      { 'g.a.score': false, 'g.b.score': false, 'g.aggregate_score': false },
      { 'g.a.score': true, 'h.quality.score': false, 'g.aggregate_score': false },
    ]);
    expect(got.thresholds).toEqual({
      'g.a.score': { threshold: 0.5, higherIsBetter: true },
      'g.b.score': { threshold: 0.3, higherIsBetter: false },
    });
    expect(got.passFail).toEqual([
      'g.a.success',
      'g.b.success',
      'h.quality.success',
      'g.aggregate_success',
    ]);
    const rows = Object.fromEntries(
      (await table.summary()).map(({ metric, meanInterval, passInterval, ...s }) => [
        metric,
        {
          ...s,
          mean: s.mean === null ? null : Number(s.mean.toFixed(4)),
          meanInterval:
            meanInterval && [meanInterval.low, meanInterval.high].map((x) => x.toFixed(4)),
          passInterval:
            passInterval && [passInterval.low, passInterval.high].map((x) => x.toFixed(4)),
        },
      ]),
    );
    expect(Object.keys(rows)).toEqual([
      'g.a.score',
      'g.b.score',
      'h.quality.score',
      'g.a.success',
      'g.b.success',
      'h.quality.success',
      'g.aggregate_score',
      'g.aggregate_success',
    ]);
    // 0.8, 0.4, 0.4: mean 0.5333, sd 0.2309, t(0.975, 2) = 4.3027; passed 2 of 3 by its verdict.
    expect(rows['g.a.score']).toEqual({
      passFail: false,
      scored: 3,
      mean: 0.5333,
      meanInterval: ['-0.0404', '1.1070'],
      passRate: 2 / 3,
      passInterval: ['0.2077', '0.9385'],
      missing: 0,
      errors: 0,
      threshold: { threshold: 0.5, higherIsBetter: true },
    });
    expect(rows['g.b.score']).toMatchObject({ scored: 2, missing: 1, errors: 0, passRate: 0.5 });
    // The evaluator h failed on s1: an error, not a missing value.
    expect(rows['h.quality.score']).toMatchObject({ scored: 2, missing: 0, errors: 1 });
    expect(rows['h.quality.success']).toMatchObject({ passFail: true, errors: 1, passRate: 0.5 });
    // The aggregate score's verdict is the aggregate_success beside it: 1 of 3.
    expect(rows['g.aggregate_score']).toMatchObject({ passFail: false, passRate: 1 / 3 });
    expect(rows['g.aggregate_success']).toEqual({
      passFail: true,
      scored: 3,
      mean: 0.3333,
      meanInterval: ['0.0615', '0.7923'],
      passRate: 1 / 3,
      passInterval: ['0.0615', '0.7923'],
      missing: 0,
      errors: 0,
      threshold: null,
    });
    await t.close();
  });

  it('gives each row its latency, cost and trial, sorts by them with missing values last, and says which columns the run has', async () => {
    using dir = tempDir();
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 't.sqlite') });
    await t.logBatch(
      Array.from({ length: 4 }, () => ({ m: { score: 1 } })),
      'd',
      ['a', 'b', 'c', 'd'].map((id) => ({ id })),
      {
        runId: 'timed',
        measures: [
          { task: { latencyMs: 30, cost: 0.5 }, evaluators: { j: { latencyMs: 999, cost: 0.25 } } },
          { task: { latencyMs: 10 } },
          null,
          { task: { latencyMs: 20, cost: 0.1 } },
        ],
      },
    );
    await t.logBatch([{ m: { score: 1 } }, { m: { score: 0 } }], 'd', [{ id: 'a' }, { id: 'a' }], {
      runId: 'trials',
      measures: [{ trial: 0 }, { trial: 1 }],
    });
    await t.logBatch([{ m: { score: 1 } }], 'd', [{ id: 'a' }], { runId: 'plain' });
    const tableOf = async (runId: string) => new RunTable(t, (await t.getRun(runId))!);
    const timed = await tableOf('timed');
    const first = await timed.page({ ...page, metric: null });
    // The task's latency; the cost of the task and its evaluators together.
    expect(first.rows.map((r) => [r.sampleId, r.latencyMs, r.cost, r.trial])).toEqual([
      ['a', 30, 0.75, null],
      ['b', 10, null, null],
      ['c', null, null, null],
      ['d', 20, 0.1, null],
    ]);
    expect(first.measures).toEqual({ latency: true, cost: true, trials: false });
    const ids = async (table: RunTable, q: Partial<typeof page>) =>
      (await table.page({ ...page, ...q })).rows.map((r) => r.sampleId);
    expect(await ids(timed, { sort: '@latency' })).toEqual(['b', 'd', 'a', 'c']);
    expect(await ids(timed, { sort: '@latency', desc: true })).toEqual(['a', 'd', 'b', 'c']);
    expect(await ids(timed, { sort: '@cost' })).toEqual(['d', 'a', 'b', 'c']);
    expect(await ids(timed, { sort: '@cost', desc: true })).toEqual(['a', 'd', 'b', 'c']);

    const trials = await tableOf('trials');
    const both = await trials.page({ ...page, sort: '@trial', desc: true, metric: null });
    expect(both.rows.map((r) => r.trial)).toEqual([1, 0]);
    expect(both.measures).toEqual({ latency: false, cost: false, trials: true });
    const plain = await tableOf('plain');
    expect((await plain.page({ ...page, metric: null })).measures).toEqual({
      latency: false,
      cost: false,
      trials: false,
    });
    await t.close();
  });

  it('serves the first page of a large run before the whole run is read', async () => {
    using dir = tempDir();
    const t = new SqliteExperimentTracker('p', { file: join(dir.path, 't.sqlite') });
    const n = 5000;
    await t.logBatch(
      Array.from({ length: n }, () => ({ m: { score: 1 } })),
      'd',
      Array.from({ length: n }, (_, i) => ({ id: `s${i}` })),
      { runId: 'big' },
    );
    const [run] = await t.getExperimentHistory();
    const table = new RunTable(t, run!);
    const first = await table.page({ ...page, limit: 100, metric: run!.scoreColumn });
    expect(first.rows.map((r) => r.sampleId)).toEqual(
      Array.from({ length: 100 }, (_, i) => `s${i}`),
    );
    expect(first.total).toBe(n);
    // Answered while the rest was still being read.
    expect(table.rows.length).toBeLessThan(n);
    await table.loaded;
    expect(table.rows.length).toBe(n);
    await t.close();
  });
});
