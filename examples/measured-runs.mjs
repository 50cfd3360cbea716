// The quickstart's answers logged again with what each call took: the task's latency, tokens and
// cost, and the judge's, as `measures` beside each result. No model is called: the figures are
// made up from the lengths of the texts (about 4 characters a token) and a price list, so that
// they are the same every time. Writes the runs into ./measured (a CSV store), for
// `evaltrack runs --store measured` and the other commands of the README.
import { readFileSync } from 'node:fs';
import { CSVExperimentTracker } from 'evaltrack/csv';

const bundle = JSON.parse(readFileSync(new URL('./data/rag-eval.json', import.meta.url), 'utf8'));
const tokens = (text) => Math.ceil(text.length / 4);
// Per model: time to the first token, then per output token (ms); price per million tokens.
const MODELS = {
  'gpt-mini-2026-05': { firstMs: 240, perTokenMs: 9, input: 0.15, output: 0.6 },
  'gpt-large-2026-05': { firstMs: 610, perTokenMs: 24, input: 2.5, output: 10 },
};
const JUDGE = { firstMs: 450, perTokenMs: 20, input: 2.5, output: 10, outputTokens: 60 };

/** What one call took: latency, tokens and cost, from its prompt and answer. */
function call(model, prompt, outputTokens) {
  const inputTokens = tokens(prompt);
  return {
    latencyMs: model.firstMs + model.perTokenMs * outputTokens,
    usage: { inputTokens, outputTokens },
    cost: (inputTokens * model.input + outputTokens * model.output) / 1e6,
  };
}

const tracker = new CSVExperimentTracker('measured', { outputDir: 'measured' });
for (const [name, model] of Object.entries(MODELS)) {
  const samples = bundle.samples.map(({ outputs, ...s }) => ({
    ...s,
    actual_output: outputs[name].actual_output,
  }));
  const prompt = (s) => `${s.retrieved_context}\n${s.input}`;
  await tracker.logBatch(
    bundle.samples.map((s) => s.outputs[name].evaluation),
    bundle.dataset,
    samples,
    {
      runId: `measured_${name}`,
      metadata: { model_name: name },
      measures: samples.map((s) => ({
        task: call(model, prompt(s), tokens(s.actual_output)),
        evaluators: {
          generation: call(JUDGE, `${prompt(s)}\n${s.actual_output}`, JUDGE.outputTokens),
        },
      })),
    },
  );
}
await tracker.close();
console.log(`logged ${Object.keys(MODELS).length} runs of ${bundle.dataset} into measured/`);
