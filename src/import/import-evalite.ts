/**
 * evalite's results (`evalite run --outputPath results.json`), imported into any store: one run
 * per eval of the evalite run (per variant, for `evalite.each`), one result per evalite result.
 */
import { PeerFormatError } from '../errors.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { checkOptions, setOwn } from '../tracker/check-input.js';
import { flattenResult } from '../tracker/flatten-result.js';
import type { ResultMeasures, ResultRecord, StepMeasures, TokenUsage } from '../types.js';
import { detectPeerFormat, EXPECTED } from './detect-peer-format.js';
import {
  importPeerRecords,
  isoTime,
  peerDatasetName,
  peerResultId,
  peerRunId,
  peerSampleId,
} from './import-peer-records.js';
import type {
  PeerImportOptions,
  PeerImportReport,
  PeerRecord,
  PeerRun,
  PeerSource,
} from './import-peer-records.js';
import { PeerShape } from './peer-shape.js';
import { readJsonPaths } from './read-json-paths.js';

/** The evaluator name the results get, and so the first segment of their columns. */
const EVALUATOR = 'evalite';

/** Keys of the evaluator block that are ours; a scorer of one of these names is refused. */
const OWN_KEYS = new Set(['aggregate_success', 'aggregate_score', 'error']);

/**
 * Imports an evalite `--outputPath` file into `tracker`: one run per eval (its variant's name is
 * the model), one result per evalite result with a score column per scorer, ids derived from the
 * evalite run's, so that importing the same file again adds nothing. A file of another shape is
 * refused with a {@link PeerFormatError} before anything is stored.
 */
export async function importEvalite(
  tracker: BaseExperimentTracker,
  file: string,
  options?: PeerImportOptions,
): Promise<PeerImportReport> {
  const opts = checkOptions(options, ['datasetName', 'onChecked', 'onResult'], 'options');
  const format = await detectPeerFormat(file);
  if (format !== 'evalite-json') {
    throw new PeerFormatError(
      file,
      '',
      EXPECTED['evalite-json'],
      format === null ? 'is not an evalite results file' : 'is a promptfoo file',
    );
  }
  return importPeerRecords(tracker, new EvaliteSource(tracker, file, opts), 'evalite', opts);
}

/** An eval's own fields, read in the first pass. */
interface EvalFields {
  id?: number;
  name?: string;
  variantName?: string;
  variantGroup?: string;
  status?: string;
}

class EvaliteSource implements PeerSource {
  readonly format = 'evalite-json' as const;
  readonly #tracker: BaseExperimentTracker;
  readonly #options: PeerImportOptions;
  readonly #shape: PeerShape;
  #run: { id: number | string; createdAt: string } | undefined;
  readonly #evals = new Map<number, EvalFields>();
  /** Per eval, by its place in `evals`: its run id, once the first pass has ended. */
  readonly #runOf = new Map<number, PeerRun>();

  constructor(
    tracker: BaseExperimentTracker,
    readonly file: string,
    options: PeerImportOptions,
  ) {
    this.#tracker = tracker;
    this.#options = options;
    this.#shape = new PeerShape(file, EXPECTED['evalite-json']);
  }

  // The file does not say which evalite wrote it.
  version(): null {
    return null;
  }

