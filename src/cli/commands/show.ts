import { exactRunMeasures } from '../../stats/measure-stats.js';
import { passAtK } from '../../stats/statistics.js';
import { costOf, latencyOf } from '../../tracker/measures.js';
import { isPassFail, outcomeOf, resultError } from '../../tracker/sample-outcome.js';
import { sampleField } from '../../tracker/sample-texts.js';
import type { ResultRecord, RunMeasures } from '../../types.js';
import { chooseMetric } from '../choose-metric.js';
import { UsageError } from '../command.js';
import type { Command } from '../command.js';
import { findRun, runRecords } from '../find-run.js';
import { NONE, count, money, ms, num, renderTable, shorten, visible } from '../render.js';

/** `evaltrack show`: one run's samples, with scores and pass/fail on one metric. */
export const showCommand: Command = {
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
    // Latency and cost columns when the run recorded them; the trial when a sample ran several times.
    const measures = exactRunMeasures(all);
    const timed = Boolean(measures?.latency);
    const costed = Boolean(measures?.cost);
    const trials = new Set(all.map((r) => r.sampleId)).size < all.length;
    if (json) {
      io.stdout.write(
        `${JSON.stringify({
          metric,
          counts: { results: all.length, ...tally },
          measures,
          results: records.map((r) => ({ ...r, ...outcome(r) })),
          repetitions,
        })}\n`,
      );
      return 0;
    }
    io.stdout.write(
      `${visible(runId)} on ${visible(metric)}: ${all.length} results, ${tally.passed} passed, ${tally.failed} failed, ` +
        `${tally.unscored} not scored, ${tally.errors} evaluator errors\n${describeMeasures(measures)}\n`,
    );
    io.stdout.write(
      renderTable(
        [
          'sample',
          ...(trials ? ['trial'] : []),
          'input',
          ...columns,
          'pass',
          ...(timed ? ['latency ms'] : []),
          ...(costed ? ['cost'] : []),
        ],
        records.map((r) => {
          const o = outcome(r);
          return [
            r.sampleId,
            ...(trials ? [r.measures?.trial === undefined ? NONE : String(r.measures.trial)] : []),
            shorten(sampleField(r.data, 'input'), 40),
            ...columns.map((c) => {
              const v = r.values[c];
              return typeof v === 'number' ? num(v) : v === undefined ? '-' : String(v);
            }),
            o.error !== null ? 'ERROR' : o.passed === null ? '-' : o.passed ? 'pass' : 'FAIL',
            ...(timed ? [ms(latencyOf(r.measures))] : []),
            ...(costed ? [money(costOf(r.measures))] : []),
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

/**
 * The run's latency, tokens and cost, one line each, over every result of the run (whatever is
 * filtered); p50 and p95 exact, by nearest rank (the summary's definition, without its 1%).
 */
function describeMeasures(m: RunMeasures | null): string {
  if (m === null) return '';
  const lines: string[] = [];
  if (m.latency) {
    const l = m.latency;
    lines.push(
      `task latency over ${l.n} results: mean ${ms(l.meanMs)} ms, p50 ${ms(l.p50Ms)} ms, ` +
        `p95 ${ms(l.p95Ms)} ms, max ${ms(l.maxMs)} ms (p50 and p95 by nearest rank, exact)`,
    );
  }
  if (m.tokens) {
    const t = m.tokens;
    // The split, when steps reported one (some report only a total).
    const split =
      t.inputTokens + t.outputTokens > 0
        ? ` (${count(t.inputTokens)} input, ${count(t.outputTokens)} output)`
        : '';
    lines.push(`tokens over ${t.n} results: ${count(t.totalTokens)}${split}`);
  }
  if (m.cost) lines.push(`cost over ${m.cost.n} results: ${money(m.cost.total)}`);
  return `${lines.join('\n')}\n`;
}
