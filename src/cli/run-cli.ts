/**
 * The `evaltrack` command line, testable without a process: commands are data, `runCli` takes
 * the arguments and the streams, and returns the exit code. Only bin.ts exits.
 *
 * Exit codes: 0 done (a gate that passed); 1 a gate that failed, or an error; 2 a usage error.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { copyResults } from '../copy-results.js';
import { EvaltrackError } from '../errors.js';
import { createProgress } from '../evaluate/progress.js';
import { encodeText, encodeValue, formatRecord, quoteCell } from '../stores/csv/csv-codec.js';
import { CSVExperimentTracker } from '../stores/csv/csv-experiment-tracker.js';
import { compareRuns } from '../stats/compare-runs.js';
import { runStats } from '../stats/run-stats.js';
import { LOOPBACK, serveUi } from '../ui/serve-ui.js';
import { passAtK } from '../stats/statistics.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import { samplePassed } from '../tracker/run-aggregate.js';
import { sampleField } from '../tracker/sample-texts.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { DEFAULT_STORE, openStore } from './open-store.js';
import { num, renderTable, shorten, styleFor } from './render.js';
import type { Style } from './render.js';

/** Where a command reads and writes. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  /** Errors and progress; a progress bar when it is a terminal. */
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  isTTY: boolean;
  /** Ends long-running commands (`ui`): bin.ts aborts it on Ctrl+C. */
  signal?: AbortSignal;
  /** Opens a URL in the user's browser (`ui --open`). */
  openUrl?: (url: string) => void;
}

/** A usage error: exit code 2, with the command's usage. */
export class UsageError extends EvaltrackError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message);
  }
}

interface Context {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  io: CliIo;
  style: Style;
  json: boolean;
  tracker: BaseExperimentTracker;
}

/** A command, as data: its words, options and help, and what it does. */
export interface Command {
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  example: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: Context): Promise<number>;
}

const COMMON: NonNullable<ParseArgsConfig['options']> = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
const interval = (i: { low: number; high: number } | null, f = pct): string =>
  i === null ? '' : ` [${f(i.low)}, ${f(i.high)}]`;

async function runRecords(tracker: BaseExperimentTracker, runId: string): Promise<ResultRecord[]> {
  const records = await tracker.getRunResults(runId);
  if (records.length === 0) throw new UsageError(`no results for run ${JSON.stringify(runId)}`);
  return records;
}

