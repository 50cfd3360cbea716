// The contract suite over every store evaltrack ships, from one registry: a new store is one entry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { JsonlExperimentTracker } from 'evaltrack/jsonl';
import { PostgresExperimentTracker } from 'evaltrack/postgres';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { describeTrackerContract } from 'evaltrack/testing';
import type { ContractTarget } from 'evaltrack/testing';
import { NO_POSTGRES, newSchema, postgresUrl } from '../helpers/postgres.js';

const root = mkdtempSync(join(tmpdir(), 'evaltrack-conformance-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const pgUrl = postgresUrl();

const STORES: Record<string, ContractTarget> = {
  csv: {
    newLocation: () => join(root, `csv-${++n}`),
    open: (outputDir, projectName, options) =>
      new CSVExperimentTracker(projectName, { ...options, outputDir }),
  },
  jsonl: {
    newLocation: () => join(root, `jsonl-${++n}`),
    open: (outputDir, projectName, options) =>
      new JsonlExperimentTracker(projectName, { ...options, outputDir }),
  },
  sqlite: {
    newLocation: () => join(root, `db-${++n}.sqlite`),
    open: (file, projectName, options) =>
      new SqliteExperimentTracker(projectName, { ...options, file }),
  },
  postgres: {
    // A schema per location: one server, isolated stores.
    newLocation: () => newSchema('conformance'),
    open: (schema, projectName, options) =>
      new PostgresExperimentTracker(projectName, {
        ...options,
        connectionString: pgUrl ?? '',
        schema,
      }),
  },
};

for (const [name, target] of Object.entries(STORES)) {
  if (name === 'postgres' && pgUrl === null) {
    describe.skip(`postgres: ${NO_POSTGRES}`, () => it('the contract', () => {}));
    continue;
  }
  // Every store also copies to and from CSV folders, the format of gllm-evals.
  describeTrackerContract({ describe, it, expect }, name, { ...target, csvFolder: STORES['csv'] });
}
