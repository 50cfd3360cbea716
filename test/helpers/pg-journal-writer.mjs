// A user's script that logs into PostgreSQL with log() and then ends abruptly.
// Usage: node pg-journal-writer.mjs <url> <schema> <journalDir> <mode> <count> <runId>
// Logs <count> results with log() into run <runId>, then logContext({ commit: 'abc' }) without
// awaiting it, then by <mode>:
//   exit   process.exit(0) at once
//   throw  an uncaught exception
//   hang   prints "logged" and waits, to be killed
//   stored awaits flush(), then prints "logged" and waits, to be killed
//   batch  one logBatch() of all <count> results, not awaited, then process.exit(0) (no context)
//   close  awaits close(); prints what an UnstoredResultsError carried as JSON, or "stored"
import { setInterval } from 'node:timers';
import { PostgresExperimentTracker } from 'evaltrack/postgres';

const [url, schema, journalDir, mode, countText, runId] = process.argv.slice(2);
const tracker = new PostgresExperimentTracker('p', {
  connectionString: url,
  schema,
  journalDir,
  retries: 1,
  retryDelayMs: 10,
});
const result = (i) => ({ ev: { aggregate_success: i % 2 === 1, score: i % 2 } });
const sample = (i) => ({ id: `${runId}-${i}`, input: `q${i}` });
const indexes = Array.from({ length: Number(countText) }, (_, i) => i);
if (mode === 'batch') {
  // One logBatch() of them all, not awaited: queued (and journaled) before it returns its promise.
  tracker.logBatch(indexes.map(result), 'd', indexes.map(sample), { runId }).catch(() => {});
  process.exit(0);
}
for (const i of indexes) tracker.log(result(i), 'd', sample(i), { runId });
// Queued synchronously (the tracker knows the run); the promise is left to the process's end.
tracker.logContext({ commit: 'abc' }, { runId }).catch(() => {});

if (mode === 'exit') process.exit(0);
if (mode === 'throw') throw new Error('the script failed right after logging');
if (mode === 'stored') await tracker.flush();
if (mode === 'hang' || mode === 'stored') {
  process.stdout.write('logged\n');
  setInterval(() => {}, 1000);
}
if (mode === 'close') {
  try {
    await tracker.close();
    process.stdout.write('stored\n');
  } catch (e) {
    process.stdout.write(
      `${JSON.stringify({
        code: e.code,
        results: e.results.map((r) => r.sampleId),
        runChanges: e.runChanges.map((c) => [c.runId, c.context]),
      })}\n`,
    );
  }
}
