/**
 * The SQL text of the PostgreSQL store, in one place: every statement is a constant or built from
 * constants (table and column names, row counts), and every value travels as a parameter. Named
 * statements (`name`) are prepared once per connection by node-postgres.
 */
import { RESULT_COLUMNS, RUN_COLUMNS } from '../sql/sql-rows.js';

/** Rows per page when reading a run. */
export const READ_PAGE_ROWS = 1000;
/** Rows per page when a rebuild reads every result. */
export const REBUILD_PAGE_ROWS = 10000;
/** Rows per INSERT statement: 13 parameters each, below PostgreSQL's 65,535 per statement. */
export const ROWS_PER_INSERT = 4000;

/** Postgres types of the run columns, for the `unnest` of one array per column. */
const RUN_TYPES: Record<(typeof RUN_COLUMNS)[number], string> = {
  run_id: 'text',
  dataset_name: 'text',
  project_name: 'text',
  evaluator_name: 'text',
  model_name: 'text',
  score_column: 'text',
  total_data: 'bigint',
  scored_count: 'bigint',
  score_sum: 'float8',
  score_sum_sq: 'float8',
  score_pass_fail_count: 'bigint',
  accuracy_total: 'bigint',
  accuracy_passed: 'bigint',
  created_at: 'text',
  updated_at: 'text',
  context: 'json',
  summary_extra: 'json',
  measures: 'json',
};

/**
 * `INSERT INTO table (columns) SELECT … FROM unnest($1::type[], …)`: any number of rows as one
 * parameter per column, in their order (`WITH ORDINALITY`).
 */
