/**
 * The `evaltrack` command line, testable without a process: commands are data, `runCli` takes
 * the arguments and the streams, and returns the exit code. Only bin.ts exits.
 *
 * Exit codes: 0 done (a gate that passed); 1 a gate that failed, or an error; 2 a usage error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { assertComparable, compareRuns } from '../stats/compare-runs.js';
import type { RunComparison } from '../stats/compare-runs.js';
import { runStats, runStatsOn } from '../stats/run-stats.js';
import type { RunStats } from '../stats/run-stats.js';
import { LOOPBACK, serveUi } from '../ui/serve-ui.js';
import { passAtK } from '../stats/statistics.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import {
  defaultMetric,
  isPassFail,
  metricsOf,
  outcomeOf,
  resultError,
} from '../tracker/sample-outcome.js';
import { sampleField } from '../tracker/sample-texts.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { ExitError, UsageError } from './command.js';
import type { CliIo, Command, Context } from './command.js';
import { DEFAULT_STORE, NoStoreError, openStore } from './open-store.js';
import { didYouMean, resolveRun } from './run-name.js';
import { pendingCommand } from './pending-command.js';
import { num, renderTable, shorten, styleFor, visible } from './render.js';
import type { Style } from './render.js';
import { transferCommands } from './transfer-commands.js';

export { UsageError } from './command.js';
export type { CliIo, Command } from './command.js';

const COMMON: NonNullable<ParseArgsConfig['options']> = {
  store: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

/** The package's version, as `--version` prints it. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
const interval = (i: { low: number; high: number } | null, f = pct): string =>
  i === null ? '' : ` [${f(i.low)}, ${f(i.high)}]`;

async function runRecords(tracker: BaseExperimentTracker, runId: string): Promise<ResultRecord[]> {
  const records = await tracker.getRunResults(runId);
  if (records.length === 0) throw new ExitError(1, `run ${runId} has no results`);
  return records;
}

/** Commands that read a store. */
const readCommands: Command[] = [
  {
    name: 'runs',
    aliases: ['leaderboard'],
    summary: 'the leaderboard: one row per run, with 95% intervals',
    usage:
      'evaltrack runs [--metric COLUMN] [--dataset NAME] [--model NAME] [--sort updated|score] [--limit N]',
    example: 'evaltrack runs --dataset faq --metric judge.aggregate_success --limit 10',
    options: {
      metric: { type: 'string' },
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
      const metric = optionalMetric(values);
      const rows: { run: RunSummary; stats: RunStats }[] = [];
      for (const run of runs) {
        rows.push({
          run,
          // Other columns than the leaderboard's have no saved aggregates: their results are read.
          stats:
            metric === undefined || metric === run.scoreColumn
              ? runStats(run)
              : runStatsOn(run, await tracker.getRunResults(run.runId), metric),
        });
      }
      if (metric !== undefined && rows.length > 0 && rows.every((r) => r.stats.scored === 0))
        throw new UsageError(`no run has a value on metric ${JSON.stringify(metric)}`);
      if (values['sort'] === 'score')
        rows.sort((a, b) => (b.stats.score ?? -1) - (a.stats.score ?? -1));
      else if (values['sort'] !== undefined && values['sort'] !== 'updated')
        throw new UsageError(`--sort must be updated or score`);
      let shown = rows;
      if (values['limit'] !== undefined)
        shown = rows.slice(0, count(values['limit'], '--limit', 1));
      if (json) {
        io.stdout.write(
          `${JSON.stringify(shown.map(({ run, stats }, i) => ({ rank: i + 1, ...run, ...stats })))}\n`,
        );
        return 0;
      }
      const metrics = [...new Set(shown.map((r) => r.stats.metric ?? '-'))];
      const several = metrics.length > 1;
      io.stdout.write(
        several
          ? 'Each run on its leaderboard column (the metric column); choose one with --metric.\n\n'
          : `On ${visible(metrics[0] ?? '-')}${metric === undefined ? " (the runs' leaderboard column)" : ''}.\n\n`,
      );
      io.stdout.write(
        renderTable(
          [
            '#',
            'run',
            'dataset',
            'model',
            ...(several ? ['metric'] : []),
            'n',
            'scored',
            'score [95% CI]',
            'pass rate [95% CI]',
            'updated',
          ],
          shown.map(({ run, stats }, i) => [
            String(i + 1),
            run.runId,
            run.datasetName,
            run.modelName,
            ...(several ? [stats.metric ?? '-'] : []),
            String(stats.n),
            String(stats.scored),
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
    summary: "one run's samples: scores and pass/fail on one metric",
    usage:
      'evaltrack show <run> [--dataset NAME] [--metric COLUMN] [--failures] [--search TEXT] [--columns a,b]',
    example: 'evaltrack show latest --failures',
    args: [1, 1],
    options: {
      dataset: { type: 'string' },
      metric: { type: 'string' },
      failures: { type: 'boolean' },
      search: { type: 'string' },
      columns: { type: 'string' },
    },
    async run({ values, positionals, io, json, tracker }) {
      const name = positionals[0];
      if (!name) throw new UsageError('show needs a run');
      const run = await findRun(tracker, name, values);
      const runId = run.runId;
      const all = await runRecords(tracker, runId);
      const metric = chooseMetric(values, [run], all);
      const passFail = isPassFail(all, metric);
      const outcome = (r: ResultRecord) => ({
        ...outcomeOf(r.values, metric, passFail),
        error: resultError(r),
      });
      let records = all;
      // Failures to look at: results that failed, and results an evaluator could not judge.
      if (values['failures'])
        records = records.filter((r) => {
          const o = outcome(r);
          return o.passed === false || o.error !== null;
        });
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
      const repetitions = repetitionStats(records, (r) => outcome(r).passed);
      const tally = { passed: 0, failed: 0, unscored: 0, errors: 0 };
      for (const r of all) {
        const o = outcome(r);
        if (o.error !== null) tally.errors++;
        else if (o.passed === true) tally.passed++;
        else if (o.passed === false) tally.failed++;
        else tally.unscored++;
      }
      if (json) {
        io.stdout.write(
          `${JSON.stringify({
            metric,
            counts: { results: all.length, ...tally },
            results: records.map((r) => ({ ...r, ...outcome(r) })),
            repetitions,
          })}\n`,
        );
        return 0;
      }
      io.stdout.write(
        `${visible(runId)} on ${visible(metric)}: ${all.length} results, ${tally.passed} passed, ${tally.failed} failed, ` +
          `${tally.unscored} not scored, ${tally.errors} evaluator errors\n\n`,
      );
      io.stdout.write(
        renderTable(
          ['sample', 'input', ...columns, 'pass'],
          records.map((r) => {
            const o = outcome(r);
            return [
              r.sampleId,
              shorten(sampleField(r.data, 'input'), 40),
              ...columns.map((c) => {
                const v = r.values[c];
                return typeof v === 'number' ? num(v) : v === undefined ? '-' : String(v);
              }),
              o.error !== null ? 'ERROR' : o.passed === null ? '-' : o.passed ? 'pass' : 'FAIL',
            ];
          }),
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
    usage:
      'evaltrack compare <baseline> <candidate> [--dataset NAME] [--metric COLUMN] [--allow-different-datasets]',
    example: 'evaltrack compare latest~1 latest --metric judge.aggregate_success',
    args: [2, 2],
    options: {
      dataset: { type: 'string' },
      metric: { type: 'string' },
      'allow-different-datasets': { type: 'boolean' },
    },
    async run({ values, positionals, io, json, tracker, style }) {
      const cmp = await comparison(tracker, positionals, values);
      if (json) {
        io.stdout.write(`${JSON.stringify(cmp)}\n`);
        return 0;
      }
      io.stdout.write(
        renderTable(
          ['metric', 'baseline', 'candidate', 'difference [95% CI]', 'McNemar p'],
          cmp.metrics.map((m) => [
            m.metric === cmp.metric ? `${m.metric} *` : m.metric,
            num(m.baselineMean),
            num(m.candidateMean),
            `${num(m.difference.mean)}${interval(m.difference.interval, (x) => num(x))}`,
            m.mcnemar ? num(m.mcnemar.p, 4) : '-',
          ]),
        ),
      );
      io.stdout.write(`\n${describeComparison(cmp, style)}`);
      for (const r of cmp.regressions) {
        io.stdout.write(
          `\n${style.bold(visible(r.sampleId))}: ${shorten(r.input, 100)}\n  before: ${shorten(r.baselineOutput, 100)}\n  now:    ${shorten(r.candidateOutput, 100)}\n`,
        );
      }
      return 0;
    },
  },
  {
    name: 'gate',
    summary: 'exit 1 when the candidate breaks a rule against the baseline (for CI)',
    usage:
      'evaltrack gate <baseline> <candidate> [--dataset NAME] [--metric COLUMN] [--max-regressions N] [--min-score [COLUMN=]X ...] [--no-significant-drop] [--max-missing N] [--max-errors N] [--max-unscored N] [--allow-changed-inputs] [--allow-different-datasets]',
    example: 'evaltrack gate main-baseline latest --max-regressions 0 --no-significant-drop',
    args: [2, 2],
    options: {
      dataset: { type: 'string' },
      metric: { type: 'string' },
      'max-regressions': { type: 'string' },
      'min-score': { type: 'string', multiple: true },
      'no-significant-drop': { type: 'boolean' },
      'max-missing': { type: 'string' },
      'max-errors': { type: 'string' },
      'max-unscored': { type: 'string' },
      'allow-changed-inputs': { type: 'boolean' },
      'allow-different-datasets': { type: 'boolean' },
    },
    async run({ values, positionals, io, json, tracker, style }) {
      // Every limit is read before anything is compared: a typo is a usage error, not a verdict.
      const limit = (flag: string, fallback: number | null): number | null =>
        values[flag] === undefined ? fallback : count(values[flag], `--${flag}`, 0);
      const maxRegressions = limit('max-regressions', null);
      const maxMissing = limit('max-missing', 0) as number;
      const maxErrors = limit('max-errors', 0) as number;
      const maxUnscored = limit('max-unscored', 0) as number;
      const minScores = ((values['min-score'] as unknown as string[] | undefined) ?? []).map(
        parseMinScore,
      );
      const cmp = await comparison(tracker, positionals, values);
      const candidateId = cmp.candidateRun;
      const failures: string[] = [];
      const list = (ids: readonly string[]): string =>
        ids.slice(0, 20).join(', ') + (ids.length > 20 ? `, and ${ids.length - 20} more` : '');
      if (cmp.matched === 0) {
        failures.push(
          'no sample is in both runs with the same input and expected answer: nothing was compared',
        );
      } else if (cmp.paired === 0) {
        failures.push(`no sample has a value on ${cmp.metric} in both runs: nothing was compared`);
      }
      if (cmp.onlyBaseline.length > maxMissing) {
        failures.push(
          `${cmp.onlyBaseline.length} samples of the baseline are missing from the candidate (at most ${maxMissing}): ${list(cmp.onlyBaseline)}`,
        );
      }
      if (cmp.candidate.errors.length > maxErrors) {
        failures.push(
          `${cmp.candidate.errors.length} samples of the candidate are evaluator errors (at most ${maxErrors}): ` +
            cmp.candidate.errors
              .slice(0, 5)
              .map((e) => `${e.sampleId} (${shorten(e.error, 80)})`)
              .join(', ') +
            (cmp.candidate.errors.length > 5
              ? `, and ${cmp.candidate.errors.length - 5} more`
              : ''),
        );
      }
      if (cmp.candidate.unscored.length > maxUnscored) {
        failures.push(
          `${cmp.candidate.unscored.length} samples of the candidate have no value on ${cmp.metric} (at most ${maxUnscored}): ${list(cmp.candidate.unscored)}`,
        );
      }
      if (cmp.changedInputs.length > 0 && !values['allow-changed-inputs']) {
        failures.push(
          `${cmp.changedInputs.length} samples changed their input or expected answer, so they were not compared (allow with --allow-changed-inputs): ${list(cmp.changedInputs)}`,
        );
      }
      if (maxRegressions !== null) {
        if (!cmp.hasVerdicts) {
          throw new UsageError(
            `${cmp.metric} has no pass/fail verdict to count regressions on; choose a pass/fail --metric`,
          );
        }
        if (cmp.regressions.length > maxRegressions) {
          failures.push(
            `${cmp.regressions.length} regressions on ${cmp.metric} (at most ${maxRegressions}): ${list(cmp.regressions.map((r) => r.sampleId))}`,
          );
        }
      }
      if (minScores.length > 0) {
        const run = await findRun(tracker, candidateId, {});
        const records = await tracker.getRunResults(candidateId);
        for (const rule of minScores) {
          const on = rule.metric ?? cmp.metric;
          const stats = runStatsOn(run, records, on);
          if (stats.score === null) failures.push(`${candidateId} has no value on ${on}`);
          else if (stats.score < rule.min) {
            failures.push(
              `${on} of ${candidateId} is ${num(stats.score)} over ${stats.scored} results, below ${rule.min}`,
            );
          }
        }
      }
      if (values['no-significant-drop']) {
        const m = cmp.metrics.find((x) => x.metric === cmp.metric);
        if (!m) failures.push(`no paired values on ${cmp.metric}: a drop cannot be ruled out`);
        else if (m.difference.significantDrop) {
          failures.push(
            `${m.metric} dropped by ${num(m.difference.mean)}${interval(m.difference.interval, (x) => num(x))}`,
          );
        }
      }
      if (json) {
        io.stdout.write(
          `${JSON.stringify({ passed: failures.length === 0, metric: cmp.metric, failures, comparison: cmp })}\n`,
        );
      } else {
        io.stdout.write(
          (failures.length === 0
            ? `gate passed on ${visible(cmp.metric)}\n`
            : `gate failed on ${visible(cmp.metric)}:\n${failures.map((f) => `- ${visible(f)}\n`).join('')}`) +
            `\n${describeComparison(cmp, style)}`,
        );
      }
      return failures.length === 0 ? 0 : 1;
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
  args: [0, 0],
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

/** A whole number from a flag (`''`, `1.5` and `-1` are refused, never read as 0). */
function count(value: string | boolean | undefined, flag: string, min: number): number {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new UsageError(`${flag} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return Number(text);
}

/** `--min-score 0.8` (on the deciding metric) or `--min-score judge.aggregate_score=0.8`. */
function parseMinScore(rule: string): { metric: string | null; min: number } {
  const at = rule.lastIndexOf('=');
  const metric = at === -1 ? null : rule.slice(0, at).trim();
  const text = (at === -1 ? rule : rule.slice(at + 1)).trim();
  if (metric === '' || text === '' || !Number.isFinite(Number(text))) {
    throw new UsageError(
      `--min-score must be a number or COLUMN=number, got ${JSON.stringify(rule)}`,
    );
  }
  return { metric, min: Number(text) };
}

/** The run `name` names (an id, a prefix, `latest~N`…), within `--dataset` when given. */
async function findRun(
  tracker: BaseExperimentTracker,
  name: string,
  values: Context['values'],
): Promise<RunSummary> {
  const dataset = typeof values['dataset'] === 'string' ? values['dataset'] : undefined;
  return resolveRun(await tracker.getExperimentHistory(), name, dataset);
}

const optionalMetric = (values: Context['values']): string | undefined => {
  const metric = values['metric'];
  if (metric === undefined) return undefined;
  if (typeof metric !== 'string' || metric.trim() === '')
    throw new UsageError('--metric must name a column');
  return metric;
};

/**
 * The metric that decides: `--metric`, else the leaderboard column of the first run that has one
 * (the candidate's first). A named metric must be a column of the results.
 */
function chooseMetric(
  values: Context['values'],
  runs: readonly RunSummary[],
  records: readonly ResultRecord[],
): string {
  const known = metricsOf(records);
  const named = optionalMetric(values);
  const metric = named ?? runs.map(defaultMetric).find((m) => m !== null);
  if (metric === undefined) {
    throw new UsageError(
      `these results have no leaderboard column; choose one with --metric (${known.join(', ') || 'no metric'})`,
    );
  }
  if (named !== undefined && !known.includes(named)) {
    throw new UsageError(
      `no result has a value on metric ${JSON.stringify(named)}; metrics: ${known.join(', ') || 'none'}`,
    );
  }
  return metric;
}

async function comparison(
  tracker: BaseExperimentTracker,
  positionals: string[],
  values: Context['values'],
): Promise<RunComparison & { baselineRun: string; candidateRun: string }> {
  const [baselineName, candidateName] = positionals;
  if (!baselineName || !candidateName)
    throw new UsageError('give a baseline run and a candidate run');
  const baselineRun = await findRun(tracker, baselineName, values);
  const candidateRun = await findRun(tracker, candidateName, values);
  const baselineId = baselineRun.runId;
  const candidateId = candidateRun.runId;
  try {
    assertComparable(baselineRun, candidateRun, values['allow-different-datasets'] === true);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^\[evaltrack\] /, ''));
  }
  const baseline = await runRecords(tracker, baselineId);
  const candidate = await runRecords(tracker, candidateId);
  const metric = chooseMetric(values, [candidateRun, baselineRun], [...baseline, ...candidate]);
  return {
    baselineRun: baselineId,
    candidateRun: candidateId,
    ...compareRuns(baseline, candidate, { metric }),
  };
}

/** What a comparison paired, and what it could not: the lines under compare's and gate's verdicts. */
function describeComparison(cmp: RunComparison, style: Style): string {
  const metric = visible(cmp.metric);
  const lines = [
    `on ${metric}: ${cmp.matched} samples in both runs: ${style.red(`${cmp.regressions.length} regressions`)}, ` +
      `${style.green(`${cmp.improvements.length} improvements`)}, ${cmp.unchanged} unchanged` +
      (cmp.hasVerdicts || cmp.paired === 0 ? '' : ` (${metric} has no pass/fail verdict)`),
    `coverage gap: ${cmp.onlyBaseline.length} only in the baseline, ${cmp.onlyCandidate.length} only in the candidate`,
    `evaluator errors: ${cmp.baseline.errors.length} in the baseline, ${cmp.candidate.errors.length} in the candidate`,
    `not scored on ${metric}: ${cmp.baseline.unscored.length} in the baseline, ${cmp.candidate.unscored.length} in the candidate`,
  ];
  if (cmp.changedInputs.length > 0) {
    lines.push(
      `changed input or expected answer (not compared): ${cmp.changedInputs.length}: ${visible(cmp.changedInputs.slice(0, 20).join(', '))}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  ...readCommands,
  ...transferCommands,
  rebuild,
  ui,
  pendingCommand,
];

function help(): string {
  const lines = COMMANDS.map(
    (c) => `  ${[c.name, ...(c.aliases ?? [])].join(', ').padEnd(22)}${c.summary}`,
  );
  return (
    `evaltrack ${VERSION}: the runs of your LLM evaluations, compared with error bars\n\n` +
    `Commands:\n${lines.join('\n')}\n\n` +
    `Every command takes --store <folder | sqlite:file | postgres://url> (or EVALTRACK_STORE;\n` +
    `default ${DEFAULT_STORE}), --json for machines, --quiet to silence warnings about damaged\n` +
    `records, and --help. \`evaltrack help <command>\` says more of one.\n` +
    `A run is named by its id, a unique prefix of it, its last 8 hex digits, latest or latest~N.\n` +
    `Exit codes: 0 done (a gate that passed); 1 a gate that failed, an unknown run, or an error;\n` +
    `2 a usage error (a bad flag or argument, no store at the address, runs not comparable).\n`
  );
}

const commandHelp = (c: Command): string =>
  `${c.summary}\n\nusage: ${c.usage}\nexample: ${c.example}\n`;

const findCommand = (word: string): Command | undefined =>
  COMMANDS.find((c) => c.name === word || c.aliases?.includes(word));

const commandWords = (): string[] => COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);

/** Drops the prefix every EvaltrackError message has: the command line names itself once. */
const bare = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).replace(/^\[evaltrack\] /, '');

/** Reads the arguments of `command`; a UsageError names what is wrong, in our words. */
function parseCommandArgs(command: Command, args: readonly string[]) {
  const options = { ...COMMON, ...command.options };
  // Unknown flags first: Node's own message for them is hard to read.
  const { tokens } = parseArgs({
    args: [...args],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const t of tokens) {
    if (t.kind !== 'option' || Object.hasOwn(options, t.name)) continue;
    const flags = Object.keys(options).map((o) => `--${o}`);
    const near = didYouMean(t.rawName, flags);
    throw new UsageError(`unknown option ${t.rawName}${near ? `; did you mean ${near}?` : ''}`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (e) {
    const flag = /'(-[^' ]+)/.exec(bare(e))?.[1];
    throw new UsageError(
      (e as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag
        ? options[flag.replace(/^-+/, '')]?.type === 'boolean'
          ? `${flag} takes no value`
          : `${flag} needs a value`
        : bare(e).replace(/'/g, ''),
    );
  }
  const [, max] = command.args ?? [0, 0];
  const extra = parsed.positionals.slice(max);
  if (extra.length > 0) {
    throw new UsageError(
      `${command.name} takes ${max === 0 ? 'no' : `at most ${max}`} argument${max === 1 ? '' : 's'}; ` +
        `unexpected ${extra.map((x) => JSON.stringify(x)).join(' ')}`,
    );
  }
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
}

/** Runs the command line; resolves with the exit code. Never exits the process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [word, ...rest] = argv;
  if (word === '--version' || word === '-V' || word === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (word === undefined || word === '--help' || word === '-h') {
    io.stdout.write(help());
    return word === undefined ? 2 : 0;
  }
  const unknown = (name: string): number => {
    const near = didYouMean(name, commandWords());
    io.stderr.write(
      `evaltrack: unknown command ${JSON.stringify(name)}` +
        `${near ? `; did you mean ${JSON.stringify(near)}?` : ''} (evaltrack --help lists them)\n`,
    );
    return 2;
  };
  if (word === 'help') {
    if (rest[0] === undefined) {
      io.stdout.write(help());
      return 0;
    }
    const about = findCommand(rest[0]);
    if (!about) return unknown(rest[0]);
    io.stdout.write(commandHelp(about));
    return 0;
  }
  const command = findCommand(word);
  if (!command) return unknown(word);
  const usage = (message: string): number => {
    io.stderr.write(
      `evaltrack ${command.name}: ${message}\nusage: ${command.usage}\n(evaltrack help ${command.name} says more)\n`,
    );
    return 2;
  };
  let parsed;
  try {
    parsed = parseCommandArgs(command, rest);
  } catch (e) {
    return usage(bare(e));
  }
  const { values, positionals } = parsed;
  if (values['help']) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  if (values['quiet']) io.quiet?.();
  const where =
    (values['store'] as string | undefined) ?? (io.env['EVALTRACK_STORE'] || DEFAULT_STORE);
  let tracker: BaseExperimentTracker | undefined;
  try {
    const mode = command.store ?? 'read';
    // Only `import` creates the store it is pointed at; reading a typo must not make a store.
    if (mode !== 'none')
      tracker = await openStore(where, 'evaltrack', { create: mode === 'create' });
    return await command.run({
      values,
      positionals,
      io,
      style: styleFor(io.isTTY, io.env),
      json: values['json'] === true,
      tracker: tracker as BaseExperimentTracker,
    });
  } catch (e) {
    if (e instanceof UsageError) return usage(bare(e));
    io.stderr.write(`evaltrack ${command.name}: ${bare(e)}\n`);
    if (e instanceof ExitError) return e.exitCode;
    return e instanceof NoStoreError ? 2 : 1;
  } finally {
    await tracker?.close();
  }
}
