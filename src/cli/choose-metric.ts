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
  const named = optionalMetric(values);
  return checkMetric(named, named ?? runs.map(defaultMetric).find((m) => m !== null), records);
}

/**
 * The metric chosen (`named` by `--metric`, else `chosen` by default), checked as
 * {@link chooseMetric} checks it: there is one, and a named one is a column of `records`.
 */
export function checkMetric(
  named: string | undefined,
  chosen: string | null | undefined,
  records: readonly Pick<ResultRecord, 'values'>[],
): string {
  const known = () => metricsOf(records).join(', ');
  if (chosen === undefined || chosen === null) {
    throw new UsageError(
      `these results have no leaderboard column; choose one with --metric (${known() || 'no metric'})`,
    );
  }
  if (named !== undefined && !metricsOf(records).includes(named)) {
    throw new UsageError(
      `no result has a value on metric ${JSON.stringify(named)}; metrics: ${known() || 'none'}`,
    );
  }
  return chosen;
}
