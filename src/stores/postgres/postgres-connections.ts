/**
 * The connection pool of one PostgreSQL store, and the ways the store uses a connection: a
 * query, a connection of its own, a transaction. Every one waits for the schema's migrations,
 * run on the first connection (again if that failed). Errors of the driver become
 * `StoreIoError`s with the driver's error as cause, so the write queue can still classify them.
 */
import type Pg from 'pg';
import { EvaltrackError, StoreIoError } from '../../errors.js';
import { loadPg } from './load-driver.js';
import { migrate } from './postgres-migrations.js';

/** Where and how to connect. */
export interface ConnectionOptions {
  connectionString?: string | undefined;
  /** The schema, already checked: it goes into the connection's search_path. */
  schema: string;
  poolSize?: number | undefined;
}

const ignoreError = (): void => {};

/** A pool of connections to one schema, migrated before first use. */
export class PostgresConnections {
  readonly #pool: Pg.Pool;
  readonly #schema: string;
  #ready: Promise<void> | null = null;

  constructor(options: ConnectionOptions) {
    const pg = loadPg();
    this.#schema = options.schema;
    // JSON comes back as text and is parsed by the shared row mapping, as in SQLite; counts as
    // numbers (they stay far below 2^53).
    const json: number = pg.types.builtins.JSON;
    const int8: number = pg.types.builtins.INT8;
    const types: Pg.CustomTypesConfig = {
      getTypeParser: ((oid: number) => {
        if (oid === json) return (text: string) => text;
        if (oid === int8) return Number;
        // pg-types declares its parsers as returning `any`.
        return pg.types.getTypeParser(oid, 'text') as unknown;
      }) as Pg.CustomTypesConfig['getTypeParser'],
    };
    this.#pool = new pg.Pool({
      ...(options.connectionString !== undefined
        ? { connectionString: options.connectionString }
        : {}),
      max: options.poolSize ?? 10,
      // Idle connections do not keep a finished script alive.
      allowExitOnIdle: true,
      // Floats in full precision (the default since PostgreSQL 12): sums are read and rewritten.
      options: `-c search_path=${options.schema} -c extra_float_digits=3`,
      types,
    });
    // A broken idle connection is dropped by the pool; the next query gets a new one.
    this.#pool.on('error', () => {});
    // Started now; a failure is reported by the first operation that waits for it.
    this.ready().catch(() => {});
  }

  /** Resolves once the schema is migrated; a failure is retried by the next call. */
  ready(): Promise<void> {
    this.#ready ??= this.withClient((client) => migrate(client, this.#schema)).catch((e) => {
      this.#ready = null;
      throw e instanceof EvaltrackError
        ? e
        : new StoreIoError(`PostgreSQL, schema ${this.#schema}: ${(e as Error).message}`, e);
    });
    return this.#ready;
  }

  /** A pooled connection whose connection errors are left to the query that meets them. */
  async connect(): Promise<Pg.PoolClient> {
    const client = await this.#pool.connect();
    // A connection lost mid-query also emits 'error'; the query's rejection reports it.
    client.on('error', ignoreError);
    return client;
  }

  /** Gives a connection back; one that failed mid-way is closed, not reused. */
  release(client: Pg.PoolClient, failure: unknown): void {
    client.off('error', ignoreError);
    client.release(failure === undefined ? undefined : failure instanceof Error ? failure : true);
  }

  /** Runs `fn` with a connection of its own, given back afterwards. */
  async withClient<T>(fn: (client: Pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let failed: unknown;
    try {
      return await fn(client);
    } catch (e) {
      failed = e;
      throw e;
    } finally {
      this.release(client, failed);
    }
  }

  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  async transaction(fn: (client: Pg.PoolClient) => Promise<void>): Promise<void> {
    await this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await fn(client);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      }
    });
  }

  /** One query on any pooled connection, once the schema is ready. */
  async query<R extends Pg.QueryResultRow>(
    query: string | Pg.QueryConfig,
  ): Promise<Pg.QueryResult<R>> {
    await this.ready();
    try {
      return await this.#pool.query<R>(query);
    } catch (e) {
      throw toStoreError(e);
    }
  }

  /** Closes every connection. */
  end(): Promise<void> {
    return this.#pool.end();
  }
}

/** A driver error as a `StoreIoError` (whose cause keeps it); our own errors pass as they are. */
export const toStoreError = (e: unknown): EvaltrackError =>
  e instanceof EvaltrackError ? e : new StoreIoError(`PostgreSQL: ${(e as Error).message}`, e);
