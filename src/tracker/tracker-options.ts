/** The tracker's options, resolved once with gllm-evals' defaults, the same for every store. */
import { InvalidInputError } from '../errors.js';
import type { SummaryEvaluator } from '../types.js';
import { checkName, checkStringList } from './check-input.js';
import type { FlattenConfig } from './flatten-result.js';

/** How results are flattened and ranked; the same options for every store. */
export interface TrackerOptions {
  /**
   * Which leaves are scores: a bare key (`'score'`: every leaf of that name, at any depth), a dotted
   * path (`'metrics.accuracy'`) or an array path (`['generation', 'score']`).
   * @default 'score'
   */
  scoreKey?: string | string[];
  /**
   * Keys of each evaluator written as extra score columns, booleans as 0.0/1.0.
   * @default ['aggregate_score', 'aggregate_success']
   */
  extraScoreKeys?: string[];
  /**
   * The column the leaderboard ranks by: the first column whose last segment is this key (or the
   * exact dotted path).
   * @default 'aggregate_success'
   */
  leaderboardScoreKey?: string;
  /**
   * Fields written beside each score column as `<path>.<field>`.
   * @default ['success']
   */
  companionFields?: string[];
  /** Run-level evaluators; their output is merged into the run's `summaryResult`. */
  summaryEvaluators?: SummaryEvaluator[];
  /**
   * Keep the whole evaluator output with each result, so nothing is lost.
   * @default true
   */
  includeEvalResult?: boolean;
}

/** The option names of {@link TrackerOptions}, for subclasses that validate their own. */
export const TRACKER_OPTION_KEYS = [
  'scoreKey',
  'extraScoreKeys',
  'leaderboardScoreKey',
  'companionFields',
  'summaryEvaluators',
  'includeEvalResult',
] as const;

/** The resolved form of {@link TrackerOptions}. */
export interface ResolvedTrackerOptions extends FlattenConfig {
  readonly leaderboardScoreKey: string;
  readonly summaryEvaluators: readonly SummaryEvaluator[];
  readonly includeEvalResult: boolean;
}

/** Checks tracker options and fills in the gllm-evals defaults. */
export function resolveTrackerOptions(
  options: TrackerOptions,
  where: string,
): ResolvedTrackerOptions {
  const scoreKey = options.scoreKey ?? 'score';
  if (typeof scoreKey === 'string') checkName(scoreKey, `${where}.scoreKey`);
  else if (checkStringList(scoreKey, `${where}.scoreKey`).length === 0) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `${where}.scoreKey must not be empty`,
      `${where}.scoreKey`,
    );
  }
  const summaryEvaluators = options.summaryEvaluators ?? [];
  if (
    !Array.isArray(summaryEvaluators) ||
    !summaryEvaluators.every((f) => typeof f === 'function')
  ) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `${where}.summaryEvaluators must be an array of functions`,
      `${where}.summaryEvaluators`,
    );
  }
  const includeEvalResult = options.includeEvalResult ?? true;
  if (typeof includeEvalResult !== 'boolean') {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `${where}.includeEvalResult must be a boolean`,
    );
  }
  return {
    scoreKey: typeof scoreKey === 'string' ? scoreKey : [...scoreKey],
    extraScoreKeys: checkStringList(
      options.extraScoreKeys ?? ['aggregate_score', 'aggregate_success'],
      `${where}.extraScoreKeys`,
    ),
    leaderboardScoreKey: checkName(
      options.leaderboardScoreKey ?? 'aggregate_success',
      `${where}.leaderboardScoreKey`,
    ),
    companionFields: checkStringList(
      options.companionFields ?? ['success'],
      `${where}.companionFields`,
    ),
    summaryEvaluators,
    includeEvalResult,
  };
}
