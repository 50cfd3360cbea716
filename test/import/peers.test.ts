// promptfoo's and evalite's real output (test/fixtures/peers, byte for byte as the tools wrote it)
// imported into every store: the per-model counts and the regressions and improvements their
// READMEs list, asserted exactly, `compare` run as a user runs it (the built binary); importing
// again adds nothing; a file of another shape, cut short or of another version stores nothing.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  importEvalite,
  importPeerResults,
  importPromptfoo,
  PeerFormatError,
  sampleIdOf,
} from 'evaltrack';
import type { BaseExperimentTracker, ResultRecord, RunSummary } from 'evaltrack';
import { BIN } from '../helpers/evaltrack-binary.js';
import { testStores } from '../helpers/test-stores.js';
import type { TestStore } from '../helpers/test-stores.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../fixtures/peers');
const PROMPTFOO = join(FIXTURES, 'promptfoo');
const EVALITE = join(FIXTURES, 'evalite', 'results.json');

interface Sample {
  id: string;
  input: string;
  expected_output: string;
}
const SAMPLES = JSON.parse(readFileSync(join(PROMPTFOO, 'samples.json'), 'utf8')) as Sample[];
/** evalite's results hold no sample id: the hash of the input and expected answer names them. */
const HASH_TO_ID = new Map(
  SAMPLES.map((s) => [sampleIdOf({ input: s.input, expected_output: s.expected_output }), s.id]),
);

/** The facts of the fixtures' READMEs. */
const REGRESSED = ['q02', 'q07'];
const IMPROVED = ['q03', 'q05', 'q08', 'q10'];
const PROMPTFOO_COUNTS = {
  'model-a': { results: 12, success: 7, exact: 7, keyword: 8, lengthRatio: 10, lengthSum: 10.0558 },
  'model-b': {
    results: 12,
    success: 9,
    exact: 9,
    keyword: 11,
    lengthRatio: 12,
    lengthSum: 11.2534,
  },
};
const EVALITE_COUNTS = {
  'model-a': {
    results: 12,
    exact: 7,
    lengthRatio: 10,
    lengthSum: 10.0558,
    average: 0.7106562718131118,
  },
  'model-b': {
    results: 12,
    exact: 9,
    lengthRatio: 12,
    lengthSum: 11.2534,
    average: 0.8438922244672004,
  },
};

const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const count = (rs: ResultRecord[], pass: (r: ResultRecord) => boolean): number =>
  rs.filter(pass).length;
/** A pass: `true` (a companion verdict) or 1 (an extra score column keeps booleans as 1/0). */
const passes =
  (column: string) =>
  (r: ResultRecord): boolean =>
    r.values[column] === true || r.values[column] === 1;
const sum = (rs: ResultRecord[], column: string): number =>
  round4(rs.reduce((s, r) => s + Number(r.values[column]), 0));

/** What `compare` of model-a against model-b must say: the READMEs' facts. */
const README_CHANGES = {
  matched: 12,
  unchanged: 6,
  regressions: REGRESSED,
  improvements: IMPROVED,
};

/** `evaltrack compare --json` of model-a's run against model-b's in the store at `address`. */
function compareModels(
  address: string,
  runs: Map<string, { run: RunSummary }>,
  metric: string,
): { matched: number; unchanged: number; regressions: string[]; improvements: string[] } {
  const runId = (model: string): string => runs.get(model)?.run.runId ?? '';
  return compare(address, runId('model-a'), runId('model-b'), metric);
}

