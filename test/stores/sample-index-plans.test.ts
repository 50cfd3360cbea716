// The reads of a sample's history and of flaky samples go through the indexes by sample and by
// run (`results_by_sample`, `results_by_run`): PostgreSQL's own EXPLAIN of the store's statements,
// on a table large enough (12,000 results) that a scan of the table would be its choice otherwise.
import { describe, expect, it } from 'vitest';
import { PostgresExperimentTracker } from 'evaltrack/postgres';
import {
  READ_SAMPLE,
  READ_SAMPLE_ROWS,
  readOutcomesSql,
} from '../../dist/stores/postgres/postgres-sql.js';
import { NO_POSTGRES, newSchema, postgresUrl, sql } from '../helpers/postgres.js';

const url = postgresUrl();

describe.skipIf(url === null)(
  `postgres reads by sample${url === null ? `: ${NO_POSTGRES}` : ''}`,
  () => {
    it('reads a sample through results_by_sample and runs through results_by_run', async () => {
      const schema = newSchema('plans');
      const t = new PostgresExperimentTracker('p', { connectionString: url as string, schema });
      const text = 'x'.repeat(500);
      for (let run = 0; run < 60; run++) {
        await t.logBatch(
          Array.from({ length: 200 }, (_, i) => ({
            judge: { aggregate_success: (i + run) % 3 > 0 },
          })),
          'd',
          Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, input: text })),
          { runId: `run-${run}` },
        );
      }
      await t.close();
      // The store's schema first on the search path, as the store's own connections have it.
      const inSchema = `${url as string}?options=-c%20search_path%3D${schema}`;
      const explain = async (statement: string, values: unknown[]) => {
        const rows = await sql<{ 'QUERY PLAN': string }>(inSchema, `EXPLAIN ${statement}`, values);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      };
      await sql(inSchema, 'ANALYZE results');
      expect(await explain(READ_SAMPLE.text, ['s7', null, null])).toContain('results_by_sample');
      expect(await explain(READ_SAMPLE.text, ['s7', 'd', ['run-1', 'run-2']])).toContain(
        'results_by_sample',
      );
      expect(await explain(READ_SAMPLE_ROWS.text, ['s7', null])).toContain('results_by_sample');
      expect(
        await explain(readOutcomesSql(2).text, [
          ['run-1', 'run-2', 'run-3'],
          'judge.aggregate_success',
          'judge.success',
        ]),
      ).toContain('results_by_run');
      // The same history through the store: 60 runs hold s7.
      const reader = new PostgresExperimentTracker('p', {
        connectionString: url as string,
        schema,
      });
      expect((await reader.getSampleHistory('s7', { last: 3 })).runCount).toBe(60);
      await reader.close();
    });
  },
);
