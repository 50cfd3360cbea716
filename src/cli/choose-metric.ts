/** Which metric (value column) a command reads: `--metric`, else the runs' leaderboard column. */
import { defaultMetric, metricsOf } from '../tracker/sample-outcome.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { UsageError } from './command.js';
import type { Context } from './command.js';

/** `--metric` when given (an empty one is a usage error), else `undefined`. */
export const optionalMetric = (values: Context['values']): string | undefined => {
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
export function chooseMetric(
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
