import type { RunPatch } from './tracker/result-store.js';
import type { ResultRecord } from './types.js';

/**
 * Every error evaltrack throws is an {@link EvaltrackError} with a stable `code`, so callers can
 * branch on `err.code` instead of parsing messages. Messages start with `[evaltrack]` and name the
 * bad value; they never quote whole samples, which may be private.
 */
export class EvaltrackError extends Error {
  /** Stable, machine-readable code, `E_` + upper snake case. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[evaltrack] ${message}`, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** All codes, in one place. */
export type ErrorCode =
  | 'E_INVALID_ARGUMENT'
  | 'E_UNKNOWN_OPTION'
  | 'E_BATCH_LENGTH_MISMATCH'
  | 'E_NOT_SERIALIZABLE'
  | 'E_NON_FINITE_SCORE'
  | 'E_TRACKER_CLOSED'
  | 'E_SUMMARY_EVALUATOR_FAILED'
  | 'E_LOCK_TIMEOUT'
  | 'E_DRIVER_MISSING'
  | 'E_STORE_IO'
  | 'E_NOT_STORED'
  | 'E_NOT_COMPARABLE'
  | 'E_UNKNOWN_METRIC'
  | 'E_ABORTED';

/**
 * Bad input from the caller: thrown before anything is written, so a call that fails with it has
 * stored nothing.
 */
export class InvalidInputError extends EvaltrackError {
  /** Where in the input the problem is, e.g. `evaluationResults[3].generation.score`. */
  readonly path: string | undefined;

  constructor(
    code: Extract<
      ErrorCode,
      | 'E_INVALID_ARGUMENT'
      | 'E_UNKNOWN_OPTION'
      | 'E_BATCH_LENGTH_MISMATCH'
      | 'E_NOT_SERIALIZABLE'
      | 'E_NON_FINITE_SCORE'
    >,
    message: string,
    path?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.path = path;
  }
}

/**
 * A file of another tool (promptfoo, evalite) that is not in the shape evaltrack reads: another
 * kind of file, one cut short, or one of a version whose shape differs. Thrown before anything is
 * stored. `expected` says what was expected, `where` where in the file the problem is.
 */
export class PeerFormatError extends EvaltrackError {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly expected: string,
    message: string,
  ) {
    super('E_INVALID_ARGUMENT', `${file}: ${message}; expected ${expected}; nothing was imported`);
  }
}

/** A tracker was used after `close()`. */
export class TrackerClosedError extends EvaltrackError {
  constructor(what: string) {
    super('E_TRACKER_CLOSED', `${what}() called after close(); open a new tracker`);
  }
}

/** Another process held the store's lock for longer than the configured timeout. */
export class LockTimeoutError extends EvaltrackError {
  constructor(lockPath: string, timeoutMs: number, holder: string) {
    super(
      'E_LOCK_TIMEOUT',
      `could not take the lock ${lockPath} within ${timeoutMs} ms (held by ${holder}); ` +
        'if no evaltrack process is running, delete that file',
    );
  }
}

/** The store could not read or write its data. The original error is the `cause`. */
export class StoreIoError extends EvaltrackError {
  constructor(message: string, cause?: unknown) {
    super('E_STORE_IO', message, { cause });
  }
}

/**
 * A remote store could not store some results, even after retrying. They are not dropped: the
 * store keeps them, so the next `flush()` tries again and stores each of them once, and they are
 * here in `results` (as `ResultRecord`s, ready for `importResults` elsewhere), e.g. when `close()`
 * fails. The last error from the database is the `cause`.
 */
export class UnstoredResultsError extends EvaltrackError {
  /** The results not stored, in logging order. */
  readonly results: ResultRecord[];
  /** Run-level changes (`logContext`, summaries) not stored either. */
  readonly pendingRunChanges: number;
  /**
   * Those run-level changes themselves, in order: the `context` given to `logContext()` (merged
   * key by key), a `summary` of summary evaluators, and the run they belong to.
   */
  readonly runChanges: UnstoredRunChange[];

  constructor(
    message: string,
    results: ResultRecord[],
    pendingRunChanges: number,
    cause: unknown,
    runChanges: UnstoredRunChange[] = [],
  ) {
    super('E_NOT_STORED', message, { cause });
    this.results = results;
    this.pendingRunChanges = pendingRunChanges;
    this.runChanges = runChanges;
  }
}

/** A run-level change that was not stored: see {@link UnstoredResultsError.runChanges}. */
export interface UnstoredRunChange extends RunPatch {
  readonly runId: string;
}