/** Commands that read a store. */
const readCommands: Command[] = [
  {
    name: 'runs',
    aliases: ['leaderboard'],
    summary: 'the leaderboard: one row per run, with 95% intervals',
    usage: 'evaltrack runs [--dataset NAME] [--model NAME] [--sort updated|score] [--limit N]',
    example: 'evaltrack runs --dataset faq --limit 10',
    options: {
      dataset: { type: 'string' },
      model: { type: 'string' },
      sort: { type: 'string' },
      limit: { type: 'string' },
    },
    async run({ values, io, json, tracker }) {
      let runs = await tracker.getExperimentHistory();
      if (typeof values['dataset'] === 'string')
        runs = runs.filter((r) => r.datasetName === values['dataset']);
      if (typeof values['model'] === 'string')
        runs = runs.filter((r) => r.modelName === values['model']);
      if (values['sort'] === 'score')
        runs.sort((a, b) => (b.averageScore ?? -1) - (a.averageScore ?? -1));
      else if (values['sort'] !== undefined && values['sort'] !== 'updated')
        throw new UsageError(`--sort must be updated or score`);
      if (values['limit'] !== undefined) {
        const limit = Number(values['limit']);
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError('--limit must be a positive integer');
        runs = runs.slice(0, limit);
      }
      const rows = runs.map((run) => ({ run, stats: runStats(run) }));
      if (json) {
        io.stdout.write(
          `${JSON.stringify(rows.map(({ run, stats }, i) => ({ rank: i + 1, ...run, ...stats })))}\n`,
        );
        return 0;
      }
      io.stdout.write(
        renderTable(
          ['#', 'run', 'dataset', 'model', 'n', 'score [95% CI]', 'pass rate [95% CI]', 'updated'],
          rows.map(({ run, stats }, i) => [
            String(i + 1),
            run.runId,
            run.datasetName,
            run.modelName,
            String(stats.n),
            `${num(stats.score)}${interval(stats.scoreInterval, (x) => num(x))}`,
            `${pct(stats.passRate)}${interval(stats.passInterval)}`,
            run.updatedAt ?? '-',
          ]),
        ),
      );
      return 0;
    },
  },
  {
    name: 'show',
    summary: "one run's samples: scores and pass/fail",
    usage: 'evaltrack show <runId> [--failures] [--search TEXT] [--columns a,b]',
    example: 'evaltrack show support-bot_faq_3f9a1c2e --failures',
    options: {
      failures: { type: 'boolean' },
      search: { type: 'string' },
      columns: { type: 'string' },
    },
    async run({ values, positionals, io, json, tracker }) {
      const runId = positionals[0];
      if (!runId) throw new UsageError('show needs a run id');
      const run = (await tracker.getExperimentHistory()).find((r) => r.runId === runId);
      let records = await runRecords(tracker, runId);
      const passed = (r: ResultRecord): boolean | null =>
        run ? samplePassed(r.values, run) : null;
      if (values['failures']) records = records.filter((r) => passed(r) === false);
      if (typeof values['search'] === 'string') {
        const needle = values['search'].toLowerCase();
        records = records.filter((r) => JSON.stringify(r.data).toLowerCase().includes(needle));
      }
      const columns =
        typeof values['columns'] === 'string'
          ? values['columns'].split(',')
          : [...new Set(records.flatMap((r) => Object.keys(r.values)))].filter((c) =>
              c.endsWith('score'),
            );
      const repetitions = repetitionStats(records, passed);
      if (json) {
        io.stdout.write(
          `${JSON.stringify({ results: records.map((r) => ({ ...r, passed: passed(r) })), repetitions })}\n`,
        );
        return 0;
      }
      io.stdout.write(
        renderTable(
          ['sample', 'input', ...columns, 'pass'],
          records.map((r) => [
            r.sampleId,
            shorten(sampleField(r.data, 'input'), 40),
            ...columns.map((c) => {
              const v = r.values[c];
              return typeof v === 'number' ? num(v) : v === undefined ? '-' : String(v);
            }),
            passed(r) === null ? '-' : passed(r) ? 'pass' : 'FAIL',
          ]),
        ),
      );
      if (repetitions) {
        io.stdout.write(
          `\n${repetitions.samples} samples tried more than once (up to ${repetitions.maxTries} times): ` +
            `pass@1 ${num(repetitions.passAt1)}, pass@n ${num(repetitions.passAtN)}, pass^n ${num(repetitions.passPowN)}\n`,
        );
      }
      return 0;
    },
  },
  {
    name: 'compare',
    summary: 'a candidate run against a baseline, sample by sample, with intervals and McNemar',
    usage: 'evaltrack compare <baseline> <candidate>',
    example: 'evaltrack compare faq-main faq-new-prompt',
    options: {},
    async run({ positionals, io, json, tracker, style }) {
      const cmp = await comparison(tracker, positionals);
      if (json) {
        io.stdout.write(`${JSON.stringify(cmp)}\n`);
        return 0;
      }
      io.stdout.write(
        renderTable(
          ['metric', 'baseline', 'candidate', 'difference [95% CI]', 'McNemar p'],
          cmp.metrics.map((m) => [
            m.metric,
            num(m.baselineMean),
            num(m.candidateMean),
            `${num(m.difference.mean)}${interval(m.difference.interval, (x) => num(x))}`,
            m.mcnemar ? num(m.mcnemar.p, 4) : '-',
          ]),
        ),
      );
      io.stdout.write(
        `\n${cmp.matched} samples in both runs: ${style.red(`${cmp.regressions.length} regressions`)}, ` +
          `${style.green(`${cmp.improvements.length} improvements`)}, ${cmp.unchanged} unchanged` +
          (cmp.passMetric ? ` (on ${cmp.passMetric})` : '') +
          `\ncoverage gap: ${cmp.onlyBaseline.length} only in the baseline, ${cmp.onlyCandidate.length} only in the candidate\n`,
      );
      for (const r of cmp.regressions) {
        io.stdout.write(
          `\n${style.bold(r.sampleId)}: ${shorten(r.input, 100)}\n  before: ${shorten(r.baselineOutput, 100)}\n  now:    ${shorten(r.candidateOutput, 100)}\n`,
        );
      }
      return 0;
    },
  },
  {
    name: 'gate',
    summary: 'exit 1 when the candidate breaks a rule against the baseline (for CI)',
    usage:
      'evaltrack gate <baseline> <candidate> [--max-regressions N] [--min-score X] [--no-significant-drop]',
    example: 'evaltrack gate faq-main faq-new-prompt --max-regressions 0 --no-significant-drop',
    options: {
      'max-regressions': { type: 'string' },
      'min-score': { type: 'string' },
      'no-significant-drop': { type: 'boolean' },
    },
    async run({ values, positionals, io, json, tracker }) {
      const cmp = await comparison(tracker, positionals);
      const failures: string[] = [];
      const maxRegressions = values['max-regressions'];
      if (maxRegressions !== undefined) {
        const max = Number(maxRegressions);
        if (!Number.isInteger(max) || max < 0)
          throw new UsageError('--max-regressions must be an integer >= 0');
        if (cmp.regressions.length > max) {
          failures.push(
            `${cmp.regressions.length} regressions on ${cmp.passMetric} (at most ${max}): ${cmp.regressions.map((r) => r.sampleId).join(', ')}`,
          );
        }
      }
      const minScore = values['min-score'];
      if (minScore !== undefined) {
        const min = Number(minScore);
        if (!Number.isFinite(min)) throw new UsageError('--min-score must be a number');
        const candidate = (await tracker.getExperimentHistory()).find(
          (r) => r.runId === positionals[1],
        );
        if ((candidate?.averageScore ?? -Infinity) < min) {
          failures.push(
            `score ${num(candidate?.averageScore ?? null)} of ${positionals[1]} is below ${min}`,
          );
        }
      }
      if (values['no-significant-drop']) {
        for (const m of cmp.metrics) {
          if (m.difference.significantDrop) {
            failures.push(
              `${m.metric} dropped by ${num(m.difference.mean)}${interval(m.difference.interval, (x) => num(x))}`,
            );
          }
        }
      }
      if (json)
        io.stdout.write(
          `${JSON.stringify({ passed: failures.length === 0, failures, comparison: cmp })}\n`,
        );
      else
        io.stdout.write(
          failures.length === 0
            ? 'gate passed\n'
            : `gate failed:\n${failures.map((f) => `- ${f}\n`).join('')}`,
        );
      return failures.length === 0 ? 0 : 1;
    },
  },
];

