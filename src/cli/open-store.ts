/**
 * Store addressing, in one place for the command line (and the dashboard to come): a folder is a
 * CSV store, `sqlite:<file>` or a file ending in `.sqlite`/`.db` a SQLite store, a `postgres://`
 * URL a PostgreSQL store. A new store plugs in with one entry of {@link STORE_KINDS}.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { EvaltrackError } from '../errors.js';
import { CSVExperimentTracker } from '../stores/csv/csv-experiment-tracker.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';

export const DEFAULT_STORE = './gllm_evals/experiments';

/** There is no store at the address given, and the caller asked not to create one. */
export class NoStoreError extends EvaltrackError {
  constructor(readonly where: string) {
    super('E_INVALID_ARGUMENT', `no store at ${where}`);
  }
}

interface StoreKind {
  kind: string;
  matches(where: string): boolean;
  /**
   * Whether a store is there already. Absent for stores that cannot tell without connecting
   * (PostgreSQL): those are always opened.
   */
  exists?(where: string): boolean;
  open(where: string, projectName: string): Promise<BaseExperimentTracker>;
}

const isFile = (path: string): boolean =>
  statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;

export const STORE_KINDS: readonly StoreKind[] = [
  {
    kind: 'sqlite',
    matches: (w) => w.startsWith('sqlite:') || /\.(sqlite|db)$/i.test(w),
    exists: (w) => isFile(w.replace(/^sqlite:/, '')),
    open: async (w, projectName) => {
      // Loaded on demand: better-sqlite3 is an optional peer dependency.
      const { SqliteExperimentTracker } =
        await import('../stores/sqlite/sqlite-experiment-tracker.js');
      return new SqliteExperimentTracker(projectName, { file: w.replace(/^sqlite:/, '') });
    },
  },
  {
    kind: 'postgres',
    matches: (w) => /^postgres(ql)?:\/\//i.test(w),
    open: async (w, projectName) => {
      // Loaded on demand: pg is an optional peer dependency.
      const { PostgresExperimentTracker } =
        await import('../stores/postgres/postgres-experiment-tracker.js');
      // `?schema=name` picks the schema (default `evaltrack`); the rest goes to node-postgres.
      const url = new URL(w);
      const schema = url.searchParams.get('schema');
      url.searchParams.delete('schema');
      return new PostgresExperimentTracker(projectName, {
        connectionString: url.toString(),
        ...(schema ? { schema } : {}),
      });
    },
  },
  {
    kind: 'csv',
    matches: () => true,
    // A folder is a store once it holds one of the two files; an empty or unrelated folder is not.
    exists: (w) => isFile(join(w, 'experiment_results.csv')) || isFile(join(w, 'leaderboard.csv')),
    open: async (w, projectName) => new CSVExperimentTracker(projectName, { outputDir: w }),
  },
];

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /**
   * Whether a missing store is created (the default). With `false`, a folder without
   * `experiment_results.csv` or `leaderboard.csv`, or a missing SQLite file, rejects with
   * {@link NoStoreError} and nothing is created; a PostgreSQL address is always opened.
   */
  create?: boolean;
}

/** Opens the store at `where` (`--store`, else `EVALTRACK_STORE`, else the gllm-evals folder). */
export async function openStore(
  where: string,
  projectName = 'evaltrack',
  options: OpenStoreOptions = {},
): Promise<BaseExperimentTracker> {
  const kind = STORE_KINDS.find((k) => k.matches(where)) as StoreKind;
  if (options.create === false && kind.exists && !kind.exists(where)) throw new NoStoreError(where);
  return kind.open(where, projectName);
}
