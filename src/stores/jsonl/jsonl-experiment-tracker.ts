import { resolve } from 'node:path';
import {
  BaseExperimentTracker,
  TRACKER_OPTION_KEYS,
} from '../../tracker/base-experiment-tracker.js';
import type { TrackerOptions } from '../../tracker/base-experiment-tracker.js';
import { checkName, checkOptions } from '../../tracker/check-input.js';
import { JsonlStore } from './jsonl-store.js';
import type { WarningHandler } from './jsonl-store.js';

/** Options of {@link JsonlExperimentTracker}. */
export interface JsonlTrackerOptions extends TrackerOptions {
  /**
   * The folder of `<project>.results.jsonl` and `<project>.leaderboard.json`, created at the first
   * write. Several projects and processes may share it.
   * @default './gllm_evals/experiments'
   */
  outputDir?: string;
  /** Where reports of damaged lines go. @default process.emitWarning */
  onWarning?: WarningHandler;
  /** How long to wait for another process's lock on the folder. @default 60000 */
  lockTimeoutMs?: number;
}

const JSONL_OPTION_KEYS = [
  ...TRACKER_OPTION_KEYS,
  'outputDir',
  'onWarning',
  'lockTimeoutMs',
] as const;

/**
 * The lossless JSON tracker (gllm-evals' `JSONExperimentTracker`): results as JSON Lines in
 * `{outputDir}/<project>.results.jsonl`, so numbers, booleans, texts and nested objects come back
 * exactly as logged; the leaderboard in `{outputDir}/<project>.leaderboard.json`.
 *
 * ```ts
 * import { JsonlExperimentTracker } from 'evaltrack/jsonl';
 *
 * const tracker = new JsonlExperimentTracker('my_project', { outputDir: 'evals' });
 * tracker.log({ generation: { aggregate_success: true } }, 'faq', { input: 'Hi?', actual_output: 'Hello' });
 * console.log(await tracker.getExperimentHistory());
 * await tracker.close();
 * ```
 */
export class JsonlExperimentTracker extends BaseExperimentTracker {
  /** The folder, as an absolute path. */
  readonly outputDir: string;
  /** `{outputDir}/<project>.results.jsonl` (the project name percent-encoded). */
  readonly resultsFile: string;

  constructor(projectName: string, options?: JsonlTrackerOptions) {
    const opts = checkOptions(options, JSONL_OPTION_KEYS, 'options');
    const outputDir = resolve(
      checkName(opts.outputDir ?? './gllm_evals/experiments', 'options.outputDir'),
    );
    const { outputDir: _outputDir, onWarning, lockTimeoutMs, ...trackerOptions } = opts;
    let store: JsonlStore | undefined;
    super(projectName, {
      ...trackerOptions,
      store: (rules) =>
        (store = new JsonlStore({
          outputDir,
          rules,
          projectName,
          ...(onWarning ? { onWarning } : {}),
          ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
        })),
    });
    this.outputDir = outputDir;
    this.resultsFile = (store as unknown as JsonlStore).resultsPath(projectName);
  }
}
