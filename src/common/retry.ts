/**
 * Retries with doubling delays, written once for `evaluate()` (tasks and evaluators) and for
 * stores whose writes cross a network. Every wait is a ref'd timer: a pending
 * retry must keep `node script.mjs` alive, or the process would exit in silence. An abort ends a
 * wait at once, so nothing lingers after a run is stopped.
 */

/** How {@link retry} retries. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** The first retry's delay in milliseconds; each next one doubles it. */
  delayMs: number;
  /** Whether a failure may pass if tried again; any other failure is thrown at once. */
  shouldRetry: (error: unknown) => boolean;
  /** Stops retrying: the wait ends and the signal's reason is thrown. */
  signal?: AbortSignal;
}

/** Waits `ms`, or less when `signal` aborts (then it resolves; the caller checks the signal). */
export function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs `fn` until it succeeds, retrying the failures `shouldRetry` allows, with doubling delays. */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    policy.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (policy.signal?.aborted || attempt >= policy.retries || !policy.shouldRetry(error)) {
        throw error;
      }
      await wait(policy.delayMs * 2 ** attempt, policy.signal);
    }
  }
}
