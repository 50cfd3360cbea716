import { InvalidInputError } from '../../errors.js';
import type { BaseExperimentTracker } from '../../tracker/base-experiment-tracker.js';
import type { SampleHistory, SampleRun } from '../../tracker/sample-history.js';
import { compareRunsByCreation } from '../../tracker/run-aggregate.js';
import { checkMetric, optionalMetric } from '../choose-metric.js';
import { ExitError, UsageError, bare } from '../command.js';
import type { Command } from '../command.js';
import { num, renderTable, shorten, visible } from '../render.js';
import { closestOf } from '../run-name.js';
import { wholeNumber } from '../whole-number.js';

/** `evaltrack history`: one sample across runs, newest first, and when it last went from pass to fail. */
export const historyCommand: Command = {
  name: 'history',
  summary: 'one sample across runs, newest first: scores, pass/fail, output',
  usage: 'evaltrack history <sampleId> [--dataset NAME] [--metric COLUMN] [--last N]',
  example: 'evaltrack history q07 --dataset faq --last 10',
  args: [1, 1],
  options: {
    dataset: { type: 'string' },
    metric: { type: 'string' },
    last: { type: 'string' },
  },
  async run({ values, positionals, io, json, tracker }) {
    const sampleId = positionals[0];
    if (!sampleId?.trim()) throw new UsageError('history needs a sample id');
    const dataset = typeof values['dataset'] === 'string' ? values['dataset'] : undefined;
    const last = values['last'] === undefined ? 20 : wholeNumber(values['last'], '--last', 1);
    const named = optionalMetric(values);
    let history: SampleHistory;
    try {
      history = await tracker.getSampleHistory(sampleId, {
        last,
        ...(dataset === undefined ? {} : { datasetName: dataset }),
        ...(named === undefined ? {} : { metric: named }),
      });
    } catch (e) {
      if (e instanceof InvalidInputError && e.path === 'options.datasetName')
        throw new UsageError(`${bare(e)} with --dataset`);
      throw e;
    }
    if (history.runCount === 0) throw await unknownSample(tracker, sampleId, dataset);
    checkMetric(
      named,
      history.metric,
      history.runs.flatMap((r) => r.results),
    );
    if (json) {
      io.stdout.write(`${JSON.stringify(history)}\n`);
      return 0;
    }
    const shown = history.runs.length;
    io.stdout.write(
      `${visible(sampleId)} in dataset ${visible(JSON.stringify(history.datasetName))} on ${visible(history.metric ?? '-')}: ` +
        `${history.runCount} run${history.runCount === 1 ? '' : 's'} hold${history.runCount === 1 ? 's' : ''} it` +
        `${shown < history.runCount ? `, the newest ${shown} shown` : ''}\n`,
    );
    const change = history.lastPassToFail;
    io.stdout.write(
      change
        ? `last changed from pass to fail in run ${visible(change.runId)} (${change.createdAt ?? 'time unknown'}); it passed in ${visible(change.passedIn)} before\n\n`
        : `never changed from pass to fail in the runs that hold it\n\n`,
    );
    io.stdout.write(
      renderTable(
        ['run', 'created', 'model', 'value', 'pass', 'trials', 'output', 'error'],
        history.runs.map((r) => [
          r.runId,
          r.createdAt ?? '-',
          r.modelName,
          num(r.value),
          verdict(r),
          String(r.trials),
          shorten(r.output, 50),
          r.error === null ? '' : shorten(r.error, 50),
        ]),
      ),
    );
    return 0;
  },
};

/** pass, FAIL, or `-` for no outcome (no verdict, or as many passes as failures). */
const verdict = (r: SampleRun): string => (r.passed === null ? '-' : r.passed ? 'pass' : 'FAIL');

/** The error for a sample no run holds, with the closest sample ids of the newest run. */
async function unknownSample(
  tracker: BaseExperimentTracker,
  sampleId: string,
  dataset: string | undefined,
): Promise<ExitError> {
  const within = dataset === undefined ? '' : ` of dataset ${JSON.stringify(dataset)}`;
  const runs = (
    await tracker.getExperimentHistory(dataset === undefined ? {} : { datasetName: dataset })
  )
    .filter((r) => r.totalData > 0)
    .sort(compareRunsByCreation);
  const newest = runs[0];
  if (!newest)
    return new ExitError(1, `no sample ${JSON.stringify(sampleId)}: there is no run${within}`);
  const ids = new Set<string>();
  for await (const r of tracker.iterateRunResults(newest.runId)) ids.add(r.sampleId);
  const near = closestOf(sampleId, ids, 3);
  return new ExitError(
    1,
    `no sample ${JSON.stringify(sampleId)} in any run${within}` +
      (near.length > 0
        ? `; the closest in the newest run (${newest.runId}): ${near.join(', ')}`
        : ''),
  );
}
