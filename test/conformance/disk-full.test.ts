// A full disk and a read-only folder under every store kept in a folder (test/helpers/test-stores.ts),
// from one list of cases: a real tmpfs (test/helpers/tmpfs.ts).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BaseExperimentTracker } from 'evaltrack';
import { gllmResult } from 'evaltrack/testing';
import type { FolderStore, TestStore } from '../helpers/test-stores.js';
import { testStores } from '../helpers/test-stores.js';
import {
  fill,
  openFilesUnder,
  runsTmpfsTests,
  tmpfs,
  tmpfsUnavailable,
  unfill,
} from '../helpers/tmpfs.js';

// Results of about 3.4 KB each, so that 8 KiB left free fill up in the middle of a batch. (A disk of
// 1 MiB: a new SQLite database takes more than 64 KiB.)
const TEXT = 'x'.repeat(3000);
const sample = (id: string) => ({ id, input: TEXT });
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

type FolderTestStore = TestStore & { folder: FolderStore };

/** The ids of a run's results, read by a new tracker and without evaltrack; checks its total. */
async function storedIds(store: TestStore, location: string, runId: string): Promise<unknown[]> {
  const t = store.open(location, 'check');
  const records = await t.getRunResults(runId);
  const history = await t.getExperimentHistory();
  await t.close();
  expect(history.find((r) => r.runId === runId)?.totalData).toBe(records.length);
  const outside = await store.readOutside(location);
  expect(outside.results.filter((r) => r.runId === runId).map((r) => r.id)).toEqual(
    records.map((r) => String(r.data['id'])),
  );
  return records.map((r) => r.data['id']);
}

/** A store on a new tmpfs of 1 MiB, holding one result (`a`), and its tracker, still open. */
async function storeOnTmpfs(store: FolderTestStore) {
  const disk = tmpfs(1024 * 1024);
  try {
    const location = store.folder.at(disk.path);
    const t = store.open(location, 'p');
    const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [sample('a')]);
    return { disk, location, t, runId, [Symbol.dispose]: () => disk[Symbol.dispose]() };
  } catch (e) {
    disk[Symbol.dispose]();
    throw e;
  }
}

/** The cases every store kept in a folder runs. */
const CASES: {
  name: string;
  /** Why a store cannot run the case, or null. */
  skip?(store: FolderTestStore): string | null;
  run(store: FolderTestStore): Promise<void>;
}[] = [
  {
    name: 'a logBatch cut short stores none of its results; once space is back a retry stores each once',
    async run(store) {
      using held = await storeOnTmpfs(store);
      const { disk, location, t, runId } = held;
      // Room for two of the four results: the write stops in the middle of the third.
      fill(disk.path, 8192);
      const batch = ids('s', 4);
      const results = batch.map((_, i) => gllmResult(i % 2, 1, 0));
      await expect(t.logBatch(results, 'd', batch.map(sample), { runId })).rejects.toMatchObject({
        code: 'E_STORE_IO',
        cause: { code: store.folder.fullDiskCode },
      });
      // Nothing of the failed call is visible, to us, to another tracker, or without evaltrack.
      expect((await t.getRunResults(runId)).map((r) => r.data['id'])).toEqual(['a']);
      expect(await storedIds(store, location, runId)).toEqual(['a']);
      expect(readdirSync(disk.path).sort()).toEqual(
        [...store.folder.files(['p'], 'open'), 'filler'].sort(),
      );

      unfill(disk.path);
      await expect(t.logBatch(results, 'd', batch.map(sample), { runId })).resolves.toBe(runId);
      await t.close();
      expect(await storedIds(store, location, runId)).toEqual(['a', ...batch]);
      // Nothing left to repair or set aside, no lock, no temporary file.
      expect(readdirSync(disk.path).sort()).toEqual(store.folder.files(['p']).sort());
    },
  },
  {
    name: 'a disk with no byte free: log() throws, leaves nothing behind (no lock), and logging resumes once space is back',
    async run(store) {
      using held = await storeOnTmpfs(store);
      const { disk, location, t, runId } = held;
      await t.close();
      fill(disk.path, 0);
      // A new tracker opens the store to write: a file store takes its lock to open its file, a
      // SQLite database opens its write-ahead log (in the constructor).
      let again: BaseExperimentTracker | undefined;
      expect(() => {
        again = store.open(location, 'p');
        again.log(gllmResult(1, 1, 0), 'd', sample('b'), { runId });
      }).toThrow(expect.objectContaining({ code: 'E_STORE_IO' }));
      // An empty lock file left here would hold every writer off for its grace period.
      expect(readdirSync(disk.path).sort()).toEqual(
        [...store.folder.files(['p'], 'open'), 'filler'].sort(),
      );
      // A tracker that could not be opened keeps none of the store's files open.
      if (!again) expect(openFilesUnder(disk.path)).toEqual([]);
      unfill(disk.path);
      again ??= store.open(location, 'p');
      expect(again.log(gllmResult(1, 1, 0), 'd', sample('b'), { runId })).toBe(runId);
      await again.close();
      expect(await storedIds(store, location, runId)).toEqual(['a', 'b']);
      expect(readdirSync(disk.path).sort()).toEqual(store.folder.files(['p']).sort());
    },
  },
  {
    name: 'a read-only folder: logContext() and close() reject with what was not stored',
    skip: (store) => store.folder.readOnly,
    async run(store) {
      using held = await storeOnTmpfs(store);
      const { disk, location, t, runId } = held;
      await t.close();
      disk.readOnly();
      const ro = store.open(location, 'p');
      expect((await ro.getRunResults(runId)).map((r) => r.data['id'])).toEqual(['a']);
      await expect(ro.logContext({ prompt: 'v3' }, { runId })).rejects.toMatchObject({
        code: 'E_NOT_STORED',
        results: [],
        pendingRunChanges: 1,
      });
      const closing = ro.close();
      await expect(closing).rejects.toMatchObject({ code: 'E_NOT_STORED', pendingRunChanges: 1 });
      await expect(closing).rejects.toThrow(`run "${runId}": context (prompt)`);
    },
  },
];

for (const store of testStores()) {
  if (!store.folder) continue;
  const folderStore = { ...store, folder: store.folder };
  const skip = store.skip ?? (runsTmpfsTests ? null : tmpfsUnavailable);
  describe.skipIf(skip !== null)(
    `${store.kind}: a full disk (a real tmpfs)${skip ? ` (skipped: ${skip})` : ''}`,
    () => {
      for (const c of CASES) {
        const why = c.skip?.(folderStore) ?? null;
        it.skipIf(why !== null)(`${c.name}${why ? ` (skipped: ${why})` : ''}`, () =>
          c.run(folderStore),
        );
      }
    },
  );
}
