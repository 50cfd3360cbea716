/**
 * What the dashboard's open pages are told while runs are being logged: the server polls the
 * store's change marker (a `stat`, a PRAGMA, one tiny query) only while at least one page listens,
 * reads the runs list only when the marker changed, and tells the pages which runs changed and
 * which are running. Nobody listening, nothing is polled; nothing changing, nothing is read.
 *
 * A run is *running* while this server has seen its result count or update time change within
 * the last `runningMs`: seen by the server, not taken from the run's `updatedAt`, whose clock is
 * the writer's (another machine's, for PostgreSQL) and which a copied or imported run keeps from
 * long ago.
 */
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { RunSummary } from '../types.js';

/** What a page is sent: on connecting, and whenever something changed. */
export interface LiveEvent {
  /** Counts the changes this server has seen; a page re-reads what it shows when it grows. */
  version: number;
  /** Runs whose results or update time changed since the last event; all runs on connecting. */
  changed: string[];
  /** Runs that changed within the last `runningMs`. */
  running: string[];
}

/** Options of {@link LiveFeed}. */
export interface LiveFeedOptions {
  /** How often the marker is polled while a page listens. @default 500 */
  pollMs?: number;
  /** A run is running while it changed within this long. @default 10000 */
  runningMs?: number;
  /**
   * A changed run is told once more this long after its last change seen, so that a page that
   * read it within the dashboard's re-read interval reads it again. @default 1200
   */
  settleMs?: number;
}

type Listener = (event: LiveEvent) => void;

const stateOf = (r: RunSummary): string =>
  `${r.totalData}|${r.updatedAt ?? ''}|${r.createdAt ?? ''}`;

/** The change feed of one tracker, shared by every page of the server. */
export class LiveFeed {
  readonly #tracker: BaseExperimentTracker;
  readonly #pollMs: number;
  readonly #runningMs: number;
  readonly #settleMs: number;
  readonly #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #marker: string | null | undefined;
  /** Each run's state when last read; undefined until the first read. */
  #runs: Map<string, string> | undefined;
  /** When each run was last seen changing (server clock). */
  readonly #changedAt = new Map<string, number>();
  /** Runs to tell again once their last change has settled, and when. */
  readonly #settle = new Map<string, number>();
  #version = 0;
  #lastRunning: string[] = [];
  /** Counts stops: a read that began before the last stop keeps nothing of what it read. */
  #generation = 0;

  constructor(tracker: BaseExperimentTracker, options: LiveFeedOptions = {}) {
    this.#tracker = tracker;
    this.#pollMs = options.pollMs ?? 500;
    this.#runningMs = options.runningMs ?? 10_000;
    this.#settleMs = options.settleMs ?? 1200;
  }

  /** Pages listening now. */
  get listeners(): number {
    return this.#listeners.size;
  }

  /**
   * Calls `listener` with the runs as they are now (every run changed), then on every change,
   * until the returned function is called. The first listener starts the polling; the last one
   * leaving stops it.
   */
  async subscribe(listener: Listener): Promise<() => void> {
    if (this.#runs === undefined) await this.#read(false);
    this.#listeners.add(listener);
    listener({
      version: this.#version,
      changed: [...(this.#runs ?? new Map<string, string>()).keys()],
      running: this.#running(Date.now()),
    });
    this.#timer ??= setInterval(() => void this.#poll(), this.#pollMs);
    // A dashboard left open never keeps a closing process alive.
    this.#timer.unref();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Stops polling; the next listener starts again from what the store holds then. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
    this.#marker = undefined;
    this.#runs = undefined;
    this.#generation++;
  }

  async #poll(): Promise<void> {
    // A slow store (a remote database) never has two polls at once.
    if (this.#polling) return;
    this.#polling = true;
    try {
      await this.#read(true);
    } catch {
      // A store that cannot be read now (a database restarting) is asked again at the next poll.
    } finally {
      this.#polling = false;
    }
  }

  /** Reads the marker, and the runs when it changed; tells the listeners what changed. */
  async #read(tell: boolean): Promise<void> {
    const generation = this.#generation;
    const marker = await this.#tracker.changeMarker();
    const now = Date.now();
    const changed = new Set<string>();
    // Without a marker (a store of one's own), the runs list is the marker.
    if (marker === null || marker !== this.#marker || this.#runs === undefined) {
      const runs = new Map(
        (await this.#tracker.getExperimentHistory()).map((r) => [r.runId, stateOf(r)]),
      );
      if (generation !== this.#generation) return;
      if (this.#runs !== undefined) {
        for (const [runId, state] of runs) {
          if (this.#runs.get(runId) !== state) changed.add(runId);
        }
        for (const runId of this.#runs.keys()) if (!runs.has(runId)) changed.add(runId);
      }
      this.#marker = marker;
      this.#runs = runs;
    }
    for (const runId of changed) {
      this.#changedAt.set(runId, now);
      this.#settle.set(runId, now + this.#settleMs);
    }
    for (const [runId, due] of this.#settle) {
      if (due <= now && !changed.has(runId)) {
        changed.add(runId);
        this.#settle.delete(runId);
      }
    }
    const running = this.#running(now);
    // A run that stopped running is told as changed: pages read it once more, whole.
    for (const runId of this.#lastRunning) if (!running.includes(runId)) changed.add(runId);
    const runningMoved = running.join('\n') !== this.#lastRunning.join('\n');
    this.#lastRunning = running;
    if (!tell || (changed.size === 0 && !runningMoved)) return;
    if (changed.size > 0) this.#version++;
    const event: LiveEvent = { version: this.#version, changed: [...changed], running };
    for (const listener of this.#listeners) listener(event);
  }

  #running(now: number): string[] {
    const out: string[] = [];
    for (const [runId, at] of this.#changedAt) {
      if (now - at < this.#runningMs) out.push(runId);
      else this.#changedAt.delete(runId);
    }
    return out.sort();
  }
}
