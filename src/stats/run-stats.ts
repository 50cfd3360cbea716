import type { RunSummary } from '../types.js';
import { studentTInterval, wilsonInterval } from './statistics.js';
import type { Interval } from './statistics.js';

/** A run's headline numbers with their 95% intervals, as the command line and dashboard show them. */
export interface RunStats {
  n: number;
  score: number | null;
  scoreInterval: Interval | null;
  /** The pass rate of `aggregate_success`, else of a pass/fail score; null when neither exists. */
  passRate: number | null;
  passInterval: Interval | null;
}

/**
 * A run's numbers from its summary alone (no result is read): the score with a Wilson interval
 * when it is pass/fail, else a Student-t interval; the pass rate of `aggregate_success` (or of a
 * pass/fail score) with a Wilson interval.
 */
export function runStats(run: RunSummary): RunStats {
  const scorePasses = Math.round((run.averageScore ?? 0) * run.scoredCount);
  const [passed, judged] =
    run.successTotal > 0
      ? [run.successCount, run.successTotal]
      : run.scorePassFail
        ? [scorePasses, run.scoredCount]
        : [0, 0];
  return {
    n: run.totalData,
    score: run.averageScore,
    scoreInterval: run.scorePassFail
      ? wilsonInterval(scorePasses, run.scoredCount)
      : studentTInterval(run.scoredCount, run.averageScore ?? 0, run.scoreStdDev),
    passRate: judged > 0 ? passed / judged : null,
    passInterval: wilsonInterval(passed, judged),
  };
}
