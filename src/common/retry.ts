/**
 * Retries with doubling delays and time limits, written once for `evaluate()` (evaluators and
 * LLM calls) and for stores whose writes cross a network. Every wait is a ref'd timer: a pending
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

/** What {@link withTimeout} hands its call: the attempt's signal, made when first read. */
export interface Attempt {
  readonly signal: AbortSignal;
}

/**
 * `call(attempt)` with a time limit: rejects with `timeoutError()` after `ms` (aborting the
 * attempt's signal, for clients that take one), or with `stop`'s reason when it aborts first.
 * The signal is made only when the call reads it: most calls finish long before their limit, and
 * one `AbortController` per call was a measured share of `evaluate()`'s own cost.
 */
export function withTimeout<T>(
  call: (attempt: Attempt) => T | Promise<T>,
  ms: number,
  timeoutError: () => Error,
  stop: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (stop.aborted) return reject(stop.reason as Error);
    let controller: AbortController | undefined;
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      return true;
    };
    const onStop = (): void => {
      if (!settle()) return;
      controller?.abort(stop.reason);
      reject(stop.reason as Error);
    };
    const timer = setTimeout(() => {
      if (!settle()) return;
      const error = timeoutError();
      controller?.abort(error);
      reject(error);
    }, ms);
    stop.addEventListener('abort', onStop, { once: true });
    const attempt: Attempt = {
      get signal() {
        controller ??= new AbortController();
        return controller.signal;
      },
    };
    let got: T | Promise<T>;
    try {
      got = call(attempt);
    } catch (error) {
      // What the call threw is passed on as it is (the caller words it), Error or not.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (settle()) reject(error);
      return;
    }
    // A value returned at once settles at once; a promise when it settles, if still in time.
    Promise.resolve(got).then(
      (value) => {
        if (settle()) resolve(value);
      },
      (error: unknown) => {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        if (settle()) reject(error);
      },
    );
  });
}
