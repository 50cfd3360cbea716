// A separate process that logs into a results folder, as a user's script would.
// Usage: node log-writer.mjs <dir | sqlite:file> <writer> <count> [report|batches] [textBytes]
// Each writer has metrics of its own, and half-way adds one more, so the header grows while the
// other writers append. With "report", it prints the index of each result once log() returned.
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';

const [dir, writer, countText, mode = '', textBytesText = '2000'] = process.argv.slice(2);
const count = Number(countText);
const text = 'lorem, "ipsum"\n dolor é '
  .repeat(Math.ceil(Number(textBytesText) / 25))
  .slice(0, Number(textBytesText));
const tracker = dir.startsWith('sqlite:')
  ? new SqliteExperimentTracker(`w${writer}`, { file: dir.slice('sqlite:'.length) })
  : new CSVExperimentTracker(`w${writer}`, { outputDir: dir });
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

if (mode === 'batches') {
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
