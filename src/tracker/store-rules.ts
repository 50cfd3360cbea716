/** The store rules of a tracker's resolved options: see {@link StoreRules}. */
import { inResultOrder, kindOfColumn } from './flatten-result.js';
import type { StoreRules } from './result-store.js';
import { applyPatch, foldResult } from './run-aggregate.js';
import type { ResolvedTrackerOptions } from './tracker-options.js';

/** The rules a store applies for a tracker with these options. */
export function storeRules(options: ResolvedTrackerOptions): StoreRules {
  return {
    leaderboardScoreKey: options.leaderboardScoreKey,
    fold: (aggregate, row) => foldResult(aggregate, row, options.leaderboardScoreKey),
    applyPatch,
    kindOfColumn: (name) => kindOfColumn(name, options),
    inResultOrder: (columns, result) => inResultOrder(columns, result, options),
  };
}
