/** A throwaway PostgreSQL server (see postgres-server.mjs). */
export interface PostgresServer {
  /** A connection string for the `postgres` database as the `evaltrack` superuser. */
  url: string;
  port: number;
  /** Stops it: `immediate` is a crash (no checkpoint), as when a server dies. */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Starts it again on the same port, after {@link PostgresServer.stop}. */
  start(): void;
  /** Stops it and deletes its data. */
  destroy(): void;
}

/** The folder of the newest installed server's binaries, or null when there is none. */
export function postgresBinDir(): string | null;

/** Starts a new server; throws when no server binaries are installed. */
export function startPostgres(): Promise<PostgresServer>;
