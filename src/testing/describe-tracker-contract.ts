/**
 * The tracker contract as tests: one suite that every store must pass, asserting exact values.
 * It takes the test runner's `describe`, `it` and `expect` (vitest's, or jest's), so that a user
 * who writes a store of their own can run it without evaltrack depending on a runner:
 *
 * ```ts
 * import { describe, expect, it } from 'vitest';
 * import { describeTrackerContract } from 'evaltrack/testing';
 *
 * describeTrackerContract({ describe, it, expect }, 'my store', {
 *   newLocation: () => `db-${Math.random()}`,
 *   open: (location, projectName, options) => new MyTracker(projectName, location, options),
 * });
 * ```
 */
import { describeBadInput } from './contract/bad-input.js';
import { describeContext } from './contract/context.js';
import type { ContractTarget, ContractTestApi } from './contract/contract-target.js';
import { describeCopies } from './contract/copies.js';
import { contractKit } from './contract/fixtures.js';
import { describeHostileInput } from './contract/hostile-input.js';
import { describeInputNamesAndScores } from './contract/input-names-and-scores.js';
import { describeLeaderboard } from './contract/leaderboard.js';
import { describeMeasures } from './contract/measures.js';
import { describeLifecycle } from './contract/lifecycle.js';
import { describeResults } from './contract/results.js';
import { describeRunIds } from './contract/run-ids.js';
import { describeSampleHistory } from './contract/sample-history.js';
import { describeScoreColumn } from './contract/score-column.js';

export type {
  ContractMatchers,
  ContractTarget,
  ContractTestApi,
} from './contract/contract-target.js';
export { gllmResult } from './contract/fixtures.js';

/** Registers the contract suite, exact values and error paths, for one store. */
export function describeTrackerContract(
  api: ContractTestApi,
  name: string,
  target: ContractTarget,
): void {
  const kit = contractKit(api, name, target);
  describeRunIds(kit);
  describeLeaderboard(kit);
  describeScoreColumn(kit);
  describeResults(kit);
  describeContext(kit);
  describeCopies(kit);
  describeBadInput(kit);
  describeInputNamesAndScores(kit);
  describeHostileInput(kit);
  describeLifecycle(kit);
  describeMeasures(kit);
  describeSampleHistory(kit);
}
