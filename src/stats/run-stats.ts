import { isPassFail, outcomeOf } from '../tracker/sample-outcome.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { studentTInterval, wilsonInterval } from './statistics.js';
import type { Interval } from './statistics.js';

/** A run's headline numbers on one metric, with their 95% intervals. */
export interface RunStats {
  /** The metric the numbers are on; null when the run has no score column. */
  metric: string | null;
  /** Results in the run. */
  n: number;
  /** Results with a value on the metric: the n of the score's interval. */
  scored: number;
  score: number | null;
  scoreInterval: Interval | null;
  /** Results that passed, of those with a pass/fail verdict on the metric; null when none has one. */
  passRate: number | null;
  passInterval: Interval | null;
}

/**
 * A run's numbers on its leaderboard column, from its summary alone (no result is read): the mean
 * with a Wilson interval when the column is pass/fail (then it is also the pass rate), else a
 * Student-t interval and no pass rate (the verdicts beside a score are not in the summary).
 */
export function runStats(run: RunSummary): RunStats {
  const passes = Math.round((run.averageScore ?? 0) * run.scoredCount);
  const passFail = run.scorePassFail;
  return {
    metric: run.scoreColumn,
    n: run.totalData,
    scored: run.scoredCount,
    score: run.averageScore,
    scoreInterval: passFail
      ? wilsonInterval(passes, run.scoredCount)
      : studentTInterval(run.scoredCount, run.averageScore ?? 0, run.scoreStdDev),
    passRate: passFail ? run.averageScore : null,
    passInterval: passFail ? wilsonInterval(passes, run.scoredCount) : null,
  };
}

/** A run's numbers on any `metric`, from its results (what `runs --metric` shows). */
export function runStatsOn(
  run: RunSummary,
  records: readonly Pick<ResultRecord, 'values'>[],
  metric: string,
): RunStats {
  const passFail = isPassFail(records, metric);
  let scored = 0;
  let sum = 0;
  let sumSq = 0;
  let binary = true;
  let verdicts = 0;
  let passes = 0;
  for (const r of records) {
    const o = outcomeOf(r.values, metric, passFail);
    if (o.score !== null) {
      scored++;
      sum += o.score;
      sumSq += o.score * o.score;
      binary &&= o.score === 0 || o.score === 1;
    }
    if (o.passed !== null) {
      verdicts++;
      if (o.passed) passes++;
    }
  }
  const mean = scored > 0 ? sum / scored : null;
  const sd =
    scored > 1 ? Math.sqrt(Math.max(0, (sumSq - scored * (mean ?? 0) ** 2) / (scored - 1))) : null;
  return {
    metric,
    n: run.totalData,
    scored,
    score: mean,
    scoreInterval: binary
      ? wilsonInterval(Math.round(sum), scored)
      : studentTInterval(scored, mean ?? 0, sd),
    passRate: verdicts > 0 ? passes / verdicts : null,
    passInterval: wilsonInterval(passes, verdicts),
  };
}
