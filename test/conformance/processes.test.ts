// Several processes and kill -9, against every store (test/helpers/test-stores.ts), from one list
// of cases: real child processes (test/helpers/log-writer.mjs) logging as users' scripts do.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gllmResult } from 'evaltrack/testing';
import { expectLeaderboardToEqualRefold } from '../helpers/refold.js';
import type { TestStore } from '../helpers/test-stores.js';
import { testStores } from '../helpers/test-stores.js';
import { collectWarnings, settle } from '../helpers/warnings.js';
import { killWriter, runWriter } from '../helpers/writer-process.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** A cell as text, '' where the result has none: a CSV cell and a missing JSON value alike. */
const text = (cell: unknown) =>
  typeof cell === 'string' ? cell : cell === undefined ? '' : JSON.stringify(cell);

/**
 * After writer `writer` (logging into run `run-<writer>`) was killed: every result whose call
 * returned (`returned`, their sample numbers) is there, in logging order with no gap; logging into
 * its project works again; whatever the kill tore is reported and set aside, never read as a
 * result. Returns the stored sample numbers.
 */
async function expectKilledWriterKept(
  store: TestStore,
  location: string,
  writer: string,
  returned: readonly number[],
): Promise<number[]> {
  using warnings = collectWarnings();
  const reader = store.open(location, 'check');
  const stored = (await reader.getRunResults(`run-${writer}`)).map((r) =>
    Number(String(r.data['id']).split('-')[1]),
  );
  expect(stored).toEqual(range(stored.length));
  expect(stored.length).toBeGreaterThanOrEqual(Math.max(-1, ...returned) + 1);
  expect((await reader.getExperimentHistory()).map((r) => [r.runId, r.totalData])).toEqual([
    [`run-${writer}`, stored.length],
  ]);
  await reader.close();

  // Logging into the killed writer's project works again.
  const again = store.open(location, `w${writer}`);
  await again.logBatch([gllmResult(1, 1, 0)], 'after', [{ id: 'after' }], { runId: 'run-after' });
  expect((await again.getRunResults('run-after')).map((r) => r.data['id'])).toEqual(['after']);
  expect(await again.getRunResults(`run-${writer}`)).toHaveLength(stored.length);
  await again.close();
  await settle();

  const torn = warnings.codes.includes('EVALTRACK_TORN_RECORD') ? 1 : 0;
  const outside = await store.readOutside(location);
  expect(outside.results.map((r) => r.id).sort(byId)).toEqual(
    [...stored.map((i) => `${writer}-${i}`), 'after'].sort(byId),
  );
  expect(outside.setAside).toBe(torn);
  expect(outside.unreadable).toBe(store.tornBytesStay ? torn : 0);
  return stored;
}

