/**
 * promptfoo's results (`promptfoo eval -o results.json|results.jsonl`, `promptfoo export eval`),
 * imported into any store: one run per provider (and prompt) of the eval, one result per row.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { PeerFormatError } from '../errors.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { checkOptions, setOwn } from '../tracker/check-input.js';
import { flattenResult } from '../tracker/flatten-result.js';
import type { ResultMeasures, ResultRecord, StepMeasures, TokenUsage } from '../types.js';
import { detectPeerFormat, EXPECTED } from './detect-peer-format.js';
import type { PeerFormat } from './detect-peer-format.js';
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

/** The `results.version` of the files read here (promptfoo 0.x since 2024). */
export const PROMPTFOO_RESULTS_VERSION = 3;

/** The evaluator name the results get, and so the first segment of their columns. */
const EVALUATOR = 'promptfoo';

/** Keys of the evaluator block that are ours; a metric of one of these names is refused. */
const OWN_KEYS = new Set([
  'aggregate_success',
  'aggregate_score',
  'aggregate_explanation',
  'error',
]);

/** promptfoo's `failureReason` of a row whose provider or test failed to run. */
const FAILURE_ERROR = 2;

// Known before a row is read only in the second pass: ids of the first are placeholders.
const UNIX_EPOCH = '1970-01-01T00:00:00.000Z';

const EITHER = `${EXPECTED['promptfoo-json']}, or ${EXPECTED['promptfoo-jsonl']}`;

/**
 * Imports a promptfoo results file (`results.json`, `export.json` or `results.jsonl`, told apart
 * by their shape) into `tracker`: one run per provider of the eval (its label, else its id), one
 * result per row, ids derived from the eval's, so that importing the same file again adds nothing.
 * A file of another shape is refused with a {@link PeerFormatError} before anything is stored.
 */
export async function importPromptfoo(
  tracker: BaseExperimentTracker,
  file: string,
  options?: PeerImportOptions,
): Promise<PeerImportReport> {
  const opts = checkOptions(options, ['datasetName', 'onChecked', 'onResult'], 'options');
  const format = await detectPeerFormat(file);
  if (format !== 'promptfoo-json' && format !== 'promptfoo-jsonl') {
    throw new PeerFormatError(
      file,
      '',
      EITHER,
      format === null ? 'is not a promptfoo results file' : 'is an evalite file',
    );
  }
  return importPeerRecords(
    tracker,
    new PromptfooSource(tracker, file, format, opts),
    'promptfoo',
    opts,
  );
}

/** What a run is made of, learnt in the first pass. */
interface RunKey {
  provider: string;
  providerId: string;
  providerLabel: string | undefined;
  promptId: string;
  promptLabel: string | undefined;
}

class PromptfooSource implements PeerSource {
  readonly #tracker: BaseExperimentTracker;
  readonly #options: PeerImportOptions;
  readonly #shape: PeerShape;
  /** The time results of a file that records none get (a JSONL file). */
  readonly #importedAt = new Date().toISOString();
  #evalId: string | undefined;
  #resultsVersion: unknown;
  #timestamp: string | undefined;
  #description: string | undefined;
  #promptfooVersion: string | undefined;
  /** The smallest row id: what names the eval of a JSONL file, which holds no eval id. */
  #minRowKey: string | undefined;
  readonly #runs = new Map<string, RunKey>();
  #runIds = new Map<string, string>();
  #datasetName = '';
  #evalKey = '';

  constructor(
    tracker: BaseExperimentTracker,
    readonly file: string,
    readonly format: 'promptfoo-json' | 'promptfoo-jsonl',
    options: PeerImportOptions,
  ) {
    this.#tracker = tracker;
    this.#options = options;
    this.#shape = new PeerShape(file, EXPECTED[format as PeerFormat]);
  }

  version(): string | null {
    return this.#promptfooVersion ?? null;
  }

