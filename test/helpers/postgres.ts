import pg from 'pg';
import { inject } from 'vitest';

/**
 * The URL of the tests' PostgreSQL server (test/global-setup.ts), or null when none is installed.
 * In CI a missing server is an error: the PostgreSQL tests must run there, not skip.
 */
export function postgresUrl(): string | null {
  const url = inject('postgresUrl');
  if (url === null && process.env['CI']) {
    throw new Error('CI must test the PostgreSQL store: install postgresql (see .ci/run)');
  }
  return url;
}

/** Why PostgreSQL tests are skipped, for describe.skipIf titles. */
export const NO_POSTGRES = 'no PostgreSQL server installed here (apt-get install postgresql)';

let n = 0;
/** A new schema name, unique in this test run. */
export const newSchema = (prefix: string): string => `${prefix}_${process.pid}_${++n}`;

/** `url` with `?schema=`, as `--store` takes it. */
export function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** Runs SQL on a server (outside evaltrack), then disconnects. */
export async function sql<R extends pg.QueryResultRow>(
  connection: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client(connection);
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}
