// evaluate() with a task, as a user runs it: `node evaluate-task-script.mjs '<json config>'`, with
// nothing else keeping the process alive. The task asks a real HTTP server (started by the test
// on 127.0.0.1) for each sample's answer through `fetch`; the test reads the store afterwards.
// Config: { store, base, trials, timeoutMs, runId?, scenario? }. `scenario: 'sigint'` prints
// `ready` once `readyAfter` evaluator calls are done, for the test's Ctrl+C. The last line of
// stdout is JSON: { runId, judgeCalls, numSamples, results, measures } or { error, code }.
/* global fetch, setImmediate */
import { evaluate, openTracker } from 'evaltrack';

const config = JSON.parse(process.argv[2]);
const tracker = await openTracker('p', { store: config.store });
const data = Array.from({ length: 10 }, (_, i) => ({
  id: `s${i}`,
  input: `question ${i}`,
  expected_output: `answer ${i}`,
}));
let judgeCalls = 0;

// The application under test: one HTTP call per sample and trial, aborted with `signal`.
async function answer(sample, { signal, trial }) {
  const res = await fetch(`${config.base}/answer?id=${sample.id}&trial=${trial}`, { signal });
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  const body = await res.json();
  return {
    output: body.answer,
    usage: body.usage,
    cost: body.cost,
    metadata: { model_name: body.model },
  };
}

// A judge that costs money too: its usage and cost are measured, not stored as scores.
function judge(sample) {
  judgeCalls++;
  if (config.scenario === 'sigint' && judgeCalls === config.readyAfter)
    setImmediate(() => process.stdout.write('ready\n'));
  const pass = sample.actual_output === sample.expected_output;
  return {
    judge: { aggregate_score: pass ? 1 : 0, aggregate_success: pass },
    usage: { inputTokens: 7, outputTokens: 1, totalTokens: 8 },
    cost: 0.125,
  };
}

try {
  const out = await evaluate({
    data,
    task: answer,
    evaluators: [judge],
    tracker,
    datasetName: 'qa',
    trials: config.trials,
    ...(config.runId ? { runId: config.runId } : {}),
    retries: 2,
    timeoutMs: config.timeoutMs,
    concurrency: 10,
    progress: false,
  });
  console.log(
    JSON.stringify({
      runId: out.runId,
      judgeCalls,
      numSamples: out.numSamples,
      results: out.results,
      measures: out.measures,
    }),
  );
} catch (error) {
  console.log(JSON.stringify({ error: error.message, code: error.code, judgeCalls }));
  process.exitCode = 1;
} finally {
  await tracker.close();
}