/** `evaltrack compare --json` of two runs of the store at `address`, on `metric`. */
function compare(address: string, baseline: string, candidate: string, metric: string) {
  const r = spawnSync(
    process.execPath,
    [BIN, 'compare', baseline, candidate, '--metric', metric, '--store', address, '--json'],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const cmp = JSON.parse(r.stdout) as {
    matched: number;
    unchanged: number;
    regressions: { sampleId: string }[];
    improvements: { sampleId: string }[];
    baseline: { errors: unknown[] };
  };
  return {
    matched: cmp.matched,
    unchanged: cmp.unchanged,
    regressions: cmp.regressions.map((r) => r.sampleId).sort(),
    improvements: cmp.improvements.map((r) => r.sampleId).sort(),
  };
}

/** The runs of `tool` by model, with their results. */
async function runsByModel(
  tracker: BaseExperimentTracker,
  datasetName: string,
): Promise<Map<string, { run: RunSummary; results: ResultRecord[] }>> {
  const out = new Map<string, { run: RunSummary; results: ResultRecord[] }>();
  for (const run of await tracker.getExperimentHistory({ datasetName })) {
    expect(out.has(run.modelName)).toBe(false);
    out.set(run.modelName, { run, results: await tracker.getRunResults(run.runId) });
  }
  return out;
}

const totalResults = async (tracker: BaseExperimentTracker): Promise<number> =>
  (await tracker.getExperimentHistory()).reduce((n, r) => n + r.totalData, 0);

function describeStore(store: TestStore): void {
  const open = (location: string) => store.open(location, 'peers', {});

  it('promptfoo results.json: one run per provider, the README counts, compare exact', async () => {
    const location = store.newLocation();
    const tracker = open(location);
    try {
      const report = await importPromptfoo(tracker, join(PROMPTFOO, 'results.json'));
      expect(report).toMatchObject({
        tool: 'promptfoo',
        format: 'promptfoo-json',
        version: '0.123.1',
        results: 24,
        imported: 24,
        skipped: 0,
      });
      expect(report.runs.map((r) => [r.modelName, r.datasetName])).toEqual([
        ['model-a', 'support-qa'],
        ['model-b', 'support-qa'],
      ]);
      const runs = await runsByModel(tracker, 'support-qa');
      expect([...runs.keys()].sort()).toEqual(['model-a', 'model-b']);
      for (const [model, want] of Object.entries(PROMPTFOO_COUNTS)) {
        const { run, results } = runs.get(model) as { run: RunSummary; results: ResultRecord[] };
        expect(run.totalData).toBe(want.results);
        expect(run.scoreColumn).toBe('promptfoo.aggregate_success');
        expect(run.successCount).toBe(want.success);
        expect(run.evaluatorName).toBe('promptfoo');
        expect(run.context).toEqual({
          source_tool: 'promptfoo',
          source_version: '0.123.1',
          source_eval_id: 'eval-AA6-2026-11-29T09:50:00',
          source_format: 'results.json',
          provider_id: model === 'model-a' ? 'file://providerA.mjs' : 'file://providerB.mjs',
          provider_label: model,
          prompt_label: '{{input}}',
        });
        expect(results.map((r) => r.sampleId).sort()).toEqual(SAMPLES.map((s) => s.id));
        expect(count(results, passes('promptfoo.aggregate_success'))).toBe(want.success);
        expect(count(results, passes('promptfoo.exact.success'))).toBe(want.exact);
        expect(count(results, passes('promptfoo.keyword.success'))).toBe(want.keyword);
        expect(count(results, passes('promptfoo.length_ratio.success'))).toBe(want.lengthRatio);
        expect(sum(results, 'promptfoo.length_ratio.score')).toBe(want.lengthSum);
        // The texts, byte for byte: the answer each model gave, the question, the expected one.
        for (const r of results) {
          const s = SAMPLES.find((x) => x.id === r.sampleId) as Sample & Record<string, string>;
          expect(r.data['input']).toBe(s.input);
          expect(r.data['expected_output']).toBe(s.expected_output);
          expect(r.data['actual_output']).toBe(
            model === 'model-a' ? s['actual_output_a'] : s['actual_output_b'],
          );
          expect(r.measures?.task?.latencyMs).toBeTypeOf('number');
          expect(r.measures?.task?.cost).toBe(0);
        }
      }
      // The traps: q08 model-a wrong but as long; q10 model-a passes keyword case-insensitively.
      const a = runs.get('model-a')?.results ?? [];
      const q08 = a.find((r) => r.sampleId === 'q08');
      expect([
        q08?.values['promptfoo.exact.success'],
        q08?.values['promptfoo.length_ratio.score'],
      ]).toEqual([false, 1]);
      const q10 = a.find((r) => r.sampleId === 'q10');
      expect([
        q10?.values['promptfoo.exact.success'],
        q10?.values['promptfoo.keyword.success'],
      ]).toEqual([false, true]);
      await tracker.close();
      const cmp = compareModels(store.address(location), runs, 'promptfoo.exact.score');
      expect(cmp).toEqual(README_CHANGES);
    } finally {
      await tracker.close();
    }
  });

  it('promptfoo: export.json and a second import add nothing; results.jsonl gives the same facts', async () => {
    const location = store.newLocation();
    const tracker = open(location);
    try {
      await importPromptfoo(tracker, join(PROMPTFOO, 'results.json'));
      // The same eval exported: the same ids, so nothing new; then the same file again.
      const again = await importPeerResults(tracker, join(PROMPTFOO, 'export.json'));
      expect([again.imported, again.skipped]).toEqual([0, 24]);
      const twice = await importPromptfoo(tracker, join(PROMPTFOO, 'results.json'));
      expect([twice.imported, twice.skipped]).toEqual([0, 24]);
      expect(await totalResults(tracker)).toBe(24);

      const jsonl = await importPeerResults(tracker, join(PROMPTFOO, 'results.jsonl'), {
        datasetName: 'support-qa-jsonl',
      });
      expect(jsonl).toMatchObject({ format: 'promptfoo-jsonl', version: null, imported: 24 });
      const jsonlAgain = await importPeerResults(tracker, join(PROMPTFOO, 'results.jsonl'), {
        datasetName: 'support-qa-jsonl',
      });
      expect([jsonlAgain.imported, jsonlAgain.skipped]).toEqual([0, 24]);
      expect(await totalResults(tracker)).toBe(48);
      const runs = await runsByModel(tracker, 'support-qa-jsonl');
      for (const [model, want] of Object.entries(PROMPTFOO_COUNTS)) {
        const results = runs.get(model)?.results ?? [];
        expect(results.length).toBe(want.results);
        expect(count(results, passes('promptfoo.exact.success'))).toBe(want.exact);
        expect(sum(results, 'promptfoo.length_ratio.score')).toBe(want.lengthSum);
        expect(runs.get(model)?.run.context['source_format']).toBe('results.jsonl');
      }
      await tracker.close();
      const cmp = compareModels(store.address(location), runs, 'promptfoo.exact.success');
      expect(cmp).toEqual(README_CHANGES);
    } finally {
      await tracker.close();
    }
  });

  it('evalite --outputPath: one run per variant, the README counts, compare exact, re-import adds nothing', async () => {
    const location = store.newLocation();
    const tracker = open(location);
    try {
      const report = await importEvalite(tracker, EVALITE);
      expect(report).toMatchObject({ tool: 'evalite', results: 24, imported: 24, skipped: 0 });
      const again = await importPeerResults(tracker, EVALITE, { from: 'evalite' });
      expect([again.imported, again.skipped]).toEqual([0, 24]);
      expect(await totalResults(tracker)).toBe(24);
      const runs = await runsByModel(tracker, 'support-qa');
      for (const [model, want] of Object.entries(EVALITE_COUNTS)) {
        const { run, results } = runs.get(model) as { run: RunSummary; results: ResultRecord[] };
        expect(run.totalData).toBe(want.results);
        expect(run.context).toEqual({
          source_tool: 'evalite',
          source_run_id: 1,
          source_run_created_at: '2026-11-29 09:50:39',
          source_eval_id: model === 'model-a' ? 1 : 2,
          source_format: '--outputPath',
          eval_name: `support-qa [${model}]`,
          variant_name: model,
          variant_group: 'support-qa',
        });
        expect(results.map((r) => HASH_TO_ID.get(r.sampleId)).sort()).toEqual(
          SAMPLES.map((s) => s.id),
        );
        expect(count(results, (r) => r.values['evalite.exact.score'] === 1)).toBe(want.exact);
        expect(count(results, (r) => Number(r.values['evalite.length_ratio.score']) >= 0.5)).toBe(
          want.lengthRatio,
        );
        expect(sum(results, 'evalite.length_ratio.score')).toBe(want.lengthSum);
        const mean =
          results.reduce((s, r) => s + Number(r.values['evalite.aggregate_score']), 0) / 12;
        expect(mean).toBeCloseTo(want.average, 12);
        expect(results.every((r) => r.timestamp === '2026-11-29T09:50:39.000Z')).toBe(true);
      }
      await tracker.close();
      const cmp = compareModels(store.address(location), runs, 'evalite.exact.score');
      const named = (ids: string[]) => ids.map((id) => HASH_TO_ID.get(id)).sort();
      expect({
        ...cmp,
        regressions: named(cmp.regressions),
        improvements: named(cmp.improvements),
      }).toEqual(README_CHANGES);
    } finally {
      await tracker.close();
    }
  });

  it('refuses another shape, a cut file and another version, storing nothing', async () => {
    using dir = tempDir('evaltrack-peers-');
    const json = readFileSync(join(PROMPTFOO, 'results.json'), 'utf8');
    const jsonl = readFileSync(join(PROMPTFOO, 'results.jsonl'), 'utf8');
    const evalite = readFileSync(EVALITE, 'utf8');
    const files = {
      other: '{"name":"evaltrack","version":"0.1.0","dependencies":{}}',
      cutJson: json.slice(0, Math.floor(json.length / 2)),
      cutJsonl: jsonl.slice(0, jsonl.length - 100),
      version: json.replace('"version": 3,', '"version": 4,'),
      cutEvalite: evalite.slice(0, evalite.length - 10),
      evaliteShape: evalite.replace('"scores": [', '"scorers": ['),
    };
    expect(files.version).not.toBe(json);
    expect(files.evaliteShape).not.toBe(evalite);
    const location = store.newLocation();
    const tracker = open(location);
    try {
      const refusal = async (name: keyof typeof files, from?: 'promptfoo' | 'evalite') => {
        const file = join(dir.path, `${name}.${name === 'cutJsonl' ? 'jsonl' : 'json'}`);
        writeFileSync(file, files[name]);
        const e = await importPeerResults(tracker, file, from ? { from } : {}).then(
          () => null,
          (err: unknown) => err,
        );
        expect(e).toBeInstanceOf(PeerFormatError);
        expect((e as PeerFormatError).code).toBe('E_INVALID_ARGUMENT');
        return (e as Error).message.replace(dir.path, '<dir>');
      };
      expect(await refusal('other')).toBe(
        '[evaltrack] <dir>/other.json: is not a results file of promptfoo or evalite; expected a promptfoo results.json or export.json (an object with evalId, results.version 3 and results.results, one row per test and provider), a promptfoo results.jsonl (one result row a line: provider, testIdx, promptIdx, success, score, namedScores), or an evalite --outputPath file (an object with run {id, createdAt} and evals[], each with results[] and their scores[]); nothing was imported',
      );
      expect(await refusal('other', 'promptfoo')).toMatch(
        /other\.json: is not a promptfoo results file; expected a promptfoo results\.json/,
      );
      expect(await refusal('cutJson')).toMatch(
        /cutJson\.json: ends before its JSON value does \(63384 bytes read\): the file is cut short; expected a promptfoo results\.json/,
      );
      expect(await refusal('cutJsonl')).toMatch(
        /cutJsonl\.jsonl: line 24 is not JSON \(.*\): the file is cut short, or not JSON Lines; expected a promptfoo results\.jsonl/,
      );
      expect(await refusal('version')).toMatch(
        /version\.json: results\.version is 4, not 3: a promptfoo version whose results have another shape; expected a promptfoo results\.json/,
      );
      expect(await refusal('cutEvalite')).toMatch(
        /cutEvalite\.json: ends before its JSON value does .*; expected an evalite --outputPath file/,
      );
      expect(await refusal('evaliteShape')).toMatch(
        /evaliteShape\.json: evals\[0\]\.results\[0\]\.scores is undefined, not an array; expected an evalite --outputPath file/,
      );
      expect(await refusal('version', 'evalite')).toMatch(
        /is a promptfoo file; expected an evalite/,
      );
      expect(await tracker.getExperimentHistory()).toEqual([]);
    } finally {
      await tracker.close();
    }
    const reopened = open(location);
    try {
      expect(await reopened.getExperimentHistory()).toEqual([]);
    } finally {
      await reopened.close();
    }
  });
}

for (const store of testStores()) {
  if (store.skip !== null) {
    describe.skip(`${store.kind}: ${store.skip}`, () => it('imports peers', () => {}));
    continue;
  }
  describe(`importing promptfoo and evalite into ${store.kind}`, () => describeStore(store));
}
