import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { copyResults, UnstoredResultsError } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { PostgresExperimentTracker } from 'evaltrack/postgres';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { gllmResult } from 'evaltrack/testing';
import { NO_POSTGRES, newSchema, postgresUrl, sql, withSchema } from '../helpers/postgres.js';
import { startPostgres } from '../../scripts/postgres-server.mjs';
import { tempDir } from '../helpers/temp-dir.js';

const url = postgresUrl();
const ROOT = new URL('../..', import.meta.url).pathname;
const sample = (i: number) => ({ id: `s${i}`, input: `question ${i}` });

// The journals of these tests' trackers (refused batches set aside, say) stay out of the home folder.
const journal = tempDir('evaltrack-journal-');
// Child processes (the writers) inherit it.
process.env['EVALTRACK_JOURNAL_DIR'] = journal.path;
afterAll(() => journal[Symbol.dispose]());

describe.skipIf(url === null)(`postgres store${url === null ? `: ${NO_POSTGRES}` : ''}`, () => {
  const server = url ?? '';
  const open = (schema: string, options = {}) =>
    new PostgresExperimentTracker('p', {
      connectionString: server,
      schema,
      journalDir: journal.path,
      ...options,
    });

  it('migrates a new schema once when 4 processes open it at once', async () => {
    const schema = newSchema('migrate');
    const script = `const { openTracker } = await import('evaltrack');
      const t = await openTracker('evaltrack', { store: ${JSON.stringify(withSchema(server, schema))} });
      console.log((await t.getExperimentHistory()).length);
      await t.close();`;
    const outputs = await Promise.all(
      [1, 2, 3, 4].map(() =>
        promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]),
      ),
    );
    expect(outputs.map((o) => o.stdout)).toEqual(['0\n', '0\n', '0\n', '0\n']);
    expect(
      await sql(server, `SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`),
    ).toEqual([
      { version: 1, name: 'runs with their aggregates, results in logging order' },
      { version: 2, name: 'run changes applied once by id' },
      {
        version: 3,
        name: 'latency, tokens and cost of each result, and their aggregates per run',
      },
    ]);
    expect(
      await sql(
        server,
        `SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname`,
        [schema],
      ),
    ).toEqual(
      [
        'results_by_run',
        'results_by_sample',
        'results_pkey',
        'results_result_id_key',
        'run_changes_pkey',
        'runs_by_update',
        'runs_pkey',
        'schema_migrations_pkey',
      ].map((indexname) => ({ indexname })),
    );
  });

  it('refuses a schema written by a newer evaltrack instead of guessing', async () => {
    const schema = newSchema('future');
    await sql(
      server,
      `CREATE SCHEMA ${schema};
       CREATE TABLE ${schema}.schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
       INSERT INTO ${schema}.schema_migrations (version, name) VALUES (99, 'from the future')`,
    );
    const t = open(schema);
    await expect(t.getExperimentHistory()).rejects.toMatchObject({
      code: 'E_STORE_IO',
      message: expect.stringMatching(/version 99, newer than this evaltrack knows \(3\)/),
    });
    await t.close();
  });

  it('gathers the CSV folders and SQLite files of several machines, and nothing doubles', async () => {
    using dir = tempDir();
    const laptop = new CSVExperimentTracker('laptop', { outputDir: join(dir.path, 'laptop') });
    await laptop.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'faq', [
      sample(1),
      sample(2),
    ]);
    const ci = new CSVExperimentTracker('ci', { outputDir: join(dir.path, 'ci') });
    await ci.logBatch([gllmResult(1, 1, 1)], 'faq', [sample(1)]);
    await ci.logContext({ commit: 'abc' });
    const gpu = new SqliteExperimentTracker('gpu', { file: join(dir.path, 'gpu.sqlite') });
    await gpu.logBatch([gllmResult(0.5, 1, 0), gllmResult(1, 1, 1)], 'rag', [sample(1), sample(2)]);
    const team = open(newSchema('team'));
    const copies = async () => {
      const reports = [];
      for (const source of [laptop, ci, gpu]) reports.push(await copyResults(source, team));
      return reports.map((r) => [r.runs, r.imported, r.skipped]);
    };
    expect(await copies()).toEqual([
      [1, 2, 0],
      [1, 1, 0],
      [1, 2, 0],
    ]);
    const once = await team.getExperimentHistory();
    expect(await copies()).toEqual([
      [1, 0, 2],
      [1, 0, 1],
      [1, 0, 2],
    ]);
    expect(await team.getExperimentHistory()).toEqual(once);
    for (const source of [laptop, ci, gpu]) {
      for (const run of await source.getExperimentHistory()) {
        expect(once.find((r) => r.runId === run.runId)).toEqual(run);
        expect(await team.getRunResults(run.runId)).toEqual(await source.getRunResults(run.runId));
      }
    }
    await Promise.all([laptop.close(), ci.close(), gpu.close(), team.close()]);
  });

  it('rejects a NUL character in a name before anything is written', async () => {
    const t = open(newSchema('nul'));
    expect(() => t.log(gllmResult(1, 1, 0), 'data\u0000set', sample(1))).toThrow(
      expect.objectContaining({ code: 'E_INVALID_ARGUMENT', path: 'results[0].run_id' }),
    );
    expect(await t.getExperimentHistory()).toEqual([]);
    await t.close();
  });

  it('writes log() in the background, and flushes after a background write emptied the queue', async () => {
    const schema = newSchema('background');
    const t = open(schema);
    const reader = open(schema);
    // 1,000 queued results start a write at once; one more log() lands while it runs, so its
    // own timer later finds the queue empty.
    for (let i = 0; i < 1000; i++) t.log(gllmResult(i % 2, 1, 0), 'd', sample(i), { runId: 'bg' });
    await new Promise((r) => setTimeout(r, 5));
    t.log(gllmResult(1, 1, 0), 'd', sample(1000), { runId: 'bg' });
    // Seen by another tracker without any flush() from this one (bounded wait, not a timing claim).
    for (let polls = 0; ; polls++) {
      const [run] = await reader.getExperimentHistory();
      if (run?.totalData === 1001) break;
      if (polls > 500) throw new Error(`the background write stored ${run?.totalData ?? 0}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    t.log(gllmResult(1, 1, 0), 'd', sample(1001), { runId: 'bg' });
    await t.flush();
    expect((await reader.getExperimentHistory())[0]?.totalData).toBe(1002);
    await Promise.all([t.close(), reader.close()]);
  });

  it('hands back a batch the database refuses, and goes on with the others', async () => {
    const schema = newSchema('refused');
    const t = open(schema);
    await t.logBatch([gllmResult(1, 1, 0)], 'd', [sample(0)], { runId: 'r' });
    // A rule of the team's database that evaltrack cannot know: no retry can pass it.
    await sql(server, `ALTER TABLE ${schema}.results ADD CHECK (sample_id <> 'forbidden')`);
    t.log(gllmResult(1, 1, 0), 'd', sample(1), { runId: 'r' });
    t.log(gllmResult(0, 1, 0), 'd', { id: 'forbidden', input: 'x' }, { runId: 'r' });
    t.log(gllmResult(1, 1, 0), 'd', sample(2), { runId: 'r' });
    const error = await t.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnstoredResultsError);
    expect(error).toMatchObject({
      code: 'E_NOT_STORED',
      message: expect.stringMatching(/1 batches refused by PostgreSQL \(.*check constraint/),
    });
    expect((error as UnstoredResultsError).results.map((r) => r.sampleId)).toEqual(['forbidden']);
    // Kept where `evaltrack pending` shows it, never replayed.
    expect(t.pending().map((f) => [f.state, f.results, f.runs])).toEqual([
      ['refused', 1, { r: 1 }],
    ]);
    await t.flush(); // handed back once: nothing is left to report
    expect((await t.getRunResults('r')).map((r) => r.sampleId)).toEqual(['s0', 's1', 's2']);
    expect((await t.getExperimentHistory())[0]).toMatchObject({ totalData: 3, averageScore: 1 });
    await t.close();
  });

  it('counts a result id once when one write holds it twice', async () => {
    const t = open(newSchema('twice'));
    const [record] = await (async () => {
      const source = open(newSchema('twice_source'));
      await source.logBatch([gllmResult(1, 1, 0)], 'd', [sample(1)], { runId: 'a' });
      const records = await source.getRunResults('a');
      await source.close();
      return records;
    })();
    await t.importResults([record!, { ...record!, runId: 'b' }]);
    expect((await t.getExperimentHistory()).map((r) => [r.runId, r.totalData])).toEqual([['a', 1]]);
    await t.close();
  });

  it('refuses a schema name that is not a plain identifier, in the store too', async () => {
    const { PostgresStore } = await import('evaltrack/postgres');
    for (const schema of ['x"; DROP TABLE t; --', 'Upper', '']) {
      // The schema is checked before anything else: no rules are needed to refuse it.
      expect(() => new PostgresStore({ schema, rules: undefined as never })).toThrow(
        expect.objectContaining({ code: 'E_INVALID_ARGUMENT', path: 'options.schema' }),
      );
      expect(() => open(schema)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    }
  });

  it('reads the PG* environment variables when given no connection string', async () => {
    const schema = newSchema('env');
    const u = new URL(server);
    const script = `const { PostgresExperimentTracker } = await import('evaltrack/postgres');
      const t = new PostgresExperimentTracker('p', { schema: ${JSON.stringify(schema)} });
      await t.logBatch([{ m: { score: 1 } }], 'd', [{ id: 1 }]);
      console.log((await t.getExperimentHistory())[0].totalData);
      await t.close();`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          PGHOST: u.hostname,
          PGPORT: u.port,
          PGUSER: decodeURIComponent(u.username),
          PGDATABASE: u.pathname.slice(1),
          EVALTRACK_JOURNAL_DIR: journal.path,
        },
      },
    );
    expect(stdout).toBe('1\n');
  });
});

describe.skipIf(url === null)('postgres store when the server dies', () => {
  let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
  afterAll(() => server?.destroy());

  it('reports the batch a crash interrupted, keeps it, and stores it once when retried', async () => {
    // A server of this test's own, to kill.
    server = await startPostgres();
    const schema = 'crash';
    const t = new PostgresExperimentTracker('p', {
      connectionString: server.url,
      schema,
      journalDir: journal.path,
      retries: 2,
      retryDelayMs: 20,
    });
    const results = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => gllmResult((from + k) % 2, 1, 0));
    const samples = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => sample(from + k));
    const runId = await t.logBatch(results(0, 100), 'd', samples(0, 100), { runId: 'r' });

    // Hold the runs table, so that the next batch stops in its transaction after inserting its
    // results and before updating the leaderboard and committing: the middle of the batch.
    const holder = new pg.Client(server.url);
    holder.on('error', () => {});
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${schema}.runs IN EXCLUSIVE MODE`);
    const interrupted = t.logBatch(results(100, 1000), 'd', samples(100, 1000), { runId });
    // Statistics views are frozen inside a transaction: watch from a connection of its own.
    const watcher = new pg.Client(server.url);
    watcher.on('error', () => {});
    await watcher.connect();
    for (let polls = 0; ; polls++) {
      const { rows } = await watcher.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO runs%'`,
      );
      if (rows[0]?.n === 1) break;
      if (polls > 2000) throw new Error('the batch never reached the leaderboard update');
      await new Promise((r) => setTimeout(r, 10));
    }
    server.stop('immediate');
    const error = await interrupted.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnstoredResultsError);
    expect(error).toMatchObject({ code: 'E_NOT_STORED', pendingRunChanges: 0 });
    const unstored = (error as UnstoredResultsError).results;
    expect(unstored.map((r) => r.data['id'])).toEqual(samples(100, 1000).map((s) => s.id));

    server.start();
    await t.flush();
    await t.flush(); // nothing left: storing twice would double
    const stored = await t.getRunResults(runId);
    expect(stored.map((r) => r.data['id'])).toEqual(samples(0, 1100).map((s) => s.id));
    expect(stored.slice(100).map((r) => r.resultId)).toEqual(unstored.map((r) => r.resultId));
    const [run] = await t.getExperimentHistory();
    expect(run).toMatchObject({ totalData: 1100, averageScore: 0.5, successTotal: 1100 });

    // With the server gone for good, close() rejects with what it could not store.
    server.stop('immediate');
    t.log(gllmResult(1, 1, 0), 'd', sample(5000), { runId });
    const closing = await t.close().catch((e: unknown) => e);
    expect(closing).toMatchObject({ code: 'E_NOT_STORED' });
    const left = (closing as UnstoredResultsError).results;
    expect(left.map((r) => r.data['id'])).toEqual(['s5000']);
    // Nothing was lost: close() left them in the journal, and the next tracker of the database
    // stores them with its first read or write; the results in the error import once.
    server.start();
    const again = new PostgresExperimentTracker('p', {
      connectionString: server.url,
      schema,
      journalDir: journal.path,
    });
    expect(await again.importResults(left)).toEqual({ imported: 0, skipped: 1 });
    expect((await again.getExperimentHistory())[0]?.totalData).toBe(1101);
    await again.close();
  });
});