/** The cases every store runs. */
const CASES: {
  name: string | ((store: TestStore) => string);
  run(store: TestStore): Promise<void>;
}[] = [
  {
    name: '4 processes x 2,000 results into one store lose, tear, duplicate and mix nothing',
    async run(store) {
      const location = store.newLocation();
      const writers = ['0', '1', '2', '3'];
      // A writer that fails (SQLITE_BUSY, a deadlock, a lost result) exits non-zero: fails this.
      await Promise.all(writers.map((w) => runWriter([store.address(location), w, '2000'])));

      const t = store.open(location, 'check');
      for (const w of writers) {
        const records = await t.getRunResults(`run-${w}`);
        expect(records.map((r) => r.data['id'])).toEqual(range(2000).map((i) => `${w}-${i}`));
        records.forEach((r, i) => {
          expect(r.values[`ev.m${w}.score`]).toBe(i / 2000);
          expect(r.values[`ev.m${w}.success`]).toBe(i % 3 === 0);
          expect(r.values[`ev.late${w}.score`]).toBe(i >= 1000 ? 0.25 : undefined);
          // The tracker's aggregate_success column is 1/0; the result itself keeps the boolean.
          expect(r.values['ev.aggregate_success']).toBe(i % 2 === 0 ? 1 : 0);
          expect(
            (r.evaluationResult as { ev: { aggregate_success: boolean } }).ev.aggregate_success,
          ).toBe(i % 2 === 0);
        });
      }
      const history = await t.getExperimentHistory();
      await t.close();
      expect(
        history.map((r) => [r.runId, r.totalData, r.averageScore, r.summaryResult]).sort(),
      ).toEqual(writers.map((w) => [`run-${w}`, 2000, 0.5, { accuracy: 0.5 }]));

      // Nothing else left in the store's folder: no lock, no temporary file.
      if (store.folder) {
        expect(readdirSync(store.folder.dirOf(location)).sort()).toEqual(
          store.folder.files(writers.map((w) => `w${w}`)).sort(),
        );
      }

      // Read without evaltrack: each result once, with its own metrics only.
      const outside = await store.readOutside(location);
      expect(outside.results.map((r) => r.id).sort(byId)).toEqual(
        writers.flatMap((w) => range(2000).map((i) => `${w}-${i}`)).sort(byId),
      );
      for (const { runId, id, cells } of outside.results) {
        const [w, i] = id.split('-').map(Number) as [number, number];
        expect(runId).toBe(`run-${w}`);
        expect(Number(cells[`ev.m${w}.score`])).toBe(i / 2000);
        expect(text(cells[`ev.late${w}.score`])).toBe(i >= 1000 ? '0.25' : '');
        for (const other of writers.filter((x) => Number(x) !== w))
          expect(text(cells[`ev.m${other}.score`])).toBe('');
      }
      expect([outside.unreadable, outside.setAside]).toEqual([0, 0]);
      expect(outside.leaderboard.sort()).toEqual(writers.map((w) => [`run-${w}`, '2000', '0.5']));
    },
  },
  {
    name: (store) =>
      `${store.sameRuns?.writers ?? 2} processes x ${(store.sameRuns?.results ?? 1000).toLocaleString('en-US')} results into the same runs: exact totals, no duplicate, the leaderboard equals a refold of the results${
        store.sameRuns ? ` (${store.sameRuns.why})` : ''
      }`,
    async run(store) {
      const { writers: n, results: count } = store.sameRuns ?? { writers: 2, results: 1000 };
      const location = store.newLocation();
      const writers = range(n).map(String);
      await Promise.all(
        writers.map((w) => runWriter([store.address(location), w, String(count), 'shared'])),
      );
      const t = store.open(location, 'check');
      // log-writer.mjs sends sample i to shared-((i >> 1) & 1).
      const expected = (run: number) =>
        writers
          .flatMap((w) =>
            range(count)
              .filter((i) => ((i >> 1) & 1) === run)
              .map((i) => `${w}-${i}`),
          )
          .sort(byId);
      for (const run of [0, 1]) {
        const ids = (await t.getRunResults(`shared-${run}`)).map((r) => String(r.data['id']));
        expect(ids.sort(byId)).toEqual(expected(run));
      }
      await expectLeaderboardToEqualRefold(t, ['shared-0', 'shared-1']);
      expect(
        (await t.getExperimentHistory())
          .map((r) => [r.runId, r.totalData, r.averageScore, r.summaryResult])
          .sort(),
      ).toEqual([
        ['shared-0', (n * count) / 2, 0.5, { accuracy: 0.5 }],
        ['shared-1', (n * count) / 2, 0.5, { accuracy: 0.5 }],
      ]);
      await t.close();

      // All of them as one project: one results file, where a store keeps one a project.
      if (store.folder) {
        expect(readdirSync(store.folder.dirOf(location)).sort()).toEqual(
          store.folder.files(['shared']).sort(),
        );
      }
      const outside = await store.readOutside(location);
      expect(outside.results.map((r) => r.id).sort(byId)).toEqual(
        [...expected(0), ...expected(1)].sort(byId),
      );
      expect([outside.unreadable, outside.setAside]).toEqual([0, 0]);
      expect(outside.leaderboard.sort()).toEqual([
        ['shared-0', String((n * count) / 2), '0.5'],
        ['shared-1', String((n * count) / 2), '0.5'],
      ]);
    },
  },
  {
    name: 'keeps every result whose log() returned when the process is killed with SIGKILL',
    async run(store) {
      const location = store.newLocation();
      // Results of 100 KB, so that a kill lands in the middle of a write now and then.
      const returned = await killWriter(
        [store.address(location), '9', '100000', 'report', '100000'],
        400,
      );
      expect(returned.length).toBeGreaterThanOrEqual(400);
      await expectKilledWriterKept(store, location, '9', returned);
    },
  },
  {
    name: (store) =>
      `keeps every batch whose logBatch() returned when the process is killed with SIGKILL; ${
        store.killedBatch.whole ? 'whole batches only' : 'the whole results before the cut'
      } (${store.killedBatch.why})`,
    async run(store) {
      const location = store.newLocation();
      // Batches of 100 results of 20 KB; killed in the middle of a later batch.
      const returned = await killWriter(
        [store.address(location), '7', '1000000', 'batches', '20000'],
        5,
        20,
      );
      expect(returned.length).toBeGreaterThanOrEqual(5);
      const stored = await expectKilledWriterKept(
        store,
        location,
        '7',
        returned.map((from) => from + 99),
      );
      // Whole batches of 100 only, where the store promises it.
      if (store.killedBatch.whole) expect(stored.length % 100).toBe(0);
    },
  },
];

for (const store of testStores()) {
  describe.skipIf(store.skip !== null)(
    `${store.kind}: several processes and crashes${store.skip ? ` (skipped: ${store.skip})` : ''}`,
    () => {
      for (const c of CASES) {
        it(typeof c.name === 'string' ? c.name : c.name(store), () => c.run(store));
      }
    },
  );
}
