// The quickstart: log a small RAG evaluation answered by two model variants into
// ./gllm_evals/experiments (the gllm-evals default), then print the leaderboard.
// Run it with `npm start`; it needs no API key and no network.
import { readFileSync } from 'node:fs';
import { CSVExperimentTracker } from 'evaltrack/csv';

const bundle = JSON.parse(readFileSync(new URL('./data/rag-eval.json', import.meta.url), 'utf8'));
const tracker = new CSVExperimentTracker('quickstart');

for (const model of bundle.models) {
  // One run per model variant; each sample's results were judged by a gllm-evals style evaluator.
  const runId = tracker.newRunId(bundle.dataset);
  await tracker.logContext({ model, prompt_version: 'v3', dataset_size: bundle.samples.length });
  await tracker.logBatch(
    bundle.samples.map((s) => s.outputs[model].evaluation),
    bundle.dataset,
    bundle.samples.map(({ outputs, ...sample }) => ({
      ...sample,
      actual_output: outputs[model].actual_output,
    })),
    { runId, metadata: { model_name: model } },
  );
}

const runs = await tracker.getExperimentHistory({ datasetName: bundle.dataset });
const rows = runs.map((r) => ({
  run: r.runId,
  model: r.modelName,
  n: String(r.totalData),
  'pass rate': r.averageScore === null ? '-' : `${(100 * r.averageScore).toFixed(1)}%`,
  accuracy: String(r.summaryResult.accuracy ?? '-'),
  updated: r.updatedAt ?? '-',
}));
const columns = Object.keys(rows[0] ?? {});
const width = (c) => Math.max(c.length, ...rows.map((r) => r[c].length));
const line = (cells) => cells.map((v, i) => v.padEnd(width(columns[i]))).join('  ');
console.log(`Leaderboard of ${bundle.dataset} (${tracker.leaderboardFile}), newest first:\n`);
console.log(line(columns));
console.log(line(columns.map((c) => '-'.repeat(width(c)))));
for (const r of rows) console.log(line(columns.map((c) => r[c])));

// Sample by sample: the same sampleId in both runs, so a change shows where it helped or hurt.
const [candidate, baseline] = runs;
const passed = async (runId) =>
  new Map(
    (await tracker.getRunResults(runId)).map((r) => [
      r.sampleId,
      r.values['generation.aggregate_success'] === 1,
    ]),
  );
const before = await passed(baseline.runId);
const after = await passed(candidate.runId);
const fixed = [...after].filter(([id, ok]) => ok && before.get(id) === false).map(([id]) => id);
const broken = [...after].filter(([id, ok]) => !ok && before.get(id) === true).map(([id]) => id);
console.log(`\n${candidate.modelName} against ${baseline.modelName}, sample by sample:`);
console.log(`  ${fixed.length} samples now pass (${fixed.join(', ')})`);
console.log(`  ${broken.length} samples now fail (${broken.join(', ')})`);
for (const id of broken) {
  const [r] = (await tracker.getRunResults(candidate.runId)).filter((x) => x.sampleId === id);
  console.log(
    `  ${id}: ${r.evaluationResult.generation.aggregate_explanation.split('\n').slice(1).join('; ')}`,
  );
}
console.log(`\nEvery result is in ${tracker.experimentResultsFile}.`);
await tracker.close();