/** Commands that move results between stores and files, or repair a store. */
const transferCommands: Command[] = [
  {
    name: 'export',
    summary: 'runs to a file: our JSONL, a flat CSV, or a gllm-evals folder',
    usage: 'evaltrack export <runId...|--all> --format jsonl|csv|gllm-csv --out <file|folder>',
    example: 'evaltrack export --all --format jsonl --out results.jsonl',
    options: { all: { type: 'boolean' }, format: { type: 'string' }, out: { type: 'string' } },
    async run({ values, positionals, io, json, tracker }) {
      const format = values['format'] ?? 'jsonl';
      const out = values['out'];
      if (typeof out !== 'string') throw new UsageError('export needs --out');
      if (format !== 'jsonl' && format !== 'csv' && format !== 'gllm-csv') {
        throw new UsageError('--format must be jsonl, csv or gllm-csv');
      }
      const history = await tracker.getExperimentHistory();
      const runIds = values['all'] ? history.map((r) => r.runId).reverse() : positionals;
      if (runIds.length === 0) throw new UsageError('name runs to export, or --all');
      const unknown = runIds.filter((id) => !history.some((r) => r.runId === id));
      if (unknown.length > 0) throw new UsageError(`no run ${unknown.join(', ')}`);
      const wanted = new Set(runIds);
      const progress = resultProgress(
        io,
        'exporting',
        resultsIn(history, (r) => wanted.has(r.runId)),
      );
      let count: number;
      if (format === 'gllm-csv') {
        const target = new CSVExperimentTracker('evaltrack', { outputDir: out });
        try {
          const report = await copyResults(tracker, target, {
            runIds,
            onResult: () => progress.add(),
          });
          count = report.imported + report.skipped;
        } finally {
          progress.stop();
          await target.close();
        }
      } else {
        try {
          count = await exportFile(tracker, runIds, format, out, () => progress.add());
        } finally {
          progress.stop();
        }
      }
      io.stdout.write(
        json
          ? `${JSON.stringify({ runs: runIds.length, results: count, out })}\n`
          : `exported ${count} results of ${runIds.length} runs to ${out}\n`,
      );
      return 0;
    },
  },
  {
    name: 'import',
    summary: 'results from our JSONL export or a gllm-evals folder; never twice',
    usage: 'evaltrack import <file.jsonl|folder>',
    example: 'evaltrack import ./old_experiments --store sqlite:evals.sqlite',
    options: {},
    async run({ positionals, io, json, tracker }) {
      const from = positionals[0];
      if (!from) throw new UsageError('import needs a file or a folder');
      let report: { imported: number; skipped: number };
      if (from.endsWith('.jsonl')) {
        const progress = resultProgress(io, 'importing', await countLines(from));
        try {
          report = await tracker.importResults(readJsonl(from, () => progress.add()));
        } finally {
          progress.stop();
        }
      } else {
        const source = new CSVExperimentTracker('evaltrack', { outputDir: from });
        const progress = resultProgress(
          io,
          'importing',
          resultsIn(await source.getExperimentHistory()),
        );
        try {
          report = await copyResults(source, tracker, { onResult: () => progress.add() });
        } finally {
          progress.stop();
          await source.close();
        }
      }
      io.stdout.write(
        json
          ? `${JSON.stringify(report)}\n`
          : `imported ${report.imported} results, ${report.skipped} already there\n`,
      );
      return 0;
    },
  },
  {
    name: 'copy',
    summary: 'every run of one store into another (a folder into a database), never twice',
    usage: 'evaltrack copy --from <store> --to <store> [--run ID ...]',
    example: 'evaltrack copy --from ./gllm_evals/experiments --to sqlite:evals.sqlite',
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      run: { type: 'string', multiple: true },
    },
    async run({ values, io, json }) {
      const from = values['from'];
      const to = values['to'];
      if (typeof from !== 'string' || typeof to !== 'string')
        throw new UsageError('copy needs --from and --to');
      const source = await openStore(from);
      const target = await openStore(to);
      try {
        const runIds = values['run'] as unknown as string[] | undefined;
        const progress = resultProgress(
          io,
          'copying',
          resultsIn(
            await source.getExperimentHistory(),
            (r) => !runIds || runIds.includes(r.runId),
          ),
        );
        let report;
        try {
          report = await copyResults(source, target, {
            ...(runIds ? { runIds } : {}),
            onResult: () => progress.add(),
          });
        } finally {
          progress.stop();
        }
        io.stdout.write(
          json
            ? `${JSON.stringify(report)}\n`
            : `copied ${report.runs} runs: ${report.imported} results, ${report.skipped} already there\n`,
        );
      } finally {
        await Promise.all([source.close(), target.close()]);
      }
      return 0;
    },
  },
];

