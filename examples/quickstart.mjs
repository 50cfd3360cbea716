// The quickstart: evaluate a small RAG dataset answered by two model variants, log every result
// into ./gllm_evals/experiments (the gllm-evals default), then print the leaderboard, what the
// application took (latency, tokens, cost) and compare the two runs sample by sample. No API key,
// no network: the "model" is a deterministic local stand-in that answers with the bundled answers,
// the judge's verdicts are bundled, and the other metrics are deterministic (autoevals'
// Levenshtein, a length check).
//
// `--fixed-run-ids` names the runs after their model (`quickstart_<dataset>_<8 hex of the model's
// sha256>`) instead of at random, so that the README's outputs, which depend on the run ids (the
// bootstrap of `compare` is seeded from them), can be produced again by scripts/readme-outputs.mjs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Levenshtein } from 'autoevals';
import { evaluate, metricEvaluator } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';

const bundle = JSON.parse(readFileSync(new URL('./data/rag-eval.json', import.meta.url), 'utf8'));
const tracker = new CSVExperimentTracker('quickstart');
const fixedRunIds = process.argv.includes('--fixed-run-ids');
const runIdOf = (model) =>
  `quickstart_${bundle.dataset}_${createHash('sha256').update(model).digest('hex').slice(0, 8)}`;
// Paths as the reader typed them: relative to the current directory.
const shown = (file) => relative(process.cwd(), file);

// Deterministic metrics, in gllm-evals' output shape.
const lexical = metricEvaluator('lexical', {
  levenshtein: { metric: Levenshtein, threshold: 0.4 },
  concise: {
    metric: ({ output, expected }) => ({
      score: Math.min(1, String(expected).length / String(output).length),
    }),
    threshold: 0.5,
  },
});

// A stand-in for a model's API, deterministic and local: it answers with the bundled answer after
// a fixed delay per model, and reports tokens (4 characters each) and cost at a made-up price per
// million tokens. Your task would call your application here, passing it `signal`.
const MODELS = {
  'gpt-mini-2026-05': { delayMs: 20, inputPrice: 0.15, outputPrice: 0.6 },
  'gpt-large-2026-05': { delayMs: 45, inputPrice: 2.5, outputPrice: 10 },
};
const tokens = (text) => Math.ceil(String(text ?? '').length / 4);
const standInModel = (model) => {
  const answers = new Map(bundle.samples.map((s) => [s.id, s.outputs[model].actual_output]));
  const { delayMs, inputPrice, outputPrice } = MODELS[model];
  return async function standIn(sample, { signal }) {
    await sleep(delayMs, undefined, { signal });
    const output = answers.get(sample.id);
    const usage = {
      inputTokens: tokens(sample.input) + tokens(sample.retrieved_context),
      outputTokens: tokens(output),
    };
    const cost = (usage.inputTokens * inputPrice + usage.outputTokens * outputPrice) / 1e6;
    return { output, usage, cost, metadata: { model_name: model } };
  };
};

for (const model of bundle.models) {
  // The questions without answers: the task (the stand-in model) gives each its actual_output.
  const data = bundle.samples.map(({ outputs, ...sample }) => sample);
  // The LLM judge ran earlier; its verdicts are replayed here, as a cached judge would.
  const verdicts = new Map(bundle.samples.map((s) => [s.id, s.outputs[model].evaluation]));
  const generation = (sample) => verdicts.get(sample.id);
  const out = await evaluate({
    data,
    task: standInModel(model),
    evaluators: [generation, lexical],
    tracker,
    datasetName: bundle.dataset,
    ...(fixedRunIds ? { runId: runIdOf(model) } : {}),
    metadata: { model_name: model },
    progress: false,
  });
  await tracker.logContext({ model, prompt_version: 'v3' }, { runId: out.runId });
}

const runs = await tracker.getExperimentHistory({ datasetName: bundle.dataset });
const rows = runs.map((r) => ({
  run: r.runId,
  model: r.modelName,
  n: String(r.totalData),
  'judge pass rate': r.averageScore === null ? '-' : `${(100 * r.averageScore).toFixed(1)}%`,
  'all pass': String(r.summaryResult.accuracy ?? '-'),
  updated: r.updatedAt ?? '-',
}));
const columns = Object.keys(rows[0] ?? {});
const width = (c) => Math.max(c.length, ...rows.map((r) => r[c].length));
const line = (cells) =>
  cells
    .map((v, i) => v.padEnd(width(columns[i])))
    .join('  ')
    .trimEnd();
console.log(
  `Leaderboard of ${bundle.dataset} (${shown(tracker.leaderboardFile)}), newest first:\n`,
);
console.log(line(columns));
console.log(line(columns.map((c) => '-'.repeat(width(c)))));
for (const r of rows) console.log(line(columns.map((c) => r[c])));

// What the application took, measured by evaluate() for every result and kept with the run.
const thousands = (n) => n.toLocaleString('en-US');
console.log('\nThe task (a local stand-in for each model), as evaluate() measured it:');
for (const r of runs) {
  const { latency, tokens: t, cost } = r.measures;
  console.log(
    `  ${r.modelName}: latency p50 ${Math.round(latency.p50Ms)} ms, p95 ${Math.round(latency.p95Ms)} ms; ` +
      `${thousands(t.totalTokens)} tokens (${thousands(t.inputTokens)} in, ${thousands(t.outputTokens)} out); ` +
      `cost $${cost.total.toFixed(4)}`,
  );
}

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
// In the dataset's order (results are logged in the order they finish).
const ids = bundle.samples.map((s) => s.id);
const fixed = ids.filter((id) => after.get(id) === true && before.get(id) === false);
const broken = ids.filter((id) => after.get(id) === false && before.get(id) === true);
console.log(`\n${candidate.modelName} against ${baseline.modelName}, judged sample by sample:`);
console.log(`  ${fixed.length} samples now pass (${fixed.join(', ')})`);
console.log(`  ${broken.length} samples now fail (${broken.join(', ')})`);
for (const id of broken) {
  const [r] = (await tracker.getRunResults(candidate.runId)).filter((x) => x.sampleId === id);
  console.log(
    `  ${id}: ${r.evaluationResult.generation.aggregate_explanation.split('\n').slice(1).join('; ')}`,
  );
}
console.log(`\nEvery result is in ${shown(tracker.experimentResultsFile)}.`);
await tracker.close();
