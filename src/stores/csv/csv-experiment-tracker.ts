import { join, resolve } from 'node:path';
import { checkName, checkOptions } from '../../tracker/check-input.js';
import {
  BaseExperimentTracker,
  TRACKER_OPTION_KEYS,
} from '../../tracker/base-experiment-tracker.js';
import type { TrackerOptions } from '../../tracker/base-experiment-tracker.js';
import { CsvStore } from './csv-store.js';
import type { WarningHandler } from './csv-store.js';

/** Options of {@link CSVExperimentTracker}. */
export interface CsvTrackerOptions extends TrackerOptions {
  /**
   * The folder of `experiment_results.csv` and `leaderboard.csv`, created when missing. Several
   * projects and processes may share it.
   * @default './gllm_evals/experiments'
   */
  outputDir?: string;
  /** Where reports of damaged records go. @default process.emitWarning */
  onWarning?: WarningHandler;
  /** How long to wait for another process's lock on the folder. @default 60000 */
  lockTimeoutMs?: number;
}

export const CSV_OPTION_KEYS = [
  ...TRACKER_OPTION_KEYS,
  'outputDir',
  'onWarning',
  'lockTimeoutMs',
] as const;

/**
 * The gllm-evals CSV tracker with its current defaults: results in
 * `{outputDir}/experiment_results.csv`, one leaderboard row per run in `{outputDir}/leaderboard.csv`,
 * ranked by `aggregate_success`. Files written by the Python tracker can be read and extended.
 *
 * ```ts
 * import { CSVExperimentTracker } from 'evaltrack/csv';
 *
 * const tracker = new CSVExperimentTracker('my_project');
 * tracker.log({ generation: { aggregate_success: true, completeness: { score: 1, success: true } } },
 *   'faq', { input: 'How do I return boots?', actual_output: '...' });
 * console.log(await tracker.getExperimentHistory());
 * await tracker.close();
 * ```
 */
export class CSVExperimentTracker extends BaseExperimentTracker {
  /** The folder, as an absolute path. */
  readonly outputDir: string;
  /** `{outputDir}/experiment_results.csv`. */
  readonly experimentResultsFile: string;
  /** `{outputDir}/leaderboard.csv`. */
  readonly leaderboardFile: string;

  constructor(projectName: string, options?: CsvTrackerOptions) {
    const opts = checkOptions(options, CSV_OPTION_KEYS, 'options');
    const outputDir = resolve(
      checkName(opts.outputDir ?? './gllm_evals/experiments', 'options.outputDir'),
    );
    const { outputDir: _outputDir, onWarning, lockTimeoutMs, ...trackerOptions } = opts;
    super(projectName, {
      ...trackerOptions,
      store: (rules) =>
        new CsvStore({
          outputDir,
          rules,
          ...(onWarning ? { onWarning } : {}),
          ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
        }),
    });
    this.outputDir = outputDir;
    this.experimentResultsFile = join(outputDir, 'experiment_results.csv');
    this.leaderboardFile = join(outputDir, 'leaderboard.csv');
  }
}
