// A separate process that logs into one project's JSON Lines file, which other writers share.
// Usage: node jsonl-writer.mjs <folder> <writer> <count>
// Results of ~6 KB each, by log() and logBatch() in turn, so that writes are large and many.
import { JsonlExperimentTracker } from '../../dist/jsonl.js';

const [dir, writer, countText] = process.argv.slice(2);
const count = Number(countText);
const tracker = new JsonlExperimentTracker('shared', { outputDir: dir });
const runId = `run-${writer}`;
const resultOf = (i) => ({ ev: { aggregate_success: i % 2 === 0, m: { score: i / count } } });
const dataOf = (i) => ({ id: `${writer}-${i}`, input: `${writer}`.repeat(6000) });
for (let from = 0; from < count; from += 20) {
  const idx = Array.from({ length: Math.min(20, count - from) }, (_, k) => from + k);
  for (const i of idx.slice(0, 10)) tracker.log(resultOf(i), 'd', dataOf(i), { runId });
  const rest = idx.slice(10);
  await tracker.logBatch(rest.map(resultOf), 'd', rest.map(dataOf), { runId });
}
await tracker.close();
