/**
 * Time limits for many calls that share one length (`evaluate()`'s task and evaluator calls),
 * kept with one timer instead of one per call. Calls start in order and share the length, so
 * their deadlines are in order too: a queue whose head expires first. A timer and an abort
 * listener per call were a measured share of `evaluate()`'s own cost per sample.
 */

/** What a call gets: the attempt's signal, made only when the call reads it. */
export interface Attempt {
  readonly signal: AbortSignal;
}

/** A call that took longer than its limit. */
export class CallTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} took longer than ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

interface Waiting {
  readonly deadline: number;
  readonly what: string;
  readonly reject: (error: Error) => void;
  controller: AbortController | undefined;
  settled: boolean;
}

/**
 * Runs calls with a time limit of `ms` each. The one timer is ref'd while a call is waiting (a
 * pending call must keep `node script.mjs` alive) and cleared when none is. When `stop` aborts,
 * every waiting call is rejected with its reason at once, so nothing lingers after a run ends.
 */
export class TimeLimits {
  readonly #ms: number;
  readonly #stop: AbortSignal;
  #queue: Waiting[] = [];
  #head = 0;
  #waiting = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, stop: AbortSignal) {
    this.#ms = ms;
    this.#stop = stop;
    stop.addEventListener('abort', () => this.#stopAll(), { once: true });
  }

  /**
   * `call(attempt)`, settled as it settles if in time; else rejected with a
   * {@link CallTimeoutError} naming `what` (and the attempt's signal aborted, for clients that
   * take one), or with `stop`'s reason when it aborts first. What the call throws passes as is.
   */
  run<T>(call: (attempt: Attempt) => T | Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#stop.aborted) return reject(this.#stop.reason as Error);
      const w: Waiting = {
        deadline: performance.now() + this.#ms,
        what,
        reject,
        controller: undefined,
        settled: false,
      };
      this.#queue.push(w);
      this.#waiting++;
      this.#timer ??= setTimeout(() => this.#expire(), this.#ms);
      const attempt: Attempt = {
        get signal() {
          w.controller ??= new AbortController();
          return w.controller.signal;
        },
      };
      let got: T | Promise<T>;
      try {
        got = call(attempt);
      } catch (error) {
        // What the call threw is passed on as it is (the caller words it), Error or not.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        if (this.#settle(w)) reject(error);
        return;
      }
      // A value returned at once settles at once; a promise when it settles, if still in time.
      Promise.resolve(got).then(
        (value) => {
          if (this.#settle(w)) resolve(value);
        },
        (error: unknown) => {
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          if (this.#settle(w)) reject(error);
        },
      );
    });
  }

  /** Marks `w` settled; false if it already was (timed out, or stopped). */
  #settle(w: Waiting): boolean {
    if (w.settled) return false;
    w.settled = true;
    if (--this.#waiting === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#queue = [];
      this.#head = 0;
    } else {
      this.#dropSettledHead();
    }
    return true;
  }

  #dropSettledHead(): void {
    while (this.#queue[this.#head]?.settled) this.#head++;
    // Compacted now and then, so that a queue that is never empty (or whose head hangs while
    // thousands of calls settle behind it) does not grow without end: O(1) per call, amortised.
    if (this.#queue.length - this.#head > 2 * this.#waiting + 1024) {
      this.#queue = this.#queue.filter((w, i) => i >= this.#head && !w.settled);
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Calls held in the queue, settled ones not yet dropped included (for tests). */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** The timer fired: every call past its deadline fails; the timer is set for the next one. */
  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (let w = this.#queue[this.#head]; w !== undefined; w = this.#queue[this.#head]) {
      if (!w.settled && w.deadline > now) break;
      this.#head++;
      if (w.settled) continue;
      w.settled = true;
      this.#waiting--;
      const error = new CallTimeoutError(w.what, this.#ms);
      w.controller?.abort(error);
      w.reject(error);
    }
    this.#dropSettledHead();
    const next = this.#queue[this.#head];
    if (next === undefined) {
      this.#queue = [];
      this.#head = 0;
    } else {
      this.#timer = setTimeout(() => this.#expire(), Math.max(1, Math.ceil(next.deadline - now)));
    }
  }

  #stopAll(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const reason = this.#stop.reason as Error;
    const waiting = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    this.#waiting = 0;
    for (const w of waiting) {
      if (w.settled) continue;
      w.settled = true;
      w.controller?.abort(reason);
      w.reject(reason);
    }
  }
}
