/**
 * Starts one throwaway PostgreSQL server for the whole test run, unless EVALTRACK_TEST_PG_URL
 * names one, and hands its URL to the tests (`inject('postgresUrl')`). With no server installed
 * the URL is null: the PostgreSQL tests then skip, saying why, except in CI, where they fail.
 */
import type { TestProject } from 'vitest/node';
import { postgresBinDir, startPostgres } from '../scripts/postgres-server.mjs';
import type { PostgresServer } from '../scripts/postgres-server.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const given = process.env['EVALTRACK_TEST_PG_URL'];
  if (given) {
    project.provide('postgresUrl', given);
    return;
  }
  if (postgresBinDir() === null) {
    project.provide('postgresUrl', null);
    return;
  }
  server = await startPostgres();
  project.provide('postgresUrl', server.url);
}

export function teardown(): void {
  server?.destroy();
}