function unnestInsert<C extends string>(table: string, types: Record<C, string>): string {
  const columns = Object.keys(types) as C[];
  const arrays = columns.map((c, i) => `$${i + 1}::${types[c]}[]`).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')})
    SELECT ${columns.join(', ')}
    FROM unnest(${arrays}) WITH ORDINALITY AS batch (${columns.join(', ')}, ord)
    ORDER BY ord`;
}

/**
 * `INSERT … VALUES (…), (…) … RETURNING result_id` for `rows` rows, skipping stored result ids.
 * Each value is a parameter of its own, sent as it is: faster than one array per column, which
 * node-postgres must escape into an array literal and the server parse back.
 */
export function insertResults(rows: number): string {
  const width = RESULT_COLUMNS.length;
  const tuples = Array.from(
    { length: rows },
    (_, r) => `(${RESULT_COLUMNS.map((_c, c) => `$${r * width + c + 1}`).join(', ')})`,
  );
  return `INSERT INTO results (${RESULT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
    ON CONFLICT (result_id) DO NOTHING RETURNING result_id`;
}

/** Inserts or replaces runs; values: one array per run column ({@link RUN_COLUMNS} order). */
export const PUT_RUNS = {
  name: 'evaltrack-put-runs',
  text: `${unnestInsert('runs', RUN_TYPES)}
  ON CONFLICT (run_id) DO UPDATE SET
  ${RUN_COLUMNS.filter((c) => c !== 'run_id')
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ')}`,
} as const;

/**
 * The locks a write takes, in one statement and this order: the schema's rebuild lock, shared (a
 * rebuild takes it alone), then each run's, in the order given (sorted by the caller), so two
 * writers never wait on each other in a cycle. Output expressions run after the sort.
 * Values: the rebuild lock key, then the run lock keys as one array.
 */
export const LOCK_RUNS = {
  name: 'evaltrack-lock-runs',
  text: `SELECT CASE WHEN ord = 0 THEN pg_advisory_xact_lock_shared(hashtextextended(key, 0))
    ELSE pg_advisory_xact_lock(hashtextextended(key, 0)) END
  FROM (SELECT $1::text AS key, 0::bigint AS ord
        UNION ALL SELECT key, ord FROM unnest($2::text[]) WITH ORDINALITY AS runs (key, ord)) AS keys
  ORDER BY ord`,
} as const;

/** Takes the schema's rebuild lock alone (writers hold it shared); value: its key. */
export const LOCK_REBUILD = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';

/** The key of the advisory lock that a rebuild holds alone and writers share. */
export const rebuildLockKey = (schema: string): string => `evaltrack-rebuild:${schema}`;
/** The key of a run's advisory lock. */
export const runLockKey = (schema: string, runId: string): string =>
  `evaltrack-run:${schema}:${runId}`;

/** Every run, columns read back with JSON as text (see the pool's type parsers). */
export const SELECT_RUNS = `SELECT ${RUN_COLUMNS.join(', ')} FROM runs`;

/** What changes whenever results or run changes commit (see `PostgresStore.changeMarker`). */
export const CHANGE_MARKER = {
  name: 'evaltrack-change-marker',
  text: `SELECT concat_ws(':', (SELECT max(seq) FROM results), count(*), max(updated_at),
    sum(total_data), (SELECT count(*) FROM run_changes)) AS marker FROM runs`,
} as const;

/** The runs of the given ids; value: the ids as one array. */
export const SELECT_RUNS_BY_ID = {
  name: 'evaltrack-get-runs',
  text: `${SELECT_RUNS} WHERE run_id = ANY($1::text[])`,
} as const;

/**
 * Records a run change by id, returning it only when it is new; values: change id, run id.
 * A journal replayed after its commit must not apply an old context or summary over a newer one.
 */
export const RECORD_RUN_CHANGE = {
  name: 'evaltrack-run-change',
  text: `INSERT INTO run_changes (change_id, run_id) VALUES ($1, $2)
            ON CONFLICT (change_id) DO NOTHING RETURNING change_id`,
} as const;

/** Starts the snapshot that all pages of one run are read from. */
export const BEGIN_READ_SNAPSHOT = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/** One page of a run's results in logging order; values: run id, the last `seq` read. */
export const READ_RUN_PAGE = {
  name: 'evaltrack-read-run',
  text: `SELECT seq, ${RESULT_COLUMNS.join(', ')} FROM results
            WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT ${READ_PAGE_ROWS}`,
} as const;

/** One result; values: result id, run id. */
export const READ_RESULT = {
  name: 'evaltrack-read-result',
  text: `SELECT ${RESULT_COLUMNS.join(', ')} FROM results WHERE result_id = $1 AND run_id = $2`,
} as const;

/** One page of every result, with what folding needs; value: the last `seq` read. */
export const REBUILD_PAGE = `SELECT seq, run_id, dataset_name, project_name, timestamp, evaluator_name, model_name,
             score_values, measures FROM results WHERE seq > $1 ORDER BY seq LIMIT ${REBUILD_PAGE_ROWS}`;

const BY_SAMPLE = `FROM results WHERE sample_id = $1 AND ($2::text IS NULL OR dataset_name = $2)`;

/**
 * Every result of one sample (through the index by sample), of a dataset and of some runs when
 * given; values: the sample id, the dataset or null, the run ids as one array or null.
 */
export const READ_SAMPLE = {
  name: 'evaltrack-read-sample',
  text: `SELECT ${RESULT_COLUMNS.join(', ')} ${BY_SAMPLE}
            AND ($3::text[] IS NULL OR run_id = ANY($3::text[])) ORDER BY run_id, seq`,
} as const;

/**
 * The narrow rows of one sample (`readSampleOutcomes`): run, dataset, trial as JSON text and
 * every value; values: the sample id, the dataset or null.
 */
export const READ_SAMPLE_ROWS = {
  name: 'evaltrack-read-sample-rows',
  text: `SELECT run_id, dataset_name, sample_id, measures -> 'trial' AS trial, score_values
            ${BY_SAMPLE} ORDER BY run_id, seq`,
} as const;

/**
 * The narrow read of runs (`readOutcomes`): sample, trial and `columns` values as JSON text, each
 * run in logging order; values: the run ids as one array, then one key per value.
 */
export function readOutcomesSql(columns: number): { name: string; text: string } {
  const values = Array.from({ length: columns }, (_, i) => `, score_values -> $${i + 2} AS v${i}`);
  return {
    name: `evaltrack-read-outcomes-${columns}`,
    text: `SELECT run_id, dataset_name, sample_id, measures -> 'trial' AS trial${values.join('')}
            FROM results WHERE run_id = ANY($1::text[]) ORDER BY seq`,
  };
}
