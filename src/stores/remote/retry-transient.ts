/** Retrying with doubling delays, for stores whose writes cross a network. */

/** How {@link retryTransient} retries. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** The first retry's delay in milliseconds; each next one doubles it. */
  delayMs: number;
  /** Whether a failure may pass if tried again; any other failure is thrown at once. */
  isTransient: (e: unknown) => boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` until it succeeds, retrying transient failures with doubling delays. */
export async function retryTransient<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= policy.retries || !policy.isTransient(e)) throw e;
      await sleep(policy.delayMs * 2 ** attempt);
    }
  }
}
