// evaluate(): what it costs per sample beyond the tracker's own cost of logging the results, on
// its own and with a task, trials and timing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;
const TRIALS = 2;

/** Logs `results[i]` for `data[i]` with logBatch in batches of 50; the time it took, in ms. */
async function logAlone(dir, results, data, options = () => ({})) {
  const t = new CSVExperimentTracker('bench', { outputDir: dir });
  const runId = t.newRunId('rag');
  const start = now();
  for (let from = 0; from < data.length; from += 50) {
    await t.logBatch(results.slice(from, from + 50), 'rag', data.slice(from, from + 50), {
      runId,
      ...options(from, Math.min(from + 50, data.length)),
    });
  }
  const ms = now() - start;
  await t.close();
  return ms;
}

export async function evaluateSection({ root, pool, scale, note }) {
  const n = Math.round(20_000 * scale);
  const data = Array.from({ length: n }, (_, i) => ({
    ...pool[i % pool.length].data,
    id: `e${i}`,
  }));
  const outputs = new Map(data.map((d, i) => [d.id, pool[i % pool.length].evaluationResult]));
  // An evaluator and a task that cost nothing: the overhead measured is evaluate()'s own.
  const instant = (sample) => outputs.get(sample.id);
  const answers = new Map(data.map((d) => [d.id, d.actual_output]));
  const task = (sample) => answers.get(sample.id);
  // What evaluate() logs with a task and trials: each sample TRIALS times, sample by sample, its
  // data a copy with the task's output, and measures (trial, the task's and evaluator's latency).
  const trialData = data.flatMap((d) =>
    Array.from({ length: TRIALS }, () => ({ ...d, actual_output: answers.get(d.id) })),
  );
  const trialResults = trialData.map((d) => outputs.get(d.id));
  // Latencies as evaluate() stores them: ms to the microsecond, varied as measured ones are.
  const trialMeasures = trialData.map((_, i) => ({
    trial: i % TRIALS,
    task: { latencyMs: ((i * 7919) % 4000) / 1000 + 0.001 },
    evaluators: { instant: { latencyMs: ((i * 104_729) % 3000) / 1000 + 0.001 } },
  }));

  const withEvaluate = [];
  const loggingAlone = [];
  const withTask = [];
  const taskLoggingAlone = [];
  for (let rep = 0; rep < 5; rep++) {
    const dir = (name) => {
      const d = join(root, `${name}-${rep}`);
      mkdirSync(d);
      return d;
    };
    let t = new CSVExperimentTracker('bench', { outputDir: dir('evaluate') });
    let start = now();
    await evaluate({
      data,
      evaluators: [instant],
      tracker: t,
      datasetName: 'rag',
      batchSize: 50,
      progress: false,
    });
    withEvaluate.push(now() - start);
    await t.close();
    loggingAlone.push(
      await logAlone(
        dir('logbatch'),
        data.map((d) => outputs.get(d.id)),
        data,
      ),
    );

    t = new CSVExperimentTracker('bench', { outputDir: dir('evaluate-task') });
    start = now();
    await evaluate({
      data,
      task,
      trials: TRIALS,
      evaluators: [instant],
      tracker: t,
      datasetName: 'rag',
      batchSize: 50,
      progress: false,
    });
    withTask.push(now() - start);
    await t.close();
    taskLoggingAlone.push(
      await logAlone(dir('logbatch-task'), trialResults, trialData, (from, to) => ({
        measures: trialMeasures.slice(from, to),
      })),
    );
  }
  note('evaluate() overhead per sample, beyond logging its results', {
    evaluateMs: median(withEvaluate),
    logBatchAloneMs: median(loggingAlone),
    samples: n,
    overheadUs: ((median(withEvaluate) - median(loggingAlone)) * 1000) / n,
    target: '< 50 µs',
  });
  // Per sample trial (one result each, as a sample is above), and per sample (TRIALS results).
  const taskOverheadMs = median(withTask) - median(taskLoggingAlone);
  note(
    'evaluate() overhead per sample with a task, trials 2 and timing, beyond logging its results',
    {
      evaluateMs: median(withTask),
      logBatchAloneMs: median(taskLoggingAlone),
      samples: n,
      trials: TRIALS,
      overheadUs: (taskOverheadMs * 1000) / (n * TRIALS),
      overheadUsPerSample: (taskOverheadMs * 1000) / n,
      target: 'overheadUs (per sample trial) at most 2x the figure above without a task',
    },
  );
}
