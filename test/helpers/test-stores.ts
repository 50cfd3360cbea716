/**
 * Every store kind under test, in one list: how to make an empty one, open it, name it as
 * `--store` does, read it without evaltrack, and what it promises where stores differ (with why).
 * The contract suite (test/conformance/stores.test.ts) and the process, crash and disk-full suites
 * (test/conformance/*.test.ts) all run over this list: a new store is one entry here, and
 * test/conformance/stores.test.ts checks that every kind of the registry has one.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { JsonlExperimentTracker } from 'evaltrack/jsonl';
import { PostgresExperimentTracker } from 'evaltrack/postgres';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import type { ContractTarget } from 'evaltrack/testing';
import { NO_POSTGRES, newSchema, postgresUrl, sql, withSchema } from './postgres.js';
import { readWithPython } from './python.js';

/** What a store holds, read without evaltrack (Python's csv module, JSON.parse, SQL). */
export interface OutsideView {
  /**
   * Every result stored, in storage order: its run, its data id, and its metric cells as that
   * reader gets them (a CSV cell is text, `''` where the result has no value).
   */
  results: { runId: string; id: string; cells: Record<string, unknown> }[];
  /** Records a reader cannot read: a torn line left in place, or one not ended yet. */
  unreadable: number;
  /** Copies of damaged bytes set aside beside the store, for people to read. */
  setAside: number;
  /**
   * The stored leaderboard, `[run, total_data, average_score]` as text, one row a run (of each
   * project, where a store keeps a leaderboard a project).
   */
  leaderboard: [string, string, string][];
}

/** A store kept in a folder of its own (which a test may make a small tmpfs). */
export interface FolderStore {
  /** The store's location in the folder `dir`. */
  at(dir: string): string;
  /** The folder of a location. */
  dirOf(location: string): string;
  /**
   * Every file the store keeps there for these projects: once its trackers closed, or with
   * `open`, while one is open (or failed to open).
   */
  files(projects: readonly string[], open?: 'open'): string[];
  /** The code of the cause of the error a write on a full disk rejects with. */
  fullDiskCode: string;
  /** Why the store cannot be opened in a read-only folder, or null when it can. */
  readOnly: string | null;
}

/** One store kind under test. */
export interface TestStore extends ContractTarget {
  /** The registry's kind (src/stores/registry.ts). */
  kind: string;
  /** Why this store's tests cannot run here, or null when they run. */
  skip: string | null;
  /** The address of a location, as `--store` and `openTracker` take it. */
  address(location: string): string;
  /** What the store at `location` holds, read without evaltrack. */
  readOutside(location: string): Promise<OutsideView>;
  /** For a store kept in a folder: the disk-full cases run it on a tmpfs. */
  folder?: FolderStore;
  /**
   * What is left of a logBatch() that kill -9 cut short. `whole`: all of its results or none (a
   * transaction, or a journal line replayed whole); otherwise the whole results before the cut.
   */
  killedBatch: { whole: boolean; why: string };
  /** Whether the bytes of a record torn by kill -9 stay where they are (also set aside). */
  tornBytesStay: boolean;
  /** How many processes the "same runs" case runs, where a store needs more to be tested. */
  sameRuns?: { writers: number; results: number; why: string };
}

/** `.corrupt-…` copies of damaged bytes in a folder. */
const corruptCopies = (dir: string): number =>
  readdirSync(dir).filter((f) => f.includes('.corrupt-')).length;

/** SQL rows of a results table, as an outside reader gets them. */
interface SqlResult {
  run_id: string;
  id: string;
  score_values: string | Record<string, unknown>;
}
const fromSql = (rows: SqlResult[]): OutsideView['results'] =>
  rows.map((r) => ({
    runId: r.run_id,
    id: r.id,
    cells:
      typeof r.score_values === 'string'
        ? (JSON.parse(r.score_values) as Record<string, unknown>)
        : r.score_values,
  }));

