// A separate process that logs into a store, as a user's script would.
// Usage: node log-writer.mjs <store> <writer> <count> [report|batches|shared] [textBytes]
// <store> is what --store takes: a folder, sqlite:<file>, jsonl:<folder>, or a postgres:// URL.
// Each writer has metrics of its own, and half-way adds one more, so the header grows while the
// other writers append. With "report", it prints the index of each result once log() returned.
// With "shared", every writer logs into the same two runs, shared-0 and shared-1, by log() and
// logBatch() in turn, as project "shared" (one file in a JSON Lines store); otherwise each writer
// is project w<writer>.
import { openTracker } from 'evaltrack';

const [dir, writer, countText, mode = '', textBytesText = '2000'] = process.argv.slice(2);
const count = Number(countText);
const text = 'lorem, "ipsum"\n dolor é '
  .repeat(Math.ceil(Number(textBytesText) / 25))
  .slice(0, Number(textBytesText));
const tracker = await openTracker(mode === 'shared' ? 'shared' : `w${writer}`, { store: dir });
const runId = `run-${writer}`;

const resultOf = (i) => ({
  ev: {
    aggregate_success: i % 2 === 0,
    aggregate_score: i / count,
    shared: { score: 1, success: true },
    [`m${writer}`]: { score: i / count, success: i % 3 === 0 },
    ...(i >= count / 2 ? { [`late${writer}`]: { score: 0.25, success: false } } : {}),
  },
});
const dataOf = (i) => ({ id: `${writer}-${i}`, input: `q${i}`, retrieved_context: text });

if (mode === 'shared') {
  // Sample i goes to shared-0 or shared-1 by (i >> 1) & 1, so each run gets passes and fails;
  // in every 100, single log() calls, then one logBatch() per run.
  const runOf = (i) => `shared-${(i >> 1) & 1}`;
  for (let from = 0; from < count; from += 100) {
    const idx = Array.from({ length: Math.min(100, count - from) }, (_, k) => from + k);
    for (const i of idx.slice(0, 50))
      tracker.log(resultOf(i), 'shared', dataOf(i), { runId: runOf(i) });
    for (const runId of ['shared-0', 'shared-1']) {
      const mine = idx.slice(50).filter((i) => runOf(i) === runId);
      await tracker.logBatch(mine.map(resultOf), 'shared', mine.map(dataOf), { runId });
    }
  }
} else if (mode === 'batches') {
  // Batches of 100, each reported once logBatch() resolved: for crash tests of whole batches.
  for (let from = 0; from < count; from += 100) {
    const idx = Array.from({ length: Math.min(100, count - from) }, (_, k) => from + k);
    await tracker.logBatch(idx.map(resultOf), `ds${writer}`, idx.map(dataOf), { runId });
    process.stdout.write(`${from}\n`);
  }
} else {
  const batchFrom = mode === 'report' ? count : count - 100;
  for (let i = 0; i < batchFrom; i++) {
    tracker.log(resultOf(i), `ds${writer}`, dataOf(i), { runId });
    if (mode === 'report') process.stdout.write(`${i}\n`);
  }
  if (batchFrom < count) {
    const idx = Array.from({ length: count - batchFrom }, (_, k) => batchFrom + k);
    await tracker.logBatch(idx.map(resultOf), `ds${writer}`, idx.map(dataOf), { runId });
  }
}
await tracker.close();
