// The PostgreSQL store's local journal: a result handed to log() survives its process (exit,
// uncaught exception, kill -9, a server that is down), and the next tracker of the database, or
// `evaltrack pending --push`, stores it exactly once. Real child processes, the real server.
import { execFile, spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { UnstoredResultsError } from 'evaltrack';
import { PostgresExperimentTracker } from 'evaltrack/postgres';
import { NO_POSTGRES, newSchema, postgresUrl, sql, withSchema } from '../helpers/postgres.js';
import { startPostgres } from '../../scripts/postgres-server.mjs';
import { tempDir } from '../helpers/temp-dir.js';

const url = postgresUrl();
const ROOT = new URL('../..', import.meta.url).pathname;
const WRITER = join(ROOT, 'test/helpers/pg-journal-writer.mjs');
const BIN = join(ROOT, 'dist/cli/bin.js');

/** Stored results of `schema`, per run: [run, results, distinct ids]. */
const storedCounts = (server: string, schema: string) =>
  sql<{ run_id: string; n: number; d: number }>(
    server,
    `SELECT run_id, count(*)::int AS n, count(DISTINCT result_id)::int AS d
     FROM ${schema}.results GROUP BY run_id ORDER BY run_id`,
  ).then((rows) => rows.map((r) => [r.run_id, r.n, r.d]));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the writer script to its end (or until `kill` says so, once it printed "logged"). */
function runWriter(args: string[], kill?: NodeJS.Signals): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (kill && stdout.includes('logged\n')) child.kill(kill);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** What `evaltrack pending --json` prints. */
interface PendingJson {
  folder: string;
  pushed: Record<string, number> | null;
  files: { state: string; results: number; runChanges: number; runs: Record<string, number> }[];
}
const pendingJson = (e: Exit): PendingJson => JSON.parse(e.stdout) as PendingJson;

/** The built `evaltrack` binary. */
async function cli(args: string[], journalDir: string): Promise<Exit> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, EVALTRACK_JOURNAL_DIR: journalDir, NO_COLOR: '1' },
    });
    return { code: 0, signal: null, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, signal: null, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The files of a journal folder (every database's), by kind: owner files, damaged, refused. */
function journalFiles(dir: string): string[] {
  let folders: string[];
  try {
    folders = readdirSync(dir);
  } catch {
    return [];
  }
  return folders.flatMap((f) =>
    readdirSync(join(dir, f))
      .filter((n) => n.endsWith('.jsonl'))
      .map((n) => join(dir, f, n)),
  );
}

/** A tracker of `schema` whose journal warnings are collected, as `[message, code]`. */
function watched(server: string, schema: string, journalDir: string) {
  const warnings: [string, string][] = [];
  const t = new PostgresExperimentTracker('p', {
    connectionString: server,
    schema,
    journalDir,
    onWarning: (message: string, code: string) => warnings.push([message, code]),
  });
  return { t, warnings };
}

describe.skipIf(url === null)(`postgres journal${url === null ? `: ${NO_POSTGRES}` : ''}`, () => {
  const server = url ?? '';
  const open = (schema: string, journalDir: string, options = {}) =>
    new PostgresExperimentTracker('p', {
      connectionString: server,
      schema,
      journalDir,
      ...options,
    });

  it('stores once what 10 log() calls left when the process exited, threw, or was killed', async () => {
    using dir = tempDir();
    const schema = newSchema('journal_end');
    // The schema exists, and the runs table is held, so the killed writer's background write
    // waits in its transaction: killed in the middle of a write, not before it.
    const setup = open(schema, dir.path);
    expect(await setup.getExperimentHistory()).toEqual([]);
    await setup.close();
    const holder = new pg.Client(server);
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${schema}.runs IN EXCLUSIVE MODE`);

    const exited = await runWriter([server, schema, dir.path, 'exit', '10', 'exit']);
    expect(exited).toMatchObject({ code: 0, signal: null });
    const threw = await runWriter([server, schema, dir.path, 'throw', '10', 'throw']);
    expect(threw).toMatchObject({ code: 1, signal: null });
    expect(threw.stderr).toMatch(/the script failed right after logging/);
    const killed = await runWriter([server, schema, dir.path, 'hang', '10', 'kill'], 'SIGKILL');
    expect(killed).toMatchObject({ code: null, signal: 'SIGKILL' });
    await holder.query('ROLLBACK');
    await holder.end();

    // Nothing of theirs reached the database; each left its journal file.
    expect(await storedCounts(server, schema)).toEqual([]);
    expect(journalFiles(dir.path)).toHaveLength(3);

    // The next tracker of this database stores them with its first write or read.
    const next = open(schema, dir.path);
    const history = await next.getExperimentHistory();
    expect(history.map((r) => [r.runId, r.totalData, r.averageScore, r.context]).sort()).toEqual([
      ['exit', 10, 0.5, { commit: 'abc' }],
      ['kill', 10, 0.5, { commit: 'abc' }],
      ['throw', 10, 0.5, { commit: 'abc' }],
    ]);
    expect(await storedCounts(server, schema)).toEqual([
      ['exit', 10, 10],
      ['kill', 10, 10],
      ['throw', 10, 10],
    ]);
    expect((await next.getRunResults('kill')).map((r) => r.sampleId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `kill-${i}`),
    );
    await next.close();
    // Committed: the journal is gone, and another tracker stores nothing twice.
    expect(journalFiles(dir.path)).toEqual([]);
    const again = open(schema, dir.path);
    expect(await again.pushPending()).toEqual({
      files: 0,
      results: 0,
      stored: 0,
      alreadyStored: 0,
      runChanges: 0,
      runChangesAlreadyApplied: 0,
    });
    await again.close();

    // Killed after its results were committed: its journal is empty, nothing is written twice.
    const late = await runWriter([server, schema, dir.path, 'stored', '10', 'late'], 'SIGKILL');
    expect(late).toMatchObject({ code: null, signal: 'SIGKILL' });
    const last = open(schema, dir.path);
    expect(await last.pushPending()).toEqual({
      files: 1,
      results: 0,
      stored: 0,
      alreadyStored: 0,
      runChanges: 0,
      runChangesAlreadyApplied: 0,
    });
    expect(journalFiles(dir.path)).toEqual([]);
    await last.close();
    expect(await storedCounts(server, schema)).toEqual([
      ['exit', 10, 10],
      ['kill', 10, 10],
      ['late', 10, 10],
      ['throw', 10, 10],
    ]);
    expect(journalFiles(dir.path)).toEqual([]);
  });

  it('`evaltrack pending` shows what is left; --push stores it once, from two pushers at once', async () => {
    using dir = tempDir();
    const schema = newSchema('journal_cli');
    const store = withSchema(server, schema);
    await Promise.all(
      ['a', 'b'].map((run) => runWriter([server, schema, dir.path, 'exit', '10', run])),
    );
    expect(await cli(['pending', '--store', store, '--json'], dir.path)).toMatchObject({
      code: 0,
    });
    const shown = pendingJson(await cli(['pending', '--store', store, '--json'], dir.path));
    expect(shown.pushed).toBe(null);
    expect(
      shown.files
        .map((f) => [f.state, f.results, f.runChanges, f.runs])
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    ).toEqual([
      ['ended', 10, 1, { a: 10 }],
      ['ended', 10, 1, { b: 10 }],
    ]);
    const human = await cli(['pending', '--store', store], dir.path);
    expect(human.stdout).toMatch(
      /20 results and 2 run changes wait for a tracker of this database; `evaltrack pending --push` stores them now/,
    );
    // Showing stored nothing.
    expect(await storedCounts(server, schema)).toEqual([]);

    // Two pushers at once: each journal is taken by exactly one of them.
    const pushes = await Promise.all(
      [1, 2].map(() => cli(['pending', '--store', store, '--push', '--json'], dir.path)),
    );
    const reports = pushes.map((p) => pendingJson(p).pushed ?? {});
    const total = (k: string) => reports.reduce((n, r) => n + (r[k] ?? 0), 0);
    expect([total('files'), total('results'), total('stored'), total('alreadyStored')]).toEqual([
      2, 20, 20, 0,
    ]);
    expect([total('runChanges'), total('runChangesAlreadyApplied')]).toEqual([2, 0]);
    expect(await storedCounts(server, schema)).toEqual([
      ['a', 10, 10],
      ['b', 10, 10],
    ]);
    expect(journalFiles(dir.path)).toEqual([]);
    const after = await cli(['pending', '--store', store], dir.path);
    expect(after.stdout).toMatch(/nothing pending\n$/);
  });

  it("leaves a running tracker's journal alone, and takes it over once released", async () => {
    using dir = tempDir();
    const schema = newSchema('journal_live');
    const setup = open(schema, dir.path);
    await setup.getExperimentHistory();
    await setup.close();
    const holder = new pg.Client(server);
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`LOCK TABLE ${schema}.runs IN EXCLUSIVE MODE`);
    // A tracker of this process whose write waits on the lock: its journal is live.
    const live = open(schema, dir.path);
    for (let i = 0; i < 5; i++)
      live.log({ ev: { score: 1 } }, 'd', { id: `l${i}` }, { runId: 'live' });
    const other = open(schema, dir.path);
    expect(other.pending().map((f) => [f.state, f.pid, f.results])).toEqual([
      ['running', process.pid, 5],
    ]);
    const otherPush = other.pushPending();
    await new Promise((r) => setTimeout(r, 200));
    await holder.query('ROLLBACK');
    await holder.end();
    expect(await otherPush).toMatchObject({ files: 0, results: 0, stored: 0 });
    await live.close();
    expect(await storedCounts(server, schema)).toEqual([['live', 5, 5]]);
    await other.close();
    expect(journalFiles(dir.path)).toEqual([]);
  });

  it('replays a journal whose commit succeeded without undoing a later context, and sets a torn line aside', async () => {
    using dir = tempDir();
    const schema = newSchema('journal_replay');
    expect(await runWriter([server, schema, dir.path, 'exit', '10', 'r'])).toMatchObject({
      code: 0,
    });
    const [file] = journalFiles(dir.path);
    // The same journal again later, as if its removal had not happened after the commit.
    const copy = `${file}.copy`;
    copyFileSync(file!, copy);

    const first = open(schema, dir.path);
    expect(await first.pushPending()).toMatchObject({ files: 1, results: 10, stored: 10 });
    await first.logContext({ commit: 'def' }, { runId: 'r' });
    await first.close();

    // Back under its own name (its process is gone), with a line cut short by kill -9 at the end.
    const torn = '{"v":1,"kind":"append","key":"aggregate_success","rows":[{"result_id":"01';
    const restored = file!;
    writeFileSync(restored, readFileSync(copy));
    appendFileSync(restored, torn);
    const { t: second, warnings } = watched(server, schema, dir.path);
    expect(await second.pushPending()).toEqual({
      files: 1,
      results: 10,
      stored: 0,
      alreadyStored: 10,
      runChanges: 0,
      runChangesAlreadyApplied: 1,
    });
    expect(warnings).toEqual([
      [
        expect.stringMatching(
          /1 damaged line\(s\) of the PostgreSQL journal .* set aside to .*damaged\+/,
        ),
        'EVALTRACK_TORN_RECORD',
      ],
    ]);
    const [run] = await second.getExperimentHistory();
    expect(run).toMatchObject({ runId: 'r', totalData: 10, context: { commit: 'def' } });
    // The damaged line is kept, shown, never replayed.
    const left = second.pending();
    expect(left.map((f) => [f.state, f.results, f.damagedLines])).toEqual([['damaged', 0, 1]]);
    expect(readFileSync(left[0]!.file, 'utf8')).toBe(torn);
    await second.close();
    expect(await storedCounts(server, schema)).toEqual([['r', 10, 10]]);
  });
});

describe.skipIf(url === null)('postgres journal that cannot be read', () => {
  it('still stores the journals taken before it, and hands it back for later', async () => {
    using dir = tempDir();
    const server = url ?? '';
    const schema = newSchema('journal_unreadable');
    expect(await runWriter([server, schema, dir.path, 'exit', '10', 'r'])).toMatchObject({
      code: 0,
    });
    const [file] = journalFiles(dir.path) as [string];
    const folder = join(file, '..');
    const host = basename(file).split('+')[0] ?? '';
    // Released journals (pid 0) in name order: a readable one, then one that is a folder.
    renameSync(file, join(folder, `${host}+0+x+aaaa.jsonl`));
    mkdirSync(join(folder, `${host}+0+x+zzzz.jsonl`));
    const { t, warnings } = watched(server, schema, dir.path);
    expect(await t.pushPending()).toMatchObject({ files: 1, results: 10, stored: 10 });
    expect(warnings).toEqual([
      [expect.stringMatching(/^could not read the journal .*zzzz\.jsonl \(/), 'EVALTRACK_JOURNAL'],
    ]);
    await t.close();
    expect(await storedCounts(server, schema)).toEqual([['r', 10, 10]]);
    // The unreadable one is still there, for the next tracker, under a released name.
    expect(readdirSync(folder).filter((n) => n.startsWith(`${host}+0+x+`))).toHaveLength(1);
  });
});

describe.skipIf(url === null)('postgres journal of large batches', () => {
  it('replays a 2,500-result logBatch whole, and sets aside a batch missing its last part', async () => {
    using dir = tempDir();
    const server = url ?? '';
    const schema = newSchema('journal_batch');
    for (const run of ['whole', 'cut']) {
      expect(await runWriter([server, schema, dir.path, 'batch', '2500', run])).toMatchObject({
        code: 0,
      });
    }
    // Each batch is 3 lines (1,000 results at most per line); cut the second file after 2.
    const files = journalFiles(dir.path).map((f) => ({ f, lines: readFileSync(f, 'utf8') }));
    expect(files.map((x) => x.lines.split('\n').length - 1)).toEqual([3, 3]);
    const cut = files.find((x) => x.lines.includes('"run_id":"cut"'))!;
    const kept = cut.lines.split('\n').slice(0, 2).join('\n') + '\n';
    writeFileSync(cut.f, kept);

    const { t, warnings } = watched(server, schema, dir.path);
    expect(await t.pushPending()).toMatchObject({ files: 2, results: 2500, stored: 2500 });
    expect(warnings).toEqual([
      [
        expect.stringMatching(/^2 damaged line\(s\) of the PostgreSQL journal/),
        'EVALTRACK_TORN_RECORD',
      ],
    ]);
    expect(await storedCounts(server, schema)).toEqual([['whole', 2500, 2500]]);
    const [aside] = t.pending();
    expect(aside).toMatchObject({ state: 'damaged', damagedLines: 2 });
    expect(readFileSync(aside!.file, 'utf8')).toBe(kept);
    await t.close();
  });
});

describe.skipIf(url === null)('postgres journal that cannot be written', () => {
  it('makes log() throw E_STORE_IO and queue nothing', async () => {
    using dir = tempDir();
    // A file where the folder should be: no journal can be created under it.
    const blocked = join(dir.path, 'not-a-folder');
    writeFileSync(blocked, '');
    const schema = newSchema('journal_blocked');
    const { t, warnings } = watched(url ?? '', schema, blocked);
    expect(() => t.log({ ev: { score: 1 } }, 'd', { id: 'x' }, { runId: 'r' })).toThrow(
      expect.objectContaining({
        code: 'E_STORE_IO',
        message: expect.stringMatching(
          /could not write the local journal .*not-a-folder.*; nothing was queued/,
        ),
      }),
    );
    await t.flush();
    // Reads still answer, and say why the folder's journals cannot be stored.
    expect(await t.getExperimentHistory()).toEqual([]);
    expect(warnings).toEqual([
      [expect.stringMatching(/could not read the journal folder .*ENOTDIR/), 'EVALTRACK_JOURNAL'],
    ]);
    await t.close();
  });
});

describe.skipIf(url === null)('postgres journal when the server is down', () => {
  let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
  afterAll(() => server?.destroy());

  it('keeps what was logged while the server was stopped, and stores it once it is back', async () => {
    server = await startPostgres();
    using dir = tempDir();
    const schema = 'down';
    const store = withSchema(server.url, schema);
    server.stop();

    // One script exits at once; the next one takes its journal over, and its close() reports
    // everything it could not store, the first script's results and context included.
    expect(await runWriter([server.url, schema, dir.path, 'exit', '10', 'exit'])).toMatchObject({
      code: 0,
    });
    const closed = await runWriter([server.url, schema, dir.path, 'close', '10', 'close']);
    expect(JSON.parse(closed.stdout)).toEqual({
      code: 'E_NOT_STORED',
      results: [
        ...Array.from({ length: 10 }, (_, i) => `exit-${i}`),
        ...Array.from({ length: 10 }, (_, i) => `close-${i}`),
      ],
      runChanges: [
        ['exit', { commit: 'abc' }],
        ['close', { commit: 'abc' }],
      ],
    });
    const shown = pendingJson(await cli(['pending', '--store', store, '--json'], dir.path));
    expect(shown.files.map((f) => [f.state, f.results]).sort()).toEqual([
      ['released', 10],
      ['released', 10],
    ]);

    // A tracker opened while the server is still down takes them over, fails, and keeps them:
    // its error lists them all, run changes included.
    const early = new PostgresExperimentTracker('p', {
      connectionString: server.url,
      schema,
      journalDir: dir.path,
      retries: 1,
      retryDelayMs: 10,
    });
    const error = await early.pushPending().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnstoredResultsError);
    const unstored = error as UnstoredResultsError;
    expect(unstored.results.map((r) => r.sampleId).sort()).toEqual(
      [
        ...Array.from({ length: 10 }, (_, i) => `close-${i}`),
        ...Array.from({ length: 10 }, (_, i) => `exit-${i}`),
      ].sort(),
    );
    expect(unstored.runChanges.map((c) => [c.runId, c.context]).sort()).toEqual([
      ['close', { commit: 'abc' }],
      ['exit', { commit: 'abc' }],
    ]);
    expect(unstored.pendingRunChanges).toBe(2);
    await early.close().catch(() => {});

    server.start();
    const pushed = await cli(['pending', '--store', store, '--push'], dir.path);
    expect(pushed.stdout).toMatch(
      /pushed 2 journal files: 20 results stored, 0 already stored; 2 run changes applied, 0 already applied\nnothing pending\n/,
    );
    expect(await storedCounts(server.url, schema)).toEqual([
      ['close', 10, 10],
      ['exit', 10, 10],
    ]);
    expect(journalFiles(dir.path)).toEqual([]);
  });
});
