/** Retrying with doubling delays, for stores whose writes cross a network. */
import { retry } from '../../common/retry.js';

/** How {@link retryTransient} retries. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** The first retry's delay in milliseconds; each next one doubles it. */
  delayMs: number;
  /** Whether a failure may pass if tried again; any other failure is thrown at once. */
  isTransient: (e: unknown) => boolean;
}

/** Runs `fn` until it succeeds, retrying transient failures with doubling delays. */
export function retryTransient<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  return retry(fn, {
    retries: policy.retries,
    delayMs: policy.delayMs,
    shouldRetry: policy.isTransient,
  });
}
