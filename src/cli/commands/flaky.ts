import { InvalidInputError } from '../../errors.js';
import type { FlakyOptions, FlakyReport } from '../../tracker/flaky-samples.js';
import { checkMetric, optionalMetric } from '../choose-metric.js';
import { ExitError, UsageError, bare } from '../command.js';
import type { Command } from '../command.js';
import { findRun } from '../find-run.js';
import { interval, pct, renderTable, visible } from '../render.js';
import { didYouMean } from '../run-name.js';
import { wholeNumber } from '../whole-number.js';

/** `evaltrack flaky`: samples whose outcome flips across the last runs, or one run's trials. */
export const flakyCommand: Command = {
  name: 'flaky',
  summary: 'samples whose outcome flips across the last runs (or trials), by flip rate',
  usage: 'evaltrack flaky [--dataset NAME] [--last N] [--run RUN] [--metric COLUMN]',
  example: 'evaltrack flaky --dataset faq --last 50',
  options: {
    dataset: { type: 'string' },
    last: { type: 'string' },
    run: { type: 'string' },
    metric: { type: 'string' },
  },
  async run({ values, io, json, tracker }) {
    const dataset = typeof values['dataset'] === 'string' ? values['dataset'] : undefined;
    const named = optionalMetric(values);
    const options: FlakyOptions = named === undefined ? {} : { metric: named };
    if (typeof values['run'] === 'string') {
      if (values['last'] !== undefined)
        throw new UsageError('--run looks across one run’s trials; --last does not go with it');
      options.runId = (await findRun(tracker, values['run'], values)).runId;
    } else {
      options.last = values['last'] === undefined ? 10 : wholeNumber(values['last'], '--last', 2);
      if (dataset !== undefined) options.datasetName = dataset;
    }
    let report: FlakyReport;
    try {
      report = await tracker.getFlakySamples(options);
    } catch (e) {
      if (e instanceof InvalidInputError && e.path === 'options.datasetName')
        throw new UsageError(`${bare(e)} with --dataset`);
      throw e;
    }
    if (report.runs.length === 0) {
      const datasets = [
        ...new Set((await tracker.getExperimentHistory()).map((r) => r.datasetName)),
      ];
      if (datasets.length === 0) throw new ExitError(1, 'the store has no runs');
      const near = dataset === undefined ? null : didYouMean(dataset, datasets);
      throw new ExitError(
        1,
        `no run of dataset ${JSON.stringify(dataset)}` +
          (near ? `; did you mean ${JSON.stringify(near)}?` : `; datasets: ${datasets.join(', ')}`),
      );
    }
    // A metric named that no result read has: the metrics of the newest run say which there are.
    const newest = report.runs[report.runs.length - 1]?.runId ?? '';
    if (report.metric === null || (named !== undefined && report.scored === 0))
      checkMetric(named, report.metric, await tracker.getRunResults(newest));
    if (json) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    const where =
      report.across === 'trials'
        ? `across the trials of run ${visible(newest)}`
        : `across the last ${report.runs.length} run${report.runs.length === 1 ? '' : 's'} of dataset ${visible(JSON.stringify(report.datasetName))} (${visible(report.runs[0]?.runId ?? '')} to ${visible(newest)})`;
    io.stdout.write(
      `On ${visible(report.metric ?? '-')}, ${where}: ${report.samples} sample${report.samples === 1 ? '' : 's'}, ` +
        `${report.compared} with two outcomes or more, ${report.flaky.length} flaky\n`,
    );
    if (report.flaky.length === 0) {
      io.stdout.write(`nothing flaky: no sample's outcome flipped\n`);
      return 0;
    }
    io.stdout.write(
      `\n${renderTable(
        ['sample', 'flip rate [95% CI]', 'flips', 'passes', 'last', 'last flip'],
        report.flaky.map((f) => [
          f.sampleId,
          `${pct(f.flipRate)}${interval(f.interval)}`,
          `${f.flips}/${f.transitions}`,
          `${f.passes}/${f.outcomes}`,
          f.lastOutcome ? 'pass' : 'FAIL',
          f.lastFlip.trial === null ? f.lastFlip.runId : `trial ${f.lastFlip.trial}`,
        ]),
      )}`,
    );
    return 0;
  },
};
