/**
 * Starts one throwaway PostgreSQL server for the whole test run, unless EVALTRACK_TEST_PG_URL
 * names one, and hands its URL to the tests (`inject('postgresUrl')`). With no server installed
 * the URL is null: the PostgreSQL tests then skip, saying why, except in CI, where they fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { postgresBinDir, startPostgres } from '../scripts/postgres-server.mjs';
import type { PostgresServer } from '../scripts/postgres-server.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

let server: PostgresServer | undefined;
let journals: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  // PostgreSQL trackers journal what they queue; the tests' journals go to a throwaway folder, not
  // the user's state folder (the workers inherit this environment).
  journals = mkdtempSync(join(tmpdir(), 'evaltrack-journals-'));
  process.env['EVALTRACK_JOURNAL_DIR'] ??= journals;
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
  if (journals) rmSync(journals, { recursive: true, force: true });
}
