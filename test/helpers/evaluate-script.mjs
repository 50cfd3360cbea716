// evaluate() as a user runs it: `node evaluate-script.mjs <scenario> <folder> [runId]`, nothing
// else keeping the process alive. Each scenario's evaluator fails in one way; the test reads the
// folder afterwards. Prints `ready` on stdout when the `sigint` scenario wants its Ctrl+C.
/* global setImmediate */
import { evaluate, metricEvaluator } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';

const [scenario, folder, runId] = process.argv.slice(2);
const tracker = new CSVExperimentTracker('p', { outputDir: folder });
const data = Array.from({ length: 10 }, (_, i) => ({
  id: `s${i}`,
  input: `question ${i}`,
  actual_output: `answer ${i}`,
  expected_output: `answer ${i}`,
}));
let calls = 0;
const attempts = new Map();
let fast = 0;

const evaluators = {
  // A rate-limited judge: every sample's first call throws, the retry answers.
  'throws-once': async (sample) => {
    calls++;
    const n = (attempts.get(sample.id) ?? 0) + 1;
    attempts.set(sample.id, n);
    if (n === 1) throw new Error('429 Too Many Requests');
    return { judge: { aggregate_success: true, aggregate_score: 1 } };
  },
  'always-throws': async () => {
    calls++;
    throw new Error('judge is down');
  },
  // Waits on nothing that keeps Node alive: only evaluate()'s time limit can end it.
  hangs: () => new Promise(() => {}),
  'returns-null': (sample) => [null, 42, 'text', [], undefined][Number(sample.id.slice(1)) % 5],
  // Half the samples answer at once; the rest wait until Ctrl+C (a 60 s time limit keeps Node up).
  sigint: async (sample) => {
    if (Number(sample.id.slice(1)) >= 5) return new Promise(() => {});
    if (++fast === 5) setImmediate(() => process.stdout.write('ready\n'));
    return { judge: { aggregate_success: true, aggregate_score: 1 } };
  },
  resume: async () => ({ judge: { aggregate_success: true, aggregate_score: 1 } }),
  // autoevals may give no score: kept as not scored.
  'null-score': metricEvaluator('judge', {
    relevance: ({ output }) => ({ score: output === 'answer 3' ? null : 1 }),
  }),
};

if (scenario === 'unstorable') {
  data[7].context = { tokens: NaN };
  evaluators.unstorable = async () => {
    calls++;
    return { judge: { aggregate_success: true } };
  };
}

try {
  const out = await evaluate({
    data,
    evaluators: [evaluators[scenario]],
    tracker,
    datasetName: 'qa',
    ...(runId ? { runId } : {}),
    retries: 2,
    timeoutMs: scenario === 'sigint' ? 60_000 : 200,
    concurrency: 10,
    progress: false,
  });
  console.log(JSON.stringify({ runId: out.runId, calls }));
} catch (error) {
  console.log(JSON.stringify({ error: error.message, code: error.code, path: error.path, calls }));
  throw error;
} finally {
  await tracker.close();
}
