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
    expect((await table.histograms()).find((h) => h.metric === 'm.aggregate_success')).toEqual({
      metric: 'm.aggregate_success',
      min: 0,
      max: 1,
      counts: [3, 3],
    });
    expect(runId).toBe(run!.runId);
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
