import { InvalidInputError } from '../../errors.js';
import {
  BaseExperimentTracker,
  TRACKER_OPTION_KEYS,
} from '../../tracker/base-experiment-tracker.js';
import type { StoreRules } from '../../tracker/result-store.js';
import type { TrackerOptions } from '../../tracker/base-experiment-tracker.js';
import { checkName, checkOptions } from '../../tracker/check-input.js';
import type { JournalWarning } from './journal-takeover.js';
import type { PendingFile } from './pending-journal.js';
import { checkSchemaName } from './postgres-limits.js';
import { PostgresStore } from './postgres-store.js';
import type { PushReport } from './postgres-store.js';

/** Options of {@link PostgresExperimentTracker}. */
export interface PostgresTrackerOptions extends TrackerOptions {
  /**
   * A `postgres://user:password@host:port/database` URL. When omitted, the `PG*` environment
   * variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`…) say where.
   */
  connectionString?: string;
  /**
   * The schema holding evaltrack's tables, created when missing; one database can hold several.
   * @default 'evaltrack'
   */
  schema?: string;
  /** Connections at most. @default 10 */
  poolSize?: number;
  /** Retries of a failed write, with doubling delays, before it is reported. @default 5 */
  retries?: number;
  /** The first retry's delay in milliseconds. @default 100 */
  retryDelayMs?: number;
  /**
   * A local folder for the journal that keeps what `log()` queued when the process ends first
   * (one subfolder per database and schema).
   * @default EVALTRACK_JOURNAL_DIR, else `$XDG_STATE_HOME/evaltrack/pending`, else
   * `~/.local/state/evaltrack/pending`
   */
  journalDir?: string;
  /** Where reports of damaged journal lines go. @default process.emitWarning */
  onWarning?: JournalWarning;
}

const POSTGRES_OPTION_KEYS = [
  ...TRACKER_OPTION_KEYS,
  'connectionString',
  'schema',
  'poolSize',
  'retries',
  'retryDelayMs',
  'journalDir',
  'onWarning',
] as const;

function checkCount(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `options.${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}`,
      `options.${name}`,
    );
  }
  return value;
}

/**
 * The tracker contract over a PostgreSQL database, for teams: CI runners, GPU boxes and laptops
 * log into one database and read one leaderboard.
 *
 * `log()` stays synchronous: it appends the result to a local journal (see `journalDir`) and
 * queues it, and a background write follows within 50 ms. What a process queued and could not
 * write before it ended (exit, uncaught exception, kill -9, a server that was down) is stored by
 * the next tracker of the database, once, at its first write or read, or by {@link pushPending}.
 * `logBatch()`, `alog()`, `flush()` and `close()` resolve once the results are committed. A write
 * that fails is retried with backoff; if it still fails, the results stay queued (the next
 * `flush()` stores each of them once) and the call rejects with `UnstoredResultsError`
 * (`code: 'E_NOT_STORED'`), whose `results` and `runChanges` list them.
 *
 * ```ts
 * import { PostgresExperimentTracker } from 'evaltrack/postgres';
 *
 * const tracker = new PostgresExperimentTracker('support-bot', {
 *   connectionString: process.env.EVALTRACK_PG_URL,
 * });
 * await tracker.logBatch(results, 'faq', samples);
 * console.log(await tracker.getExperimentHistory());
 * await tracker.close();
 * ```
 */
export class PostgresExperimentTracker extends BaseExperimentTracker {
  /** The schema holding the tables. */
  readonly schema: string;

  constructor(projectName: string, options?: PostgresTrackerOptions) {
    const opts = checkOptions(options, POSTGRES_OPTION_KEYS, 'options');
    const {
      connectionString,
      schema,
      poolSize,
      retries,
      retryDelayMs,
      journalDir,
      onWarning,
      ...trackerOptions
    } = opts;
    const schemaName = checkSchemaName(schema ?? 'evaltrack', 'options.schema');
    if (onWarning !== undefined && typeof onWarning !== 'function') {
      throw new InvalidInputError(
        'E_INVALID_ARGUMENT',
        'options.onWarning must be a function',
        'options.onWarning',
      );
    }
    // Made by the tracker for its rules; kept here too, for the journal's calls below.
    let made: PostgresStore | undefined;
    const store = (rules: StoreRules): PostgresStore =>
      (made = new PostgresStore({
        rules,
        connectionString:
          connectionString === undefined
            ? undefined
            : checkName(connectionString, 'options.connectionString'),
        schema: schemaName,
        poolSize: checkCount(poolSize, 'poolSize', 1),
        retries: checkCount(retries, 'retries', 0),
        retryDelayMs: checkCount(retryDelayMs, 'retryDelayMs', 0),
        journalDir:
          journalDir === undefined ? undefined : checkName(journalDir, 'options.journalDir'),
        onWarning,
      }));
    super(projectName, { ...trackerOptions, store });
    this.schema = schemaName;
    this.#store = made as PostgresStore;
  }

  readonly #store: PostgresStore;

  /** The local folder of this database's journal (inside `journalDir`). */
  get journalFolder(): string {
    return this.#store.journalFolder;
  }

  /**
   * What the journal folder of this database holds, file by file: this tracker's queue, other
   * running processes', and what ended processes left (stored by the next write, read or
   * {@link pushPending}). Only reads; `evaltrack pending` shows it.
   */
  pending(): PendingFile[] {
    return this.#store.pending();
  }

  /**
   * Stores what ended processes left in the journal folder (and what this tracker queued), and
   * says how much. `anyHost` also takes over files written under another host name: only when
   * their process is known to be gone. Rejects with `UnstoredResultsError` as `flush()` does.
   */
  async pushPending(options?: { anyHost?: boolean }): Promise<PushReport> {
    return this.#store.pushPending(options);
  }
}
