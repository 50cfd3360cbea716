/**
 * Every store evaltrack ships, by the address that names it: a folder is a CSV store (gllm-evals'
 * files), `sqlite:<file>` (or a file ending in `.sqlite`/`.db`) a SQLite store, a `postgres://`
 * URL a PostgreSQL store, `jsonl:<folder>` a JSON Lines store. The command line, the dashboard,
 * `evaluate()` and library users open stores through it; a new store is one entry here. Each store's
 * code is loaded when one of its kind is opened: a command pays for the store it reads, no other.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { EvaltrackError } from '../errors.js';
import { TRACKER_OPTION_KEYS } from '../tracker/base-experiment-tracker.js';
import type { BaseExperimentTracker, TrackerOptions } from '../tracker/base-experiment-tracker.js';
import { checkName, checkOptions } from '../tracker/check-input.js';
import { holdsResults } from './jsonl/jsonl-folder.js';

/** The store gllm-evals writes to, and the default everywhere. */
export const DEFAULT_STORE = './gllm_evals/experiments';

/** There is no store at the address given, and the caller asked not to create one. */
export class NoStoreError extends EvaltrackError {
  constructor(readonly where: string) {
    super('E_INVALID_ARGUMENT', `no store at ${where}`);
  }
}

/** One kind of store, as the registry knows it. */
export interface StoreKind {
  /** `csv`, `sqlite`, `postgres`, `jsonl`. */
  kind: string;
  /** Whether `where` names a store of this kind. */
  matches(where: string): boolean;
  /**
   * Whether a store is there already. Absent for stores that cannot tell without connecting
   * (PostgreSQL): those are always opened.
   */
  exists?(where: string): boolean;
  open(where: string, projectName: string, options: TrackerOptions): Promise<BaseExperimentTracker>;
}

const isFile = (path: string): boolean =>
  statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;

/** The stores, in the order addresses are tried: the last one (a folder) matches any address. */
export const STORE_KINDS: readonly StoreKind[] = [
  {
    kind: 'sqlite',
    matches: (w) => w.startsWith('sqlite:') || /\.(sqlite|db)$/i.test(w),
    exists: (w) => isFile(w.replace(/^sqlite:/, '')),
    open: async (w, projectName, options) => {
      // Loaded on demand: better-sqlite3 is an optional peer dependency.
      const { SqliteExperimentTracker } = await import('./sqlite/sqlite-experiment-tracker.js');
      return new SqliteExperimentTracker(projectName, {
        ...options,
        file: w.replace(/^sqlite:/, ''),
      });
    },
  },
  {
    kind: 'postgres',
    matches: (w) => /^postgres(ql)?:\/\//i.test(w),
    open: async (w, projectName, options) => {
      // Loaded on demand: pg is an optional peer dependency.
      const { PostgresExperimentTracker } =
        await import('./postgres/postgres-experiment-tracker.js');
      // `?schema=name` picks the schema (default `evaltrack`); the rest goes to node-postgres.
      const url = new URL(w);
      const schema = url.searchParams.get('schema');
      url.searchParams.delete('schema');
      return new PostgresExperimentTracker(projectName, {
        ...options,
        connectionString: url.toString(),
        ...(schema ? { schema } : {}),
      });
    },
  },
  {
    kind: 'jsonl',
    matches: (w) => w.startsWith('jsonl:'),
    // A folder is a store once it holds a project's results file.
    exists: (w) => holdsResults(w.slice('jsonl:'.length)),
    open: async (w, projectName, options) => {
      const { JsonlExperimentTracker } = await import('./jsonl/jsonl-experiment-tracker.js');
      return new JsonlExperimentTracker(projectName, {
        ...options,
        outputDir: w.slice('jsonl:'.length),
      });
    },
  },
  {
    kind: 'csv',
    matches: () => true,
    // A folder is a store once it holds one of the two files; an empty or unrelated folder is not.
    exists: (w) => isFile(join(w, 'experiment_results.csv')) || isFile(join(w, 'leaderboard.csv')),
    open: async (w, projectName, options) => {
      const { CSVExperimentTracker } = await import('./csv/csv-experiment-tracker.js');
      return new CSVExperimentTracker(projectName, { ...options, outputDir: w });
    },
  },
];

/** Options of {@link openTracker}: where the store is, and the tracker options. */
export interface OpenTrackerOptions extends TrackerOptions {
  /**
   * The store's address: a folder (CSV, gllm-evals' files), `sqlite:<file>`, `jsonl:<folder>`,
   * or a `postgres://` URL (`?schema=` picks the schema). @default './gllm_evals/experiments'
   */
  store?: string;
  /**
   * Whether a missing store is created. With `false`, a folder without `experiment_results.csv`
   * or `leaderboard.csv`, or a missing SQLite file, rejects with {@link NoStoreError} and nothing
   * is created; a PostgreSQL address is always opened. @default true
   */
  create?: boolean;
}

/**
 * A tracker over the store at `options.store`, whatever its kind: the same call opens a gllm-evals
 * folder, a SQLite file or a team's PostgreSQL database.
 *
 * ```ts
 * const tracker = await openTracker('support-bot', { store: 'sqlite:evals.sqlite' });
 * ```
 */
export async function openTracker(
  projectName: string,
  options: OpenTrackerOptions = {},
): Promise<BaseExperimentTracker> {
  checkName(projectName, 'projectName');
  const {
    store = DEFAULT_STORE,
    create = true,
    ...trackerOptions
  } = checkOptions(options, ['store', 'create', ...TRACKER_OPTION_KEYS], 'options');
  const where = checkName(store, 'options.store');
  const kind = STORE_KINDS.find((k) => k.matches(where)) as StoreKind;
  if (!create && kind.exists && !kind.exists(where)) throw new NoStoreError(where);
  return kind.open(where, projectName, trackerOptions);
}
