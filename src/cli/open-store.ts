/**
 * Store addressing, in one place for the command line (and the dashboard to come): a folder is a
 * CSV store, `sqlite:<file>` or a file ending in `.sqlite`/`.db` a SQLite store, a `postgres://`
 * URL a PostgreSQL store. A new store plugs in with one entry of {@link STORE_KINDS}.
 */
import { CSVExperimentTracker } from '../stores/csv/csv-experiment-tracker.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';

export const DEFAULT_STORE = './gllm_evals/experiments';

interface StoreKind {
  kind: string;
  matches(where: string): boolean;
  open(where: string, projectName: string): Promise<BaseExperimentTracker>;
}

export const STORE_KINDS: readonly StoreKind[] = [
  {
    kind: 'sqlite',
    matches: (w) => w.startsWith('sqlite:') || /\.(sqlite|db)$/i.test(w),
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
    open: async (w, projectName) => new CSVExperimentTracker(projectName, { outputDir: w }),
  },
];

/** Opens the store at `where` (`--store`, else `EVALTRACK_STORE`, else the gllm-evals folder). */
export function openStore(
  where: string,
  projectName = 'evaltrack',
): Promise<BaseExperimentTracker> {
  const kind = STORE_KINDS.find((k) => k.matches(where)) as StoreKind;
  return kind.open(where, projectName);
}
