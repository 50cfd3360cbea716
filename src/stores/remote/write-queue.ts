/**
 * The write queue of a store whose writes cross a network, so that `log()` can stay synchronous:
 * an op is journaled locally, queued, and written in the background soon after (at once when much
 * is queued); `sync()` writes what is left and reports what could not be stored. Ops are written
 * in order, one store transaction per chunk, and leave the queue only once committed. A transient
 * failure is retried with backoff, then leaves the rest queued; an op the store refuses for good
 * would block every later write if it stayed, so it is set aside and handed back once by the
 * next `sync()`. The queue knows nothing of the store: the store says how to write, how to chunk,
 * and which failures are transient.
 */
import { retryTransient } from './retry-transient.js';
import type { RetryPolicy } from './retry-transient.js';

/** Where queued ops are kept so that they survive the process (the store's local journal). */
export interface QueueJournal<Op> {
  /** Keeps `op` before it is queued; throws, and nothing is queued, if it cannot. */
  write(op: Op): void;
  /** Keeps an op the store refused for good where a user can find it. */
  setAsideRefused(op: Op, cause: unknown): void;
  /** Everything queued is committed or set aside. */
  settled(): void;
}

/** An op taken out of the queue because the store refused it for good, and why. */
export interface RefusedOp<Op> {
  op: Op;
  cause: unknown;
}

/** What a {@link WriteQueue} needs from its store. */
export interface WriteQueueOptions<Op> {
  journal: QueueJournal<Op>;
  /** Retries of a failed write (and of `ready`), and which failures are worth one. */
  retry: RetryPolicy;
  /** Results an op holds: a large queue starts a write at once. */
  size: (op: Op) => number;
  /** How many ops at the head of the queue one transaction writes (at least 1). */
  chunk: (queued: readonly Op[]) => number;
  /** Waits until the store can take writes (a connection, a migrated schema). */
  ready: () => Promise<void>;
  /** Writes `ops` in one transaction: all of them or none. */
  write: (ops: readonly Op[]) => Promise<void>;
  /**
   * Ops that ended processes left in the journal, written before ours (they were logged first);
   * called before the first write after {@link WriteQueue.activate}, and at each `sync()` after.
   */
  adopt: () => readonly Op[];
  /** The error for what is not stored: `refused` (handed back once) and `queued` (kept). */
  unstored: (refused: readonly RefusedOp<Op>[], queued: readonly Op[], cause: unknown) => Error;
}

/** Queued results that start a write at once, and the delay before a smaller queue is written. */
const EAGER_SIZE = 1000;
const EAGER_DELAY_MS = 50;

/** An ordered queue of ops written in the background; see the module comment. */
export class WriteQueue<Op> {
  readonly #options: WriteQueueOptions<Op>;
  /** Ops not yet stored, in order; an op leaves only once its transaction committed. */
  readonly #queue: Op[] = [];
  #queuedSize = 0;
  /** Ops the store refused for good, out of the queue until a sync() hands them back. */
  readonly #refused: RefusedOp<Op>[] = [];
  #writing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Set by the first write or read: from then on, each sync adopts journals of ended processes. */
  #active = false;
  #adoptDue = false;

  constructor(options: WriteQueueOptions<Op>) {
    this.#options = options;
  }

  /** Ops still queued (not committed, not set aside). */
  get length(): number {
    return this.#queue.length;
  }

  /** Journals `op` (so it survives this process) and queues it; throws, queuing nothing, if the journal cannot be written. */
  push(op: Op): void {
    this.#options.journal.write(op);
    this.activate();
    this.#queue.push(op);
    this.#queuedSize += this.#options.size(op);
    this.#writeSoon();
  }

  /** Marks the store as in use: the next write adopts what ended processes left. */
  activate(): void {
    if (this.#active) return;
    this.#active = true;
    this.#adoptDue = true;
  }

  /** Writes everything queued; rejects with the `unstored` error if some of it was not stored. */
  async sync(): Promise<void> {
    this.#clearTimer();
    // A write already under way (from the background) finishes first; its failure is not ours
    // to report: what it could not store is still queued, and is tried again here.
    while (this.#writing) await this.#writing.catch(() => {});
    // Journals of processes that ended since: a flush, a read or a close stores them too.
    if (this.#active) this.#adoptDue = true;
    if (this.#queue.length > 0 || this.#adoptDue) await this.#drain();
    if (this.#refused.length > 0) throw this.#unstored(null);
  }

  /** Stops background writes and waits for the one under way; what is queued stays queued. */
  async close(): Promise<void> {
    this.#clearTimer();
    await this.#writing?.catch(() => {});
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Starts a write in the background: at once for a large queue, after a moment otherwise. */
  #writeSoon(): void {
    const eager = this.#queuedSize >= EAGER_SIZE;
    if (this.#timer && !eager) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        // What fails stays queued (or refused), and the next sync() reports it.
        this.#drain().catch(() => {});
      },
      eager ? 0 : EAGER_DELAY_MS,
    );
  }

  /**
   * Writes the queue; joins the write under way instead of starting a second one. Rejects with
   * the `unstored` error.
   */
  #drain(): Promise<void> {
    if (this.#writing) return this.#writing;
    if (this.#queue.length === 0 && !this.#adoptDue) return Promise.resolve();
    const writing = this.#writeQueue().finally(() => {
      if (this.#writing === writing) this.#writing = null;
    });
    this.#writing = writing;
    return writing;
  }

  /**
   * Writes the queue in order, one transaction per chunk, each retried. A transient failure
   * leaves the rest queued and rejects. An op refused for good leaves the queue for `#refused`;
   * a chunk of several ops is first retried op by op, to find which.
   */
  async #writeQueue(): Promise<void> {
    const { retry, journal } = this.#options;
    if (this.#adoptDue) {
      // Here, where no write is under way, so adopted ops go before ours.
      this.#adoptDue = false;
      const adopted = this.#options.adopt();
      if (adopted.length > 0) {
        this.#queue.unshift(...adopted);
        for (const op of adopted) this.#queuedSize += this.#options.size(op);
      }
      if (this.#queue.length === 0) {
        // Only empty files were adopted (their process died after its commit): remove them.
        journal.settled();
        return;
      }
    }
    try {
      await retryTransient(() => this.#options.ready(), retry);
    } catch (cause) {
      throw this.#unstored(cause);
    }
    let alone = 0;
    while (this.#queue.length > 0) {
      const take =
        alone > 0
          ? this.#queue.slice(0, 1)
          : this.#queue.slice(0, Math.max(1, this.#options.chunk(this.#queue)));
      try {
        await retryTransient(() => this.#options.write(take), retry);
      } catch (cause) {
        if (retry.isTransient(cause)) throw this.#unstored(cause);
        if (take.length > 1) {
          alone = take.length;
          continue;
        }
        this.#refused.push({ op: take[0] as Op, cause });
        journal.setAsideRefused(take[0] as Op, cause);
      }
      if (alone > 0) alone--;
      this.#queue.splice(0, take.length);
      for (const op of take) this.#queuedSize -= this.#options.size(op);
    }
    // Everything is committed or set aside; synchronously, so no push() can slip in between.
    journal.settled();
  }

  #unstored(cause: unknown): Error {
    return this.#options.unstored(this.#refused.splice(0), this.#queue, cause);
  }
}