  async *records(final: boolean): AsyncGenerator<PeerRecord> {
    const p: PeerShape = this.#shape;
    const fields = ['id', 'name', 'variantName', 'variantGroup', 'status'] as const;
    const paths = ['$.run', '$.evals.*.results.*', ...fields.map((f) => `$.evals.*.${f}`)];
    for await (const { path, value } of readJsonPaths(this.file, paths, p)) {
      if (path[0] === 'run') {
        if (!final) this.#readRun(value);
        continue;
      }
      const e = path[1];
      if (typeof e !== 'number') p.fail('evals', 'is not an array');
      const fieldsOf = this.#evals.get(e) ?? {};
      this.#evals.set(e, fieldsOf);
      if (path[2] === 'results') {
        const i = path[3];
        if (typeof i !== 'number') p.fail(`evals[${e}].results`, 'is not an array');
        yield this.#record(value, e, `evals[${e}].results[${i}]`, final);
      } else if (!final) {
        const w = `evals[${e}].${String(path[2])}`;
        if (path[2] === 'id') fieldsOf.id = p.index(value, w);
        else if (path[2] === 'name') fieldsOf.name = p.string(value, w);
        else if (path[2] === 'status') fieldsOf.status = p.string(value, w);
        else if (path[2] === 'variantName')
          fieldsOf.variantName = p.optional(value, (v) => p.string(v, w));
        else if (path[2] === 'variantGroup')
          fieldsOf.variantGroup = p.optional(value, (v) => p.string(v, w));
      }
    }
    if (!final) {
      if (!this.#run) p.fail('run', 'is missing');
      for (const [e, f] of this.#evals)
        if (f.name === undefined) p.fail(`evals[${e}].name`, 'is missing');
    }
  }

  #readRun(value: unknown): void {
    const p: PeerShape = this.#shape;
    const run = p.object(value, 'run');
    const id = run['id'];
    const createdAt = p.string(run['createdAt'], 'run.createdAt');
    if (isoTime(createdAt) === null) p.fail('run.createdAt', 'is not a time');
    this.#run = {
      id: typeof id === 'string' ? p.string(id, 'run.id') : p.index(id, 'run.id'),
      createdAt,
    };
  }