const ui: Command = {
  name: 'ui',
  summary: 'the dashboard in your browser: runs, one run, two runs compared (read-only)',
  usage: 'evaltrack ui [--port 3737] [--host 127.0.0.1] [--open]',
  example: 'evaltrack ui --store sqlite:evals.sqlite --open',
  options: { port: { type: 'string' }, host: { type: 'string' }, open: { type: 'boolean' } },
  async run({ values, io, json, tracker }) {
    const port = Number(values['port'] ?? 3737);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError('--port must be a port number (0 picks a free one)');
    }
    const host = typeof values['host'] === 'string' ? values['host'] : '127.0.0.1';
    const server = await serveUi(tracker, { host, port });
    if (!LOOPBACK.includes(host)) {
      io.stderr.write(
        `evaltrack ui: listening on ${host}: whoever can reach it can read every result (there is no login)\n`,
      );
    }
    try {
      io.stdout.write(
        json
          ? `${JSON.stringify({ url: server.url })}\n`
          : `evaltrack dashboard on ${server.url} (read-only); Ctrl+C stops it\n`,
      );
      if (values['open']) io.openUrl?.(server.url);
      await new Promise<void>((resolve) => {
        if (io.signal?.aborted) resolve();
        io.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await server.close();
    }
    return 0;
  },
};

const rebuild: Command = {
  name: 'rebuild',
  summary: 'recompute the leaderboard from the results, setting aside damaged records',
  usage: 'evaltrack rebuild',
  example: 'evaltrack rebuild --store ./gllm_evals/experiments',
  options: {},
  async run({ io, json, tracker }) {
    const { setAside } = await tracker.rebuild();
    const runs = (await tracker.getExperimentHistory()).length;
    io.stdout.write(
      json
        ? `${JSON.stringify({ runs, setAside })}\n`
        : `rebuilt the leaderboard of ${runs} runs; ${setAside} damaged records set aside\n`,
    );
    return 0;
  },
};

/** Progress over `total` results, on stderr. */
const resultProgress = (io: CliIo, verb: string, total: number) =>
  createProgress(total, true, { stream: io.stderr, verb, unit: 'results', failures: false });

/** The results of the runs `history` lists (those `include` keeps). */
const resultsIn = (
  history: readonly RunSummary[],
  include: (run: RunSummary) => boolean = () => true,
): number => history.filter(include).reduce((n, r) => n + r.totalData, 0);

/** Our JSONL export, read back record by record. */
async function* readJsonl(file: string, onRecord: () => void): AsyncGenerator<ResultRecord> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    onRecord();
    yield JSON.parse(line) as ResultRecord;
  }
}