  async *records(final: boolean): AsyncGenerator<PeerRecord> {
    if (this.format === 'promptfoo-jsonl') {
      yield* this.#jsonlRecords(final);
      return;
    }
    const p: PeerShape = this.#shape;
    const paths = [
      '$.evalId',
      '$.results.version',
      '$.results.timestamp',
      '$.results.results.*',
      '$.config.description',
      '$.metadata.promptfooVersion',
    ];
    for await (const { path, value } of readJsonPaths(this.file, paths, p)) {
      const name = path.join('.');
      if (path.length === 3 && path[1] === 'results') {
        const i = path[2];
        if (typeof i !== 'number') p.fail('results.results', 'is not an array');
        this.#checkVersion();
        yield this.#record(value, `results.results[${i}]`, final);
      } else if (!final) {
        if (name === 'evalId') this.#evalId = p.string(value, 'evalId');
        else if (name === 'results.version') this.#resultsVersion = value;
        else if (name === 'results.timestamp') this.#timestamp = p.string(value, name);
        else if (name === 'config.description')
          this.#description = p.optional(value, (v) => p.string(v, name));
        else if (name === 'metadata.promptfooVersion')
          this.#promptfooVersion = p.string(value, name);
      }
    }
    if (!final) {
      if (this.#evalId === undefined) p.fail('evalId', 'is missing');
      this.#checkVersion(true);
      if (this.#timestamp === undefined) p.fail('results.timestamp', 'is missing');
      if (isoTime(this.#timestamp) === null) p.fail('results.timestamp', 'is not a time');
    }
  }

  /** Refuses a `results.version` other than 3 once it has been read (or, at the end, missing). */
  #checkVersion(atEnd = false): void {
    if (this.#resultsVersion === undefined && !atEnd) return;
    if (this.#resultsVersion !== PROMPTFOO_RESULTS_VERSION) {
      this.#shape.fail(
        'results.version',
        `is ${this.#resultsVersion === undefined ? 'missing' : JSON.stringify(this.#resultsVersion)}, not ${PROMPTFOO_RESULTS_VERSION}: a promptfoo version whose results have another shape`,
      );
    }
  }

  async *#jsonlRecords(final: boolean): AsyncGenerator<PeerRecord> {
    const lines = createInterface({ input: createReadStream(this.file), crlfDelay: Infinity });
    let n = 0;
    for await (const text of lines) {
      n++;
      if (text.trim() === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(text);
      } catch (e) {
        this.#shape.fail(
          `line ${n}`,
          `is not JSON (${(e as Error).message}): the file is cut short, or not JSON Lines`,
        );
      }
      yield this.#record(row, `line ${n}`, final);
    }
  }

  runs(): PeerRun[] {
    const jsonl = this.format === 'promptfoo-jsonl';
    this.#datasetName = peerDatasetName(this.#options.datasetName, this.#description, this.file);
    this.#evalKey = jsonl ? `rows from ${this.#minRowKey ?? ''}` : (this.#evalId ?? '');
    this.#runIds = new Map();
    const out: PeerRun[] = [];
    for (const [key, run] of this.#runs) {
      const runId = peerRunId(
        this.#tracker.projectName,
        this.#datasetName,
        EVALUATOR,
        this.#evalKey,
        run.provider,
        run.promptId,
      );
      this.#runIds.set(key, runId);
      const context: Record<string, unknown> = {
        source_tool: EVALUATOR,
        ...(this.#promptfooVersion !== undefined ? { source_version: this.#promptfooVersion } : {}),
        ...(this.#evalId !== undefined ? { source_eval_id: this.#evalId } : {}),
        source_format: jsonl ? 'results.jsonl' : 'results.json',
        provider_id: run.providerId,
        ...(run.providerLabel !== undefined ? { provider_label: run.providerLabel } : {}),
        ...(run.promptLabel !== undefined ? { prompt_label: run.promptLabel } : {}),
      };
      out.push({ runId, datasetName: this.#datasetName, modelName: run.provider, context });
    }
    return out;
  }

  /** One row, checked and mapped; see the README's table. */
  #record(value: unknown, w: string, final: boolean): PeerRecord {
    const p: PeerShape = this.#shape;
    const row = p.object(value, w);
    const provider = p.object(row['provider'], `${w}.provider`);
    const providerId = p.string(provider['id'], `${w}.provider.id`);
    const providerLabel = p.optional(provider['label'], (v) => p.string(v, `${w}.provider.label`));
    const providerName = providerLabel || providerId;
    const testIdx = p.index(row['testIdx'], `${w}.testIdx`);
    const promptIdx = p.index(row['promptIdx'], `${w}.promptIdx`);
    const promptId = p.optional(row['promptId'], (v) => p.string(v, `${w}.promptId`)) ?? '';
    const success = p.boolean(row['success'], `${w}.success`);
    const score = p.number(row['score'], `${w}.score`);
    const failureReason = p.optional(row['failureReason'], (v) =>
      p.oneOf(v, [0, 1, 2], `${w}.failureReason`),
    );
    const named = p.optional(row['namedScores'], (v) => p.object(v, `${w}.namedScores`)) ?? {};
    const grading = p.optional(row['gradingResult'], (v) => p.object(v, `${w}.gradingResult`));
    const components = grading
      ? (p.optional(grading['componentResults'], (v) =>
          p.array(v, `${w}.gradingResult.componentResults`),
        ) ?? [])
      : [];
    const testCase = p.optional(row['testCase'], (v) => p.object(v, `${w}.testCase`));
    const vars =
      p.optional(row['vars'], (v) => p.object(v, `${w}.vars`)) ??
      (testCase
        ? p.optional(testCase['vars'], (v) => p.object(v, `${w}.testCase.vars`))
        : undefined) ??
      {};
    const description = testCase
      ? p.optional(testCase['description'], (v) => p.string(v, `${w}.testCase.description`))
      : undefined;
    const response = p.optional(row['response'], (v) => p.object(v, `${w}.response`));
    const prompt = p.optional(row['prompt'], (v) => p.object(v, `${w}.prompt`));
    const promptRaw = prompt
      ? p.optional(prompt['raw'], (v) => p.string(v, `${w}.prompt.raw`))
      : undefined;
    const promptLabel = prompt
      ? p.optional(prompt['label'], (v) => p.string(v, `${w}.prompt.label`))
      : undefined;
    const rowId = p.optional(row['id'], (v) => p.string(v, `${w}.id`));
    const error = p.optional(row['error'], (v) => p.string(v, `${w}.error`));

    // The evaluator output: every named score, with its assertions' verdict and reasons.
    const verdicts = new Map<string, { pass: boolean; reasons: string[] }>();
    components.forEach((c, i) => {
      const at = `${w}.gradingResult.componentResults[${i}]`;
      const component = p.object(c, at);
      const assertion = p.optional(component['assertion'], (v) => p.object(v, `${at}.assertion`));
      const metric = assertion
        ? p.optional(assertion['metric'], (v) => p.string(v, `${at}.assertion.metric`))
        : undefined;
      if (metric === undefined) return;
      const pass = p.boolean(component['pass'], `${at}.pass`);
      const reason = p.optional(component['reason'], (v) => p.string(v, `${at}.reason`));
      const v = verdicts.get(metric) ?? { pass: true, reasons: [] };
      v.pass &&= pass;
      if (!pass && reason) v.reasons.push(reason);
      verdicts.set(metric, v);
    });
    const block: Record<string, unknown> = {};
    for (const metric of new Set([...verdicts.keys(), ...Object.keys(named)])) {
      if (!Object.hasOwn(named, metric)) continue;
      if (OWN_KEYS.has(metric)) {
        p.fail(
          `${w}.namedScores.${metric}`,
          "is a metric named as one of evaltrack's own keys; rename it",
        );
      }
      const entry: Record<string, unknown> = {
        score: p.number(named[metric], `${w}.namedScores.${metric}`),
      };
      const verdict = verdicts.get(metric);
      if (verdict) {
        entry['success'] = verdict.pass;
        if (verdict.reasons.length > 0) entry['explanation'] = verdict.reasons.join('\n');
      }
      setOwn(block, metric, entry);
    }
    block['aggregate_success'] = success;
    block['aggregate_score'] = score;
    const reason = grading
      ? p.optional(grading['reason'], (v) => p.string(v, `${w}.gradingResult.reason`))
      : undefined;
    if (!success && reason) block['aggregate_explanation'] = reason;
    if (failureReason === FAILURE_ERROR)
      block['error'] = error || 'promptfoo recorded an error without a message';
    const evaluationResult = { [EVALUATOR]: block };
    const values = Object.fromEntries(
      flattenResult(evaluationResult, this.#tracker.options, w).map((c) => [c.name, c.value]),
    );

    // The sample: its variables, the input (the rendered prompt when no variable is one) and output.
    const data: Record<string, unknown> = { ...vars };
    if (
      data['input'] === undefined &&
      data['query'] === undefined &&
      data['question'] === undefined
    ) {
      if (promptRaw !== undefined) data['input'] = promptRaw;
    }
    if (response && response['output'] !== undefined) data['actual_output'] = response['output'];
    const id = vars['id'];
    const sampleId = peerSampleId(
      (typeof id === 'string' && id.trim() !== '') || typeof id === 'number' ? id : description,
      data,
    );

    const rowKey = rowId ?? `test ${testIdx}, prompt ${promptIdx}, ${providerName}`;
    const runKey = `${providerName}\0${promptId}`;
    if (!final) {
      if (this.#minRowKey === undefined || rowKey < this.#minRowKey) this.#minRowKey = rowKey;
      if (!this.#runs.has(runKey)) {
        this.#runs.set(runKey, {
          provider: providerName,
          providerId,
          providerLabel,
          promptId,
          promptLabel,
        });
      }
    }
    const runId = final ? this.#runIds.get(runKey) : peerRunId('check', 'check', runKey);
    if (runId === undefined)
      p.fail(
        w,
        'is of a provider the first read did not see: the file changed while being imported',
      );
    const time = this.format === 'promptfoo-json' && final ? isoTime(this.#timestamp ?? '') : null;
    const record: ResultRecord = {
      resultId: peerResultId(time ?? UNIX_EPOCH, EVALUATOR, final ? this.#evalKey : '', rowKey),
      sampleId,
      runId,
      datasetName: final ? this.#datasetName : 'check',
      timestamp: time ?? this.#importedAt,
      evaluatorName: EVALUATOR,
      modelName: providerName,
      values,
      data,
      metadata: {
        source_row: rowKey,
        test_idx: testIdx,
        prompt_idx: promptIdx,
        ...(description !== undefined ? { description } : {}),
        ...(failureReason !== undefined ? { failure_reason: failureReason } : {}),
      },
      evaluationResult: this.#tracker.options.includeEvalResult ? evaluationResult : null,
      measures: this.#measures(row, w),
    };
    return { record, where: w };
  }

  /** The row's latency, tokens and cost: the provider's (the task), and the graders'. */
  #measures(row: Record<string, unknown>, w: string): ResultMeasures | null {
    const p: PeerShape = this.#shape;
    const task: StepMeasures = {};
    const latency = p.optional(row['latencyMs'], (v) => p.number(v, `${w}.latencyMs`));
    if (latency !== undefined) task.latencyMs = latency;
    const cost = p.optional(row['cost'], (v) => p.number(v, `${w}.cost`));
    if (cost !== undefined) task.cost = cost;
    const tokens = p.optional(row['tokenUsage'], (v) => p.object(v, `${w}.tokenUsage`));
    const usage = tokens ? this.#usage(tokens, `${w}.tokenUsage`) : undefined;
    if (usage) task.usage = usage;
    const graded = tokens
      ? p.optional(tokens['assertions'], (v) => p.object(v, `${w}.tokenUsage.assertions`))
      : undefined;
    const graders = graded ? this.#usage(graded, `${w}.tokenUsage.assertions`) : undefined;
    const measures: ResultMeasures = {};
    if (Object.keys(task).length > 0) measures.task = task;
    // Graders that used no tokens (no model graded) are not a step that ran.
    if (graders && (graders.totalTokens ?? 0) > 0) {
      measures.evaluators = { [EVALUATOR]: { usage: graders } };
    }
    return Object.keys(measures).length > 0 ? measures : null;
  }

  #usage(tokens: Record<string, unknown>, w: string): TokenUsage | undefined {
    const p: PeerShape = this.#shape;
    const usage: TokenUsage = {};
    const names = [
      ['prompt', 'inputTokens'],
      ['completion', 'outputTokens'],
      ['total', 'totalTokens'],
    ] as const;
    for (const [theirs, ours] of names) {
      const n = p.optional(tokens[theirs], (v) => p.index(v, `${w}.${theirs}`));
      if (n !== undefined) usage[ours] = n;
    }
    return Object.keys(usage).length > 0 ? usage : undefined;
  }
}