/**
 * The stores under test, their locations in a temporary folder removed after the test file.
 * Sets the PostgreSQL journal folder of this test file (and its child processes) to one there.
 */
export function testStores(): TestStore[] {
  const root = mkdtempSync(join(tmpdir(), 'evaltrack-stores-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const journal = join(root, 'journal');
  process.env['EVALTRACK_JOURNAL_DIR'] = journal;
  let n = 0;
  /** A location of a folder store: in a new folder of its own. */
  const inNewFolder = (kind: string, folder: FolderStore) => () => {
    const dir = join(root, `${kind}-${++n}`);
    mkdirSync(dir);
    return folder.at(dir);
  };
  const pgUrl = postgresUrl();

  const csvFolder: FolderStore = {
    at: (dir) => dir,
    dirOf: (dir) => dir,
    files: () => [
      '.evaltrack-index.jsonl',
      '.evaltrack-state.json',
      'experiment_results.csv',
      'leaderboard.csv',
    ],
    fullDiskCode: 'ENOSPC',
    readOnly: null,
  };
  const jsonlFolder: FolderStore = {
    at: (dir) => dir,
    dirOf: (dir) => dir,
    files: (projects) => projects.flatMap((p) => [`${p}.leaderboard.json`, `${p}.results.jsonl`]),
    fullDiskCode: 'ENOSPC',
    readOnly: null,
  };
  const sqliteFolder: FolderStore = {
    at: (dir) => join(dir, 'evals.sqlite'),
    dirOf: (file) => dirname(file),
    files: (_, open) => ['evals.sqlite', ...(open ? ['evals.sqlite-shm', 'evals.sqlite-wal'] : [])],
    fullDiskCode: 'SQLITE_FULL',
    readOnly:
      'a database in WAL mode needs its -shm file written even to be read: opening it fails (SQLITE_CANTOPEN)',
  };
  const whole = (why: string) => ({ whole: true, why });

  return [
    {
      kind: 'csv',
      skip: null,
      folder: csvFolder,
      newLocation: inNewFolder('csv', csvFolder),
      open: (dir, projectName, options) =>
        new CSVExperimentTracker(projectName, { ...options, outputDir: dir }),
      address: (dir) => dir,
      // As gllm-evals users read it.
      readOutside: async (dir) => {
        const view = readWithPython(dir);
        return {
          results: view.rows.map((row) => ({
            runId: String(row['run_id']),
            id: String((row['data'] as { id: unknown }).id),
            cells: row,
          })),
          unreadable: 0,
          setAside: corruptCopies(dir),
          leaderboard: (view.leaderboard ?? []).map((r) => [
            r['run_id'] ?? '',
            r['total_data'] ?? '',
            r['average_score'] ?? '',
          ]),
        };
      },
      killedBatch: {
        whole: false,
        why: 'a batch is one write() of its rows, which kill -9 may cut between pages: the whole rows before the cut are read',
      },
      tornBytesStay: false,
    },
    {
      kind: 'jsonl',
      skip: null,
      folder: jsonlFolder,
      newLocation: inNewFolder('jsonl', jsonlFolder),
      open: (dir, projectName, options) =>
        new JsonlExperimentTracker(projectName, { ...options, outputDir: dir }),
      address: (dir) => `jsonl:${dir}`,
      readOutside: async (dir) => {
        const results: OutsideView['results'] = [];
        let unreadable = 0;
        for (const file of readdirSync(dir)
          .filter((f) => f.endsWith('.results.jsonl'))
          .sort()) {
          const lines = readFileSync(join(dir, file), 'utf8').split('\n');
          // What follows the last line feed is a line not ended yet.
          if (lines.pop() !== '') unreadable++;
          for (const line of lines.filter((l) => l !== '')) {
            try {
              const o = JSON.parse(line) as {
                runId: string;
                data: { id: unknown };
                columns: [string, unknown][];
              };
              results.push({
                runId: o.runId,
                id: String(o.data.id),
                cells: Object.fromEntries(o.columns),
              });
            } catch {
              unreadable++;
            }
          }
        }
        // Each project's leaderboard file holds the totals of its own results.
        const leaderboard = readdirSync(dir)
          .filter((f) => f.endsWith('.leaderboard.json'))
          .flatMap((f) => {
            const board = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
              leaderboard: { runId: string; totalData: number; averageScore: number | null }[];
            };
            return board.leaderboard.map((r): [string, string, string] => [
              r.runId,
              String(r.totalData),
              String(r.averageScore),
            ]);
          });
        return { results, unreadable, setAside: corruptCopies(dir), leaderboard };
      },
      killedBatch: {
        whole: false,
        why: 'a batch is one write() of its lines, which kill -9 may cut between pages: the whole lines before the cut are read',
      },
      // The file is never rewritten: a torn line is ended with a line feed and read past.
      tornBytesStay: true,
    },
    {
      kind: 'sqlite',
      skip: null,
      folder: sqliteFolder,
      newLocation: inNewFolder('sqlite', sqliteFolder),
      open: (file, projectName, options) =>
        new SqliteExperimentTracker(projectName, { ...options, file }),
      address: (file) => `sqlite:${file}`,
      readOutside: async (file) => {
        // Not read-only: the last connection to close removes the WAL files, as a tracker does.
        const db = new Database(file, { fileMustExist: true });
        try {
          const rows = db
            .prepare(
              `SELECT run_id, json_extract(data, '$.id') AS id, score_values FROM results ORDER BY seq`,
            )
            .all() as SqlResult[];
          const runs = db
            .prepare(`SELECT run_id, total_data, score_sum * 1.0 / scored_count AS avg FROM runs`)
            .all() as { run_id: string; total_data: number; avg: number }[];
          return {
            results: fromSql(rows),
            unreadable: 0,
            setAside: 0,
            leaderboard: runs.map((r) => [r.run_id, String(r.total_data), String(r.avg)]),
          };
        } finally {
          db.close();
        }
      },
      killedBatch: whole('a batch is one transaction'),
      tornBytesStay: false,
    },
    {
      kind: 'postgres',
      skip: pgUrl === null ? NO_POSTGRES : null,
      // A schema per location: one server, isolated stores.
      newLocation: () => newSchema('stores'),
      open: (schema, projectName, options) =>
        new PostgresExperimentTracker(projectName, {
          ...options,
          connectionString: pgUrl ?? '',
          schema,
        }),
      address: (schema) => withSchema(pgUrl ?? '', schema),
      readOutside: async (schema) => {
        const server = pgUrl ?? '';
        const rows = await sql<SqlResult>(
          server,
          `SELECT run_id, data->>'id' AS id, score_values FROM ${schema}.results ORDER BY seq`,
        );
        const runs = await sql<{ run_id: string; total_data: string; avg: number }>(
          server,
          `SELECT run_id, total_data, score_sum / scored_count AS avg FROM ${schema}.runs`,
        );
        // Damaged journal lines are set aside in the journal folder of the database and schema.
        const folders = existsSync(journal)
          ? readdirSync(journal, { withFileTypes: true }).filter(
              (d) => d.isDirectory() && d.name.includes(schema),
            )
          : [];
        const setAside = folders.flatMap((d) =>
          readdirSync(join(journal, d.name)).filter((f) => f.startsWith('damaged+')),
        ).length;
        return {
          results: fromSql(rows),
          unreadable: 0,
          setAside,
          leaderboard: runs.map((r) => [r.run_id, String(r.total_data), String(r.avg)]),
        };
      },
      killedBatch: whole(
        'a batch is one journal line, replayed whole or set aside when torn, and one transaction',
      ),
      tornBytesStay: false,
      sameRuns: {
        writers: 8,
        results: 2000,
        why: 'concurrent transactions on the same run rows must neither deadlock nor count twice',
      },
    },
  ];
}
