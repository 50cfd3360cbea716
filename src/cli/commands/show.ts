import { passAtK } from '../../stats/statistics.js';
import { isPassFail, outcomeOf, resultError } from '../../tracker/sample-outcome.js';
import { sampleField } from '../../tracker/sample-texts.js';
import type { ResultRecord } from '../../types.js';
import { chooseMetric } from '../choose-metric.js';
import { UsageError } from '../command.js';
import type { Command } from '../command.js';
import { findRun, runRecords } from '../find-run.js';
import { num, renderTable, shorten, visible } from '../render.js';

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
