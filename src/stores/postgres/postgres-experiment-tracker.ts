import { InvalidInputError } from '../../errors.js';
import {
  BaseExperimentTracker,
  resolveTrackerOptions,
  TRACKER_OPTION_KEYS,
} from '../../tracker/base-experiment-tracker.js';
import type { TrackerOptions } from '../../tracker/base-experiment-tracker.js';
import { checkName, checkOptions } from '../../tracker/check-input.js';
import { checkSchemaName, PostgresStore } from './postgres-store.js';

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
}

const POSTGRES_OPTION_KEYS = [
  ...TRACKER_OPTION_KEYS,
  'connectionString',
  'schema',
  'poolSize',
  'retries',
  'retryDelayMs',
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
 * `log()` stays synchronous: it queues, and a background write follows within 50 ms.
 * `logBatch()`, `alog()`, `flush()` and `close()` resolve once the results are committed. A write
 * that fails is retried with backoff; if it still fails, the results stay queued (the next
 * `flush()` stores each of them once) and the call rejects with `UnstoredResultsError`
 * (`code: 'E_NOT_STORED'`), whose `results` lists them.
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
    const { connectionString, schema, poolSize, retries, retryDelayMs, ...trackerOptions } = opts;
    const schemaName = checkSchemaName(schema ?? 'evaltrack', 'options.schema');
    const config = resolveTrackerOptions(trackerOptions, 'options');
    super(projectName, {
      ...trackerOptions,
      store: new PostgresStore({
        connectionString:
          connectionString === undefined
            ? undefined
            : checkName(connectionString, 'options.connectionString'),
        schema: schemaName,
        leaderboardScoreKey: config.leaderboardScoreKey,
        poolSize: checkCount(poolSize, 'poolSize', 1),
        retries: checkCount(retries, 'retries', 0),
        retryDelayMs: checkCount(retryDelayMs, 'retryDelayMs', 0),
      }),
    });
    this.schema = schemaName;
  }
}
