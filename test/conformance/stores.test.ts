// The contract suite over every store evaltrack ships, from one list (test/helpers/test-stores.ts):
// a new store is one entry there.
import { describe, expect, it } from 'vitest';
import { STORE_KINDS } from 'evaltrack';
import { describeTrackerContract } from 'evaltrack/testing';
import { testStores } from '../helpers/test-stores.js';

const STORES = testStores();
const csv = STORES.find((s) => s.kind === 'csv');

it('tests every kind of store the registry opens, each once', () => {
  expect(STORES.map((s) => s.kind).sort()).toEqual(STORE_KINDS.map((k) => k.kind).sort());
});

for (const store of STORES) {
  if (store.skip !== null) {
    describe.skip(`${store.kind}: ${store.skip}`, () => it('the contract', () => {}));
    continue;
  }
  // Every store also copies to and from CSV folders, the format of gllm-evals.
  describeTrackerContract({ describe, it, expect }, store.kind, { ...store, csvFolder: csv });
}
