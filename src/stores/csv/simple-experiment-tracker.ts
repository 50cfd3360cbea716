import { checkOptions } from '../../tracker/check-input.js';
import { CSVExperimentTracker } from './csv-experiment-tracker.js';
import type { WarningHandler } from './csv-store.js';

/** Options of {@link SimpleExperimentTracker}: those of the seed API. */
export interface SimpleTrackerOptions {
  /** @default './gllm_evals/experiments' */
  outputDir?: string;
  /**
   * The key of score leaves, which the leaderboard also ranks by: a bare key, a dotted path or
   * an array path.
   * @default 'score'
   */
  scoreKey?: string | string[];
  /** Where reports of damaged records go. @default process.emitWarning */
  onWarning?: WarningHandler;
}

/**
 * The seed's `SimpleExperimentTracker`: the CSV store with the legacy defaults of gllm-evals
 * (no extra score columns; the leaderboard ranks by `scoreKey`).
 */
export class SimpleExperimentTracker extends CSVExperimentTracker {
  constructor(projectName: string, options?: SimpleTrackerOptions) {
    const opts = checkOptions(options, ['outputDir', 'scoreKey', 'onWarning'], 'options');
    const scoreKey = opts.scoreKey ?? 'score';
    super(projectName, {
      ...opts,
      scoreKey,
      extraScoreKeys: [],
      leaderboardScoreKey: Array.isArray(scoreKey) ? scoreKey.join('.') : scoreKey,
    });
  }
}
