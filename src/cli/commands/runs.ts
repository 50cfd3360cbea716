import { runStats, runStatsOn } from '../../stats/run-stats.js';
import type { RunStats } from '../../stats/run-stats.js';
import type { RunSummary } from '../../types.js';
import { optionalMetric } from '../choose-metric.js';
import { UsageError } from '../command.js';
import type { Command } from '../command.js';
import { NONE, count, interval, money, ms, num, pct, renderTable, visible } from '../render.js';
import { wholeNumber } from '../whole-number.js';

/** `evaltrack runs` (alias `leaderboard`): one row per run, with 95% intervals. */
export const runsCommand: Command = {
  name: 'runs',
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
      shown = rows.slice(0, wholeNumber(values['limit'], '--limit', 1));
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
    if (shown.some(({ run }) => run.measures !== null))
      io.stdout.write(`\n${measuresTable(shown)}`);
    return 0;
  },
};

/**
 * The runs' latency, tokens and cost, from their summaries (no result is read), as a table of its
 * own under the leaderboard, so that each stays readable at 100 columns.
 */
function measuresTable(shown: readonly { run: RunSummary }[]): string {
  return (
    "The task's latency over the results timed (mean; p95 by nearest rank, within 1%);\n" +
    'tokens and cost of the task and evaluators together:\n\n' +
    renderTable(
      ['#', 'run', 'timed', 'mean ms', 'p95 ms', 'tokens', 'cost'],
      shown.map(({ run }, i) => {
        const m = run.measures;
        return [
          String(i + 1),
          run.runId,
          m?.latency ? String(m.latency.n) : NONE,
          ms(m?.latency?.meanMs),
          ms(m?.latency?.p95Ms),
          count(m?.tokens?.totalTokens),
          money(m?.cost?.total),
        ];
      }),
    )
  );
}
