import type {
  BaseExperimentTracker,
  TrackerOptions,
} from '../../tracker/base-experiment-tracker.js';

/** The matchers the suite uses; vitest's and jest's `expect` have them. */
export interface ContractMatchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatch(expected: RegExp): void;
  toMatchObject(expected: object): void;
  toBeInstanceOf(expected: unknown): void;
  toHaveLength(expected: number): void;
  not: ContractMatchers;
}

/** The test runner's functions. */
export interface ContractTestApi {
  describe: (name: string, body: () => void) => void;
  it: (name: string, body: () => Promise<void> | void) => void;
  expect: (actual: unknown) => ContractMatchers;
}

/** How the suite opens trackers over your store. */
export interface ContractTarget {
  /** A new, empty place for the store to keep results (a folder, a database file, a schema). */
  newLocation(): string;
  /** A tracker over `location`; trackers opened on one location share their results. */
  open(location: string, projectName: string, options?: TrackerOptions): BaseExperimentTracker;
  /**
   * How to open CSV folders, for the cases that copy between your store and a CSV folder (the
   * format of gllm-evals); without it those cases are skipped, saying why.
   */
  csvFolder?: ContractTarget;
}
