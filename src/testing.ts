/**
 * `evaltrack/testing`: the contract suite that every store passes, for users who write a store of
 * their own, and a gllm-evals shaped result to test with. Runner-agnostic: pass your runner's
 * `describe`, `it` and `expect`.
 */
export { describeTrackerContract, gllmResult } from './testing/describe-tracker-contract.js';
export type {
  ContractMatchers,
  ContractTarget,
  ContractTestApi,
} from './testing/describe-tracker-contract.js';