/** The records of a JSONL file, for the progress total: one pass that only counts newlines. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

/** Streams runs to a JSONL or flat CSV file; resolves with the number of results. */
async function exportFile(
  tracker: BaseExperimentTracker,
  runIds: string[],
  format: 'jsonl' | 'csv',
  out: string,
  onResult: () => void,
): Promise<number> {
  const stream = createWriteStream(out);
  const write = (s: string): Promise<void> =>
    stream.write(s) ? Promise.resolve() : new Promise((r) => stream.once('drain', () => r()));
  let count = 0;
  let columns: string[] = [];
  if (format === 'csv') {
    // The value columns of every run, first: a CSV has one header.
    const names = new Set<string>();
    for (const runId of runIds)
      for await (const r of tracker.iterateRunResults(runId))
        for (const n of Object.keys(r.values)) names.add(n);
    columns = [...names];
    const header = [
      'result_id',
      'sample_id',
      'run_id',
      'dataset_name',
      'timestamp',
      'evaluator_name',
      'model_name',
      ...columns,
      'data',
      'metadata',
      'evaluation_result',
    ];
    await write(formatRecord(header.map((h) => encodeText(h, 'column name'))));
  }
  for (const runId of runIds) {
    for await (const r of tracker.iterateRunResults(runId)) {
      count++;
      onResult();
      if (format === 'jsonl') {
        await write(`${JSON.stringify(r)}\n`);
      } else {
        await write(
          formatRecord([
            r.resultId,
            encodeText(r.sampleId, 'sampleId'),
            encodeText(r.runId, 'runId'),
            encodeText(r.datasetName, 'datasetName'),
            r.timestamp,
            encodeText(r.evaluatorName, 'evaluatorName'),
            encodeText(r.modelName, 'modelName'),
            ...columns.map((c) => {
              const v = r.values[c];
              return v === undefined ? '' : encodeValue(v, c);
            }),
            quoteCell(JSON.stringify(r.data)),
            quoteCell(JSON.stringify(r.metadata)),
            r.evaluationResult === null ? '' : quoteCell(JSON.stringify(r.evaluationResult)),
          ]),
        );
      }
    }
  }
  await new Promise<void>((resolve, reject) =>
    stream.end((e?: Error | null) => (e ? reject(e) : resolve())),
  );
  return count;
}

