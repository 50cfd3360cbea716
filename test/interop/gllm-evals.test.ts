// The real Python gllm-evals, installed by scripts/python-env.sh, as the judge of compatibility:
// folders go both ways between it and evaltrack through real Python processes, and each side must
// return what the other wrote, field by field. Every difference found is in
// docs/gllm-evals-compat.md, with the test here that pins it.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import type { ResultRecord, RunSummary } from 'evaltrack';
import { GLLM_EVALS_VERSION, NO_GLLM_EVALS, gllmPython, runGllm } from '../helpers/python.js';
import type { GllmStep } from '../helpers/python.js';
import { tempDir } from '../helpers/temp-dir.js';

const python = gllmPython();

type PyRow = Record<string, unknown>;
interface PyRunResults {
  run_id: string;
  individual_results: PyRow[];
  total_results: number;
  average_score: number | null;
}

/**
 * How Python's csv module gives back a value evaltrack typed: Python's spelling, '' for none.
 * Text that a spreadsheet would run as a formula keeps the one `'` evaltrack writes before it
 * (Python writes such text as it is, and evaltrack reads that as it is).
 */
function pyCell(value: unknown, writtenBy: 'evaltrack' | 'python' = 'evaltrack'): string {
  if (value === undefined || value === null) return '';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(1) : String(value);
  if (typeof value !== 'string') throw new TypeError(`not a cell value: ${JSON.stringify(value)}`);
  const text = value;
  return writtenBy === 'evaltrack' && /^'*[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** Columns of a results row that are not score values. */
const RECORD_COLUMNS = new Set([
  'run_id',
  'dataset_name',
  'timestamp',
  'evaluator_name',
  'model_name',
  'data',
  'metadata',
  'eval_result',
  'evaluation_result',
  'result_id',
  'sample_id',
  'project_name',
  'measures',
]);

/**
 * Asserts that evaltrack's record and the row Python's get_run_results returns for it say the
 * same thing, field by field: the values in Python's spelling, the JSON cells as parsed JSON.
 */
function expectSameRecord(ours: ResultRecord, py: PyRow): void {
  expect(ours.runId).toBe(py['run_id']);
  expect(ours.datasetName).toBe(py['dataset_name']);
  expect(ours.timestamp).toBe(py['timestamp']);
  expect(ours.evaluatorName).toBe(py['evaluator_name']);
  // A row Python wrote under a header with model_name has it empty; evaltrack says 'unknown'.
  if ('model_name' in py) expect(ours.modelName).toBe(py['model_name'] || 'unknown');
  const writtenBy = py['result_id'] ? 'evaltrack' : 'python';
  const valueColumns = Object.keys(py).filter((k) => !RECORD_COLUMNS.has(k));
  expect(
    Object.fromEntries(valueColumns.map((k) => [k, pyCell(ours.values[k], writtenBy)])),
  ).toEqual(Object.fromEntries(valueColumns.map((k) => [k, py[k]])));
  // Nothing evaltrack gives back is missing from Python's row.
  expect(Object.keys(ours.values).filter((k) => !valueColumns.includes(k))).toEqual([]);
  expect(ours.data).toEqual(JSON.parse(py['data'] as string));
  // get_run_results parses metadata itself (None for a row logged without it).
  expect(ours.metadata).toEqual(py['metadata']);
  const evalText = (py['evaluation_result'] || py['eval_result']) as string | undefined;
  expect(ours.evaluationResult).toEqual(evalText ? JSON.parse(evalText) : null);
  // Latency, tokens and cost: one more column to Python, JSON text or empty.
  const measuresText = py['measures'] as string | undefined;
  expect(ours.measures).toEqual(measuresText ? JSON.parse(measuresText) : null);
  // A row Python wrote under evaltrack's header has these empty: evaltrack derives them.
  if (py['result_id']) expect(ours.resultId).toBe(py['result_id']);
  else expect(ours.resultId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  if (py['sample_id']) expect(ours.sampleId).toBe(py['sample_id']);
}

/** Python's get_experiment_history rows by run id. */
function byRun(history: PyRow[]): Map<string, PyRow> {
  return new Map(history.map((h) => [h['run_id'] as string, h]));
}

const nested = (score: number, success: boolean, explanation: string) => ({
  generation: {
    aggregate_score: score,
    aggregate_success: success,
    aggregate_explanation: explanation,
    completeness: { score, success, explanation },
    groundedness: { score: 1, success: true, explanation: 'every claim is in the context' },
  },
});
/** An evaluator output with a score only, no aggregates. */
const lexical = (score: number) => ({ lexical: { score, success: score >= 0.5 } });
/** The same with gllm-evals' aggregate keys. */
const judged = (score: number) => ({
  judge: { aggregate_score: score, aggregate_success: score >= 0.5, relevance: { score } },
});
/** Text a CSV writer must quote, escape or keep: commas, quotes, newlines, non-ASCII, formulas. */
const TRICKY = 'a, "quoted"\nline two, café ✓ 日本 =SUM(A1)';
/** Text a spreadsheet would run. */
const FORMULA = '=HYPERLINK("http://x", "no")';

describe.skipIf(python === null)(
  `gllm-evals ${GLLM_EVALS_VERSION} (the real Python library)${python === null ? `: ${NO_GLLM_EVALS}` : ''}`,
  () => {
    const py = python ?? '';

    describe('Python writes, evaltrack reads', () => {
      const dir = tempDir('evaltrack-py-writes-');
      let version = '';
      let history: PyRow[] = [];
      let results: Record<string, PyRunResults[]> = {};

      beforeAll(() => {
        const out = runGllm(py, [
          { op: 'tracker', dir: dir.path, project: 'proj', aggregators: ['count'] },
          {
            op: 'log',
            result: nested(0.5, false, TRICKY),
            dataset: 'qa',
            data: { id: 'q1', input: TRICKY, actual_output: '=1+1', expected_output: '-2' },
            run_id: 'run-1',
            metadata: { model_name: 'gpt-x', note: '+tricky, "quoted"' },
          },
          {
            op: 'alog',
            result: nested(1, true, 'fine'),
            dataset: 'qa',
            data: { id: 'q2', input: 'second' },
            run_id: 'run-1',
          },
          {
            op: 'log_batch',
            results: [[nested(0, false, FORMULA)], [nested(1, true, 'yes'), lexical(0.25)]],
            dataset: 'qa',
            data: [{ id: 'q3', input: 'third' }, { input: 'no id' }],
            run_id: 'run-1',
            metadata: { model_name: 'gpt-x' },
          },
          {
            op: 'log_batch',
            results: [[judged(0.75)], [judged(0.25)]],
            dataset: 'qa',
            data: [
              { id: 'q1', input: TRICKY },
              { id: 'q2', input: 'second' },
            ],
            run_id: 'run-2',
          },
          { op: 'log', result: judged(1), dataset: 'other', data: { id: 'o1', input: 'x' } },
          {
            op: 'log_batch',
            results: [[lexical(0.75)], [lexical(0.5)]],
            dataset: 'qa',
            data: [{ id: 'q1' }, { id: 'q2' }],
            run_id: 'scores-only',
          },
          { op: 'history' },
          { op: 'all_run_results' },
          { op: 'run_results', run_id: 'scores-only' },
        ]);
        version = out.version;
        history = out.outputs[7] as PyRow[];
        results = out.outputs[8] as Record<string, PyRunResults[]>;
        results['scores-only'] = out.outputs[9] as PyRunResults[];
      }, 120_000);

      it(`ran against gllm-evals-binary ${GLLM_EVALS_VERSION}`, () => {
        expect(version).toBe(GLLM_EVALS_VERSION);
        // Python's history is sorted by run id, descending.
        expect(history.map((h) => h['run_id'])).toEqual([
          'run-2',
          'run-1',
          expect.stringMatching(/^proj_other_[0-9a-f]{8}$/),
        ]);
      });

      it('evaltrack gives every record as Python returns it', async () => {
        const t = new CSVExperimentTracker('proj', { outputDir: dir.path });
        for (const runId of Object.keys(results)) {
          const ours = await t.getRunResults(runId);
          const theirs = results[runId]?.[0]?.individual_results ?? [];
          expect(ours).toHaveLength(theirs.length);
          ours.forEach((r, i) => expectSameRecord(r, theirs[i] ?? {}));
        }
        const run1 = await t.getRunResults('run-1');
        await t.close();
        expect(run1).toHaveLength(4);
        expect(run1.map((r) => r.sampleId).slice(0, 3)).toEqual(['q1', 'q2', 'q3']);
        expect(run1[0]?.data['input']).toBe(TRICKY);
        expect(run1[0]?.values['generation.completeness.explanation']).toBe(TRICKY);
        expect(run1[0]?.values['generation.aggregate_success']).toBe(0);
        expect(run1[0]?.values['generation.completeness.success']).toBe(false);
        expect(run1[0]?.metadata).toEqual({ model_name: 'gpt-x', note: '+tricky, "quoted"' });
        // Python writes formula-looking text as it is; evaltrack reads it as it is.
        expect(run1[2]?.values['generation.completeness.explanation']).toBe(FORMULA);
        // Python writes no model_name column: the model is only in each row's metadata.
        expect(run1[0]?.modelName).toBe('unknown');
      });

      it('evaltrack gives every leaderboard row as Python returns it', async () => {
        const t = new CSVExperimentTracker('proj', { outputDir: dir.path });
        const ours = await t.getExperimentHistory();
        await t.close();
        // Python sorts by run id, descending; evaltrack lists the most recently updated first,
        // and runs with no time (Python writes none) in the order of leaderboard.csv, then
        // runs it lacks. A run whose results have no aggregate_success gets no leaderboard row
        // from Python; evaltrack lists it, unranked (its leaderboardScoreKey is missing).
        expect(ours.map((s) => s.runId)).toEqual([
          history[2]?.['run_id'],
          'run-1',
          'run-2',
          'scores-only',
        ]);
        expect(ours.find((s) => s.runId === 'scores-only')).toMatchObject({
          averageScore: null,
          totalData: 2,
          scoreColumn: null,
        });
        const theirs = byRun(history);
        for (const s of ours.filter((r) => r.runId !== 'scores-only')) {
          const h = theirs.get(s.runId) ?? {};
          expect({
            run_id: s.runId,
            dataset_name: s.datasetName,
            evaluator_name: s.evaluatorName,
            average_score: pyCell(s.averageScore),
            total_data: String(s.totalData),
            score_column: s.scoreColumn ?? '',
          }).toEqual({
            run_id: h['run_id'],
            dataset_name: h['dataset_name'],
            evaluator_name: h['evaluator_name'],
            average_score: h['average_score'],
            total_data: h['total_data'],
            score_column: h['score_column'],
          });
          // The run aggregators' output is the run's summary on both sides.
          const aggregated = h['run_aggregators_result'] as string;
          expect(s.summaryResult).toEqual(
            expect.objectContaining(aggregated ? (JSON.parse(aggregated) as object) : {}),
          );
        }
        const run1 = ours.find((s) => s.runId === 'run-1');
        expect(run1).toMatchObject({
          averageScore: 0.5,
          totalData: 4,
          scoreColumn: 'generation.aggregate_success',
          summaryResult: { accuracy: 0.5, rows: 2 },
        });
        // Python's run aggregators see only the last batch: {"rows": 2} for a run of 4.
        expect(theirs.get('run-1')?.['run_aggregators_result']).toBe('{"rows": 2}');
        expect(theirs.get('run-2')).toMatchObject({
          average_score: '0.5',
          score_column: 'judge.aggregate_success',
        });
      });

      it("Python's get_run_results wraps the rows with its own average_score", () => {
        // Not a leaderboard figure: a mean of one score per row, picked by the library's own
        // rule; evaltrack does not compute it (docs/gllm-evals-compat.md).
        expect(results['scores-only']?.[0]).toMatchObject({
          run_id: 'scores-only',
          total_results: 2,
          average_score: 0.625,
        });
      });
    });

    describe('evaltrack writes, Python reads', () => {
      const dir = tempDir('evaltrack-ts-writes-');
      let history: PyRow[] = [];
      let results: Record<string, PyRunResults[]> = {};
      let ours: { history: RunSummary[]; records: Record<string, ResultRecord[]> } = {
        history: [],
        records: {},
      };

      beforeAll(async () => {
        // Explanations as columns too, as gllm-evals 0.1.41 writes them by default.
        const t = new CSVExperimentTracker('proj', {
          outputDir: dir.path,
          summaryEvaluators: [(rs) => ({ rows: rs.length })],
          companionFields: ['success', 'explanation'],
        });
        t.log(
          nested(0.5, false, TRICKY),
          'qa',
          { id: 'q1', input: TRICKY, actual_output: '=1+1', expected_output: '-2' },
          { runId: 'run-1', metadata: { model_name: 'gpt-x', note: '@mention' } },
        );
        // With latency, tokens and cost: the header gains `measures`.
        await t.alog(
          nested(1, true, 'fine'),
          'qa',
          { id: 'q2', input: 'second' },
          {
            runId: 'run-1',
            measures: { trial: 0, task: { latencyMs: 12.5, usage: { totalTokens: 9 }, cost: 0.5 } },
          },
        );
        // A new evaluator and metric: the header grows.
        await t.logBatch(
          [{ ...nested(0, false, FORMULA), ...lexical(0.25) }, lexical(0.75)],
          'qa',
          [{ id: 'q3', input: 'third' }, { input: 'no id' }],
          { runId: 'run-1', metadata: { model_name: 'gpt-x' } },
        );
        await t.logContext({ prompt_version: 'v3', git_sha: 'abc123' }, { runId: 'run-1' });
        const auto = t.log(lexical(1), 'other', { id: 'o1', input: 'x' });
        await t.logContext({ note: 'auto' }, { runId: auto });
        await t.close();

        const reader = new CSVExperimentTracker('proj', { outputDir: dir.path });
        const h = await reader.getExperimentHistory();
        const records: Record<string, ResultRecord[]> = {};
        for (const s of h) records[s.runId] = await reader.getRunResults(s.runId);
        await reader.close();
        ours = { history: h, records };

        const out = runGllm(py, [
          { op: 'tracker', dir: dir.path, project: 'proj' },
          { op: 'history' },
          { op: 'all_run_results' },
        ]);
        history = out.outputs[1] as PyRow[];
        results = out.outputs[2] as Record<string, PyRunResults[]>;
      }, 120_000);

      it("Python's get_run_results returns every record evaltrack returns, field by field", () => {
        expect(Object.keys(results).sort()).toEqual(Object.keys(ours.records).sort());
        for (const [runId, records] of Object.entries(ours.records)) {
          const theirs = results[runId]?.[0];
          expect(theirs?.total_results).toBe(records.length);
          records.forEach((r, i) => expectSameRecord(r, theirs?.individual_results[i] ?? {}));
        }
        expect(ours.records['run-1']).toHaveLength(4);
        const first = results['run-1']?.[0]?.individual_results[0];
        expect(first?.['generation.completeness.explanation']).toBe(TRICKY);
        // Formula-looking text: one ' in front, which evaltrack's reader removes.
        const third = results['run-1']?.[0]?.individual_results[2];
        expect(third?.['generation.completeness.explanation']).toBe(`'${FORMULA}`);
        expect(ours.records['run-1']?.[2]?.values['generation.completeness.explanation']).toBe(
          FORMULA,
        );
        expect(JSON.parse(first?.['data'] as string)).toEqual({
          id: 'q1',
          input: TRICKY,
          actual_output: '=1+1',
          expected_output: '-2',
        });
        expect(first?.['metadata']).toEqual({ model_name: 'gpt-x', note: '@mention' });
      });

      it("Python's get_experiment_history returns every leaderboard row evaltrack returns", () => {
        // Python sorts by run id, descending; evaltrack by last update.
        expect(history.map((h) => h['run_id'])).toEqual(
          ours.history
            .map((s) => s.runId)
            .sort()
            .reverse(),
        );
        const theirs = byRun(history);
        for (const s of ours.history) {
          const h = theirs.get(s.runId) ?? {};
          expect(h).toEqual({
            run_id: s.runId,
            dataset_name: s.datasetName,
            evaluator_name: s.evaluatorName,
            model_name: s.modelName,
            average_score: pyCell(s.averageScore),
            total_data: String(s.totalData),
            score_column: s.scoreColumn ?? '',
            summary_result: expect.any(String),
            project_name: s.projectName,
            created_at: s.createdAt,
            updated_at: s.updatedAt,
            context: expect.any(String),
            // Ours, for people: Python passes them through as text.
            latency_mean_ms: s.measures?.latency ? String(s.measures.latency.meanMs) : '',
            latency_p95_ms: s.measures?.latency ? String(s.measures.latency.p95Ms) : '',
            total_tokens: s.measures?.tokens ? String(s.measures.tokens.totalTokens) : '',
            total_cost: s.measures?.cost ? String(s.measures.cost.total) : '',
          });
          expect(JSON.parse(h['summary_result'] as string)).toEqual(s.summaryResult);
          expect(JSON.parse(h['context'] as string)).toEqual(s.context);
        }
        expect(theirs.get('run-1')).toMatchObject({
          latency_mean_ms: '12.5',
          latency_p95_ms: '12.5',
          total_tokens: '9',
          total_cost: '0.5',
        });
        const run1 = ours.history.find((s) => s.runId === 'run-1');
        expect(run1).toMatchObject({
          averageScore: 1 / 3,
          totalData: 4,
          summaryResult: { accuracy: 0.33, rows: 4 },
          context: { prompt_version: 'v3', git_sha: 'abc123' },
        });
      });
    });

    describe('Python and evaltrack append to one folder in turn', () => {
      const dir = tempDir('evaltrack-interleaved-');
      const step = (i: number, extra: object = {}): GllmStep => ({
        op: 'log',
        result: { ...nested(i % 2, i % 2 === 1, `py ${i}`), ...extra },
        dataset: 'qa',
        data: { id: `py${i}`, input: `python ${i}` },
        run_id: 'mix',
        metadata: { model_name: 'py-model' },
      });
      const et = (i: number) => nested(i % 2, i % 2 === 1, `ts ${i}`);

      it('loses and misreads nothing on either side', async () => {
        const a = new CSVExperimentTracker('proj', { outputDir: dir.path });
        await a.logBatch([et(1), et(2)], 'qa', [{ id: 'ts1' }, { id: 'ts2' }], { runId: 'mix' });
        await a.close();
        // Python adds a metric (its header grows: it rewrites the file) and a run of its own.
        runGllm(py, [
          { op: 'tracker', dir: dir.path, project: 'proj' },
          step(1, { extra: { score: 0.4, success: false } }),
          {
            op: 'log_batch',
            results: [[lexical(0.5)], [lexical(1)]],
            dataset: 'qa',
            data: [{ id: 'p1' }, { id: 'p2' }],
            run_id: 'py-run',
          },
        ]);
        const b = new CSVExperimentTracker('proj', { outputDir: dir.path });
        b.log(et(3), 'qa', { id: 'ts3' }, { runId: 'mix' });
        await b.logContext({ round: 3 }, { runId: 'mix' });
        await b.close();
        const out = runGllm(py, [
          { op: 'tracker', dir: dir.path, project: 'proj' },
          step(2),
          { op: 'history' },
          { op: 'all_run_results' },
        ]);
        const history = out.outputs[2] as PyRow[];
        const results = out.outputs[3] as Record<string, PyRunResults[]>;

        const c = new CSVExperimentTracker('proj', { outputDir: dir.path });
        const mix = await c.getRunResults('mix');
        const pyRun = await c.getRunResults('py-run');
        const ourHistory = await c.getExperimentHistory();
        await c.close();

        expect(mix.map((r) => r.sampleId)).toEqual(['ts1', 'ts2', 'py1', 'ts3', 'py2']);
        expect(pyRun.map((r) => r.sampleId)).toEqual(['p1', 'p2']);
        mix.forEach((r, i) =>
          expectSameRecord(r, results['mix']?.[0]?.individual_results[i] ?? {}),
        );
        pyRun.forEach((r, i) =>
          expectSameRecord(r, results['py-run']?.[0]?.individual_results[i] ?? {}),
        );
        expect(mix[2]?.values['extra.score']).toBe(0.4);
        expect(mix.map((r) => r.values['generation.aggregate_success'])).toEqual([1, 0, 1, 1, 0]);

        // Both leaderboards count all five results of "mix" and agree on its mean.
        const theirs = byRun(history);
        const ourMix = ourHistory.find((s) => s.runId === 'mix');
        expect(ourMix).toMatchObject({ totalData: 5, averageScore: 0.6, context: { round: 3 } });
        expect(theirs.get('mix')).toMatchObject({ total_data: '5', average_score: '0.6' });
        // A run without aggregate_success has no score column (see above).
        expect(ourHistory.find((s) => s.runId === 'py-run')).toMatchObject({
          totalData: 2,
          averageScore: null,
          scoreColumn: null,
        });
        // Python makes no leaderboard row for such a run, but keeps the one evaltrack wrote.
        expect(theirs.get('py-run')).toMatchObject({
          total_data: '2',
          average_score: '',
          score_column: '',
        });
      }, 120_000);
    });

    describe("Python's evaluate() read by the evaltrack binary", () => {
      const dir = tempDir('evaltrack-py-evaluate-');
      const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
      const BIN = join(ROOT, 'dist/cli/bin.js');
      const evaltrack = (...args: string[]) => {
        const r = spawnSync(process.execPath, [BIN, ...args, '--store', dir.path, '--json'], {
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
        });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        return JSON.parse(r.stdout) as unknown;
      };
      // Four questions; the baseline answers q1 and q2 right, the candidate q2, q3 and q4.
      const samples = (right: number[]) =>
        [1, 2, 3, 4].map((i) => ({
          id: `q${i}`,
          input: `question ${i}`,
          actual_output: right.includes(i) ? `answer ${i}` : 'wrong',
          expected_output: `answer ${i}`,
        }));

      beforeAll(() => {
        runGllm(py, [
          {
            op: 'evaluate',
            dir: dir.path,
            project: 'proj',
            dataset: 'qa',
            run_id: 'base',
            data: samples([1, 2]),
          },
          {
            op: 'evaluate',
            dir: dir.path,
            project: 'proj',
            dataset: 'qa',
            run_id: 'cand',
            data: samples([2, 3, 4]),
          },
        ]);
        expect(statSync(join(dir.path, 'experiment_results.csv')).size).toBeGreaterThan(0);
      }, 120_000);

      it('runs lists both runs with their pass rates (in the order of leaderboard.csv)', () => {
        const runs = evaltrack('runs') as RunSummary[];
        expect(
          runs.map((r) => [r.runId, r.datasetName, r.totalData, r.averageScore, r.scoreColumn]),
        ).toEqual([
          ['base', 'qa/suite_0', 4, 0.5, 'lexical.aggregate_success'],
          ['cand', 'qa/suite_0', 4, 0.75, 'lexical.aggregate_success'],
        ]);
        // evaluate()'s own summary of the run, as Python wrote it.
        expect(runs[1]?.summaryResult).toMatchObject({ accuracy: { lexical: 0.75 } });
      });

      it('show gives every sample with its verdict', () => {
        const shown = evaltrack('show', 'base') as {
          results: (ResultRecord & { passed: boolean })[];
        };
        expect(
          shown.results.map((r) => [
            r.sampleId,
            r.values['lexical.exact_match.score'],
            r.values['lexical.exact_match.success'],
            r.passed,
          ]),
        ).toEqual([
          ['q1', 1, true, true],
          ['q2', 1, true, true],
          ['q3', 0, false, false],
          ['q4', 0, false, false],
        ]);
        expect(shown.results[0]?.evaluationResult).toMatchObject({
          lexical: { aggregate_success: true, exact_match: { score: 1, threshold: 1 } },
        });
      });

      it('compare pairs the samples and finds the regression and the improvements', () => {
        const c = evaltrack('compare', 'base', 'cand') as {
          regressions: { sampleId: string }[];
          improvements: { sampleId: string }[];
          paired: number;
        };
        expect(c.regressions.map((s) => s.sampleId)).toEqual(['q1']);
        expect(c.improvements.map((s) => s.sampleId)).toEqual(['q3', 'q4']);
      });
    });
  },
);