  runs(): PeerRun[] {
    const run = this.#run as { id: number | string; createdAt: string };
    const byId = new Map<string, PeerRun>();
    for (const [e, f] of [...this.#evals].sort(([a], [b]) => a - b)) {
      const name = f.name as string;
      const datasetName = peerDatasetName(
        this.#options.datasetName,
        f.variantGroup ?? name,
        this.file,
      );
      const runId = peerRunId(
        this.#tracker.projectName,
        datasetName,
        EVALUATOR,
        `${run.id}@${run.createdAt}`,
        name,
      );
      const peerRun = byId.get(runId) ?? {
        runId,
        datasetName,
        modelName: f.variantName || name,
        context: {
          source_tool: EVALUATOR,
          source_run_id: run.id,
          source_run_created_at: run.createdAt,
          ...(f.id !== undefined ? { source_eval_id: f.id } : {}),
          source_format: '--outputPath',
          eval_name: name,
          ...(f.variantName !== undefined ? { variant_name: f.variantName } : {}),
          ...(f.variantGroup !== undefined ? { variant_group: f.variantGroup } : {}),
        },
      };
      byId.set(runId, peerRun);
      this.#runOf.set(e, peerRun);
    }
    return [...byId.values()];
  }

  /** One evalite result, checked and mapped; see the README's table. */
  #record(value: unknown, e: number, w: string, final: boolean): PeerRecord {
    const p: PeerShape = this.#shape;
    const result = p.object(value, w);
    const id = p.index(result['id'], `${w}.id`);
    if (!Object.hasOwn(result, 'input')) p.fail(`${w}.input`, 'is missing');
    const input = result['input'];
    const output = result['output'];
    const expected = result['expected'];
    const status = p.oneOf(result['status'], ['success', 'fail', 'running'], `${w}.status`);
    const createdAt = p.string(result['createdAt'], `${w}.createdAt`);
    const time = isoTime(createdAt);
    if (time === null) p.fail(`${w}.createdAt`, 'is not a time');
    const colOrder = p.optional(result['colOrder'], (v) => p.index(v, `${w}.colOrder`));
    const average = p.optional(result['averageScore'], (v) => p.number(v, `${w}.averageScore`));
    const scores = p.array(result['scores'], `${w}.scores`);

    const block: Record<string, unknown> = {};
    scores.forEach((s, i) => {
      const at = `${w}.scores[${i}]`;
      const score = p.object(s, at);
      const name = p.string(score['name'], `${at}.name`);
      if (OWN_KEYS.has(name))
        p.fail(
          `${at}.name`,
          `is ${JSON.stringify(name)}, one of evaltrack's own keys; rename the scorer`,
        );
      if (Object.hasOwn(block, name))
        p.fail(`${at}.name`, `is ${JSON.stringify(name)} again: two scores of one name`);
      // evalite allows null (autoevals' "not scored"): no column, as for any unscored metric.
      const entry: Record<string, unknown> = {
        score: p.optional(score['score'], (v) => p.number(v, `${at}.score`)) ?? null,
      };
      const description = p.optional(score['description'], (v) => p.string(v, `${at}.description`));
      if (description) entry['description'] = description;
      setOwn(block, name, entry);
    });
    if (average !== undefined) block['aggregate_score'] = average;
    if (status !== 'success') {
      block['error'] =
        status === 'fail'
          ? 'the task or a scorer failed (evalite status "fail")'
          : 'the result had not finished when the file was written (evalite status "running")';
    }
    const evaluationResult = { [EVALUATOR]: block };
    const values = Object.fromEntries(
      flattenResult(evaluationResult, this.#tracker.options, w).map((c) => [c.name, c.value]),
    );
    const data: Record<string, unknown> = { input };
    if (expected !== undefined) data['expected_output'] = expected;
    if (output !== undefined) data['actual_output'] = output;

    const fields = this.#evals.get(e) ?? {};
    const run = final ? this.#runOf.get(e) : undefined;
    if (final && !run)
      p.fail(w, 'is of an eval the first read did not see: the file changed while being imported');
    const record: ResultRecord = {
      resultId: peerResultId(
        time,
        EVALUATOR,
        final ? `${this.#run?.id}@${this.#run?.createdAt}` : '',
        `${final ? fields.name : e}`,
        String(id),
      ),
      sampleId: peerSampleId(undefined, data),
      runId: run?.runId ?? `check_${e}`,
      datasetName: run?.datasetName ?? 'check',
      timestamp: time,
      evaluatorName: EVALUATOR,
      modelName: run?.modelName ?? 'check',
      values,
      data,
      metadata: {
        source_result_id: id,
        ...(colOrder !== undefined ? { col_order: colOrder } : {}),
        status,
      },
      evaluationResult: this.#tracker.options.includeEvalResult ? evaluationResult : null,
      measures: this.#measures(result, w),
    };
    return { record, where: w };
  }

  /** The result's duration (the task's latency) and the tokens its traces recorded. */
  #measures(result: Record<string, unknown>, w: string): ResultMeasures | null {
    const p: PeerShape = this.#shape;
    const task: StepMeasures = {};
    const duration = p.optional(result['duration'], (v) => p.number(v, `${w}.duration`));
    if (duration !== undefined) task.latencyMs = duration;
    const traces = p.optional(result['traces'], (v) => p.array(v, `${w}.traces`)) ?? [];
    let usage: Required<TokenUsage> | undefined;
    traces.forEach((t, i) => {
      const at = `${w}.traces[${i}]`;
      const trace = p.object(t, at);
      const input = p.optional(trace['inputTokens'], (v) => p.index(v, `${at}.inputTokens`));
      const output = p.optional(trace['outputTokens'], (v) => p.index(v, `${at}.outputTokens`));
      const total = p.optional(trace['totalTokens'], (v) => p.index(v, `${at}.totalTokens`));
      if (input === undefined && output === undefined && total === undefined) return;
      usage ??= { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
      usage.inputTokens += input ?? 0;
      usage.outputTokens += output ?? 0;
      usage.totalTokens += total ?? (input ?? 0) + (output ?? 0);
    });
    if (usage) task.usage = usage;
    return Object.keys(task).length > 0 ? { task } : null;
  }
}
