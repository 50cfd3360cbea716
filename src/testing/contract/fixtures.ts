import { EvaltrackError, InvalidInputError } from '../../errors.js';
import type {
  BaseExperimentTracker,
  TrackerOptions,
} from '../../tracker/base-experiment-tracker.js';
import type { ContractTarget, ContractTestApi } from './contract-target.js';

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * A gllm-evals shaped evaluator output for tests: three metrics (redundancy lower-is-better),
 * `aggregate_success` when all pass, and the polarity-aware `aggregate_score`.
 */
export function gllmResult(completeness: number, groundedness: number, redundancy: number) {
  const c = completeness >= 1;
  const g = groundedness >= 1;
  const r = redundancy <= 0.5;
  return {
    generation: {
      aggregate_explanation: c && g && r ? 'All metrics met the expected values.' : 'Some failed.',
      aggregate_success: c && g && r,
      aggregate_score: (completeness + groundedness + (1 - redundancy)) / 3,
      completeness: {
        score: completeness,
        explanation: 'c',
        success: c,
        threshold: 1,
        higher_is_better: true,
      },
      groundedness: {
        score: groundedness,
        explanation: 'g',
        success: g,
        threshold: 1,
        higher_is_better: true,
      },
      redundancy: {
        score: redundancy,
        explanation: 'r',
        success: r,
        threshold: 0.5,
        higher_is_better: false,
      },
    },
  };
}

/** The data of sample `i`, with the id `s<i>`. */
export const sample = (i: number) => ({
  id: `s${i}`,
  input: `question ${i}`,
  actual_output: `answer ${i}`,
  expected_output: `expected ${i}`,
});

/** What every module of the suite works with: the runner, the store under test, and helpers. */
export interface ContractKit {
  api: ContractTestApi;
  /** The store's name, first in every describe title. */
  name: string;
  target: ContractTarget;
  /** A tracker of project `proj` over a new location. */
  fresh: (options?: TrackerOptions) => BaseExperimentTracker;
  /** Expects `promise` (or the call) to fail with an {@link EvaltrackError} of `code`. */
  expectError: (
    promise: Promise<unknown> | (() => unknown),
    code: string,
  ) => Promise<EvaltrackError>;
  /** Expects `call` to be refused with `code` at `path`, as an {@link InvalidInputError}. */
  expectRefused: (call: () => unknown, code: string, path: string) => Promise<InvalidInputError>;
  /**
   * Registers a case that needs what the target may not give: as a test when `needs` is given,
   * else as a skipped test that says `reason` (or not at all, when the runner has no `it.skip`).
   */
  itWith: <T>(
    needs: T | undefined,
    title: string,
    reason: string,
    body: (given: T) => Promise<void>,
  ) => void;
}

/** Builds the {@link ContractKit} for one store. */
export function contractKit(
  api: ContractTestApi,
  name: string,
  target: ContractTarget,
): ContractKit {
  const { it, expect } = api;

  async function expectError(
    promise: Promise<unknown> | (() => unknown),
    code: string,
  ): Promise<EvaltrackError> {
    let error: unknown;
    try {
      await (typeof promise === 'function' ? promise() : promise);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EvaltrackError);
    expect((error as EvaltrackError).code).toBe(code);
    return error as EvaltrackError;
  }

  async function expectRefused(
    call: () => unknown,
    code: string,
    path: string,
  ): Promise<InvalidInputError> {
    const error = await expectError(call, code);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).path).toBe(path);
    expect(error.message).toMatch(/^\[evaltrack\] /);
    return error as InvalidInputError;
  }

  function itWith<T>(
    needs: T | undefined,
    title: string,
    reason: string,
    body: (given: T) => Promise<void>,
  ): void {
    if (needs !== undefined) {
      it(title, () => body(needs));
      return;
    }
    // vitest's and jest's `it` have `skip`; the suite's own API does not require it.
    const skip = (it as { skip?: ContractTestApi['it'] }).skip;
    skip?.(`${title} (skipped: ${reason})`, () => {});
  }

  const fresh = (options?: TrackerOptions) => target.open(target.newLocation(), 'proj', options);

  return { api, name, target, fresh, expectError, expectRefused, itWith };
}