/**
 * pass@k and pass^k over samples tried more than once (k = 1 and k = each sample's tries), or
 * `null` when every sample was tried once.
 */
function repetitionStats(
  records: readonly ResultRecord[],
  passed: (r: ResultRecord) => boolean | null,
) {
  const tries = new Map<string, { n: number; c: number }>();
  for (const r of records) {
    const ok = passed(r);
    if (ok === null) continue;
    const t = tries.get(r.sampleId) ?? { n: 0, c: 0 };
    t.n++;
    if (ok) t.c++;
    tries.set(r.sampleId, t);
  }
  const repeated = [...tries.values()].filter((t) => t.n > 1);
  if (repeated.length === 0) return null;
  const mean = (f: (t: { n: number; c: number }) => number): number =>
    [...tries.values()].reduce((s, t) => s + f(t), 0) / tries.size;
  return {
    samples: repeated.length,
    maxTries: Math.max(...repeated.map((t) => t.n)),
    passAt1: mean((t) => passAtK(t.n, t.c, 1).passAt),
    passAtN: mean((t) => passAtK(t.n, t.c, t.n).passAt),
    passPowN: mean((t) => passAtK(t.n, t.c, t.n).passPow),
  };
}

async function comparison(tracker: BaseExperimentTracker, positionals: string[]) {
  const [baselineId, candidateId] = positionals;
  if (!baselineId || !candidateId)
    throw new UsageError('give a baseline run id and a candidate run id');
  const runs = await tracker.getExperimentHistory();
  const passMetric = runs.find((r) => r.runId === candidateId)?.scoreColumn ?? null;
  return compareRuns(
    await runRecords(tracker, baselineId),
    await runRecords(tracker, candidateId),
    { passMetric },
  );
}

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [...readCommands, ...transferCommands, rebuild, ui];

function help(): string {
  const lines = COMMANDS.map(
    (c) => `  ${[c.name, ...(c.aliases ?? [])].join(', ').padEnd(22)}${c.summary}`,
  );
  return `evaltrack: the runs of your LLM evaluations, compared with error bars\n\nCommands:\n${lines.join('\n')}\n\nEvery command takes --store <folder | sqlite:file | postgres://url> (or EVALTRACK_STORE;\ndefault ${DEFAULT_STORE}), --json for machines, and --help.\nExit codes: 0 done, 1 a failed gate or an error, 2 a usage error.\n`;
}

const commandHelp = (c: Command): string =>
  `${c.summary}\n\nusage: ${c.usage}\nexample: ${c.example}\n`;

/** Runs the command line; resolves with the exit code. Never exits the process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [word, ...rest] = argv;
  if (word === undefined || word === '--help' || word === '-h' || word === 'help') {
    io.stdout.write(help());
    return word === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === word || c.aliases?.includes(word));
  if (!command) {
    io.stderr.write(`evaltrack: unknown command ${JSON.stringify(word)}\n\n${help()}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...COMMON, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    io.stderr.write(
      `evaltrack ${command.name}: ${(e as Error).message}\n\n${commandHelp(command)}`,
    );
    return 2;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values['help']) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  const where =
    (values['store'] as string | undefined) ?? io.env['EVALTRACK_STORE'] ?? DEFAULT_STORE;
  let tracker: BaseExperimentTracker | undefined;
  try {
    tracker = await openStore(where);
    return await command.run({
      values,
      positionals: parsed.positionals,
      io,
      style: styleFor(io.isTTY, io.env),
      json: values['json'] === true,
      tracker,
    });
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(
        `evaltrack ${command.name}: ${e.message.replace(/^\[evaltrack\] /, '')}\n\n${commandHelp(command)}`,
      );
      return 2;
    }
    io.stderr.write(`evaltrack ${command.name}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await tracker?.close();
  }
}
