// evaluate(): what it costs per sample beyond the tracker's own cost of logging the results.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

export async function evaluateSection({ root, pool, scale, note }) {
  const n = Math.round(20_000 * scale);
  const data = Array.from({ length: n }, (_, i) => ({
    ...pool[i % pool.length].data,
    id: `e${i}`,
  }));
  const outputs = new Map(data.map((d, i) => [d.id, pool[i % pool.length].evaluationResult]));
  // An evaluator that costs nothing: the overhead measured is evaluate()'s own.
  const instant = (sample) => outputs.get(sample.id);
  const withEvaluate = [];
  const loggingAlone = [];
  for (let rep = 0; rep < 5; rep++) {
    const a = join(root, `evaluate-${rep}`);
    const b = join(root, `logbatch-${rep}`);
    mkdirSync(a);
    mkdirSync(b);
    let t = new CSVExperimentTracker('bench', { outputDir: a });
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
    t = new CSVExperimentTracker('bench', { outputDir: b });
    const runId = t.newRunId('rag');
    start = now();
    for (let from = 0; from < n; from += 50) {
      const chunk = data.slice(from, from + 50);
      await t.logBatch(
        chunk.map((d) => outputs.get(d.id)),
        'rag',
        chunk,
        { runId },
      );
    }
    loggingAlone.push(now() - start);
    await t.close();
  }
  note('evaluate() overhead per sample, beyond logging its results', {
    evaluateMs: median(withEvaluate),
    logBatchAloneMs: median(loggingAlone),
    samples: n,
    overheadUs: ((median(withEvaluate) - median(loggingAlone)) * 1000) / n,
    target: '< 50 µs',
  });
}
