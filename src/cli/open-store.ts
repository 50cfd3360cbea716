/**
 * Store addressing, in one place for the command line (and the dashboard to come): a folder is a
 * CSV store, `sqlite:<file>` or a file ending in `.sqlite`/`.db` a SQLite store. A new store plugs
 * in with one entry of {@link STORE_KINDS}.
 */
import { EvaltrackError } from '../errors.js';
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
    open: () =>
      Promise.reject(
        new EvaltrackError(
          'E_INVALID_ARGUMENT',
          'the PostgreSQL store is not in this version of evaltrack yet',
        ),
      ),
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
