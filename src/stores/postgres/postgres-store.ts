/**
 * The PostgreSQL store, for teams: many machines write one database, and everyone reads one
 * leaderboard. `append` and `patchRun` queue (so `log()` stays synchronous); `sync` writes the
 * queue in order. Each write is one transaction that takes the runs' advisory locks in a fixed
 * order, inserts the results (multi-row statements, duplicates skipped by result id), folds the
 * ones actually inserted into the runs' aggregates with the shared rules, and commits. A failed
 * write is retried with backoff; if it still fails, it stays queued, and `sync` rejects with the
 * results not stored. Because inserts skip known result ids and only inserted rows are folded, a
 * retry after a lost acknowledgement stores nothing twice. A batch the database refuses for good
 * leaves the queue and is handed back by the next `sync`, so it cannot block the others.
 * Everything queued is first appended to a local journal (`pending-journal.ts`), so that what a
 * process queued survives its end: the first write or read of the next store of the database
 * adopts the journals of ended processes and writes them before its own queue. */
import { randomUUID } from 'node:crypto';
import type Pg from 'pg';
import {
  EvaltrackError,
  InvalidInputError,
  StoreIoError,
  UnstoredResultsError,
} from '../../errors.js';
import type { PreparedResult, ResultStore, RunPatch } from '../../tracker/result-store.js';
import { applyPatch, emptyAggregate, toRunSummary } from '../../tracker/run-aggregate.js';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import type { ResultRecord, RunSummary } from '../../types.js';
import {
  RESULT_COLUMNS,
  RUN_COLUMNS,
  RunRefold,
  foldRow,
  toAggregate,
  toRecord,
  toResultRow,
  toRunRow,
} from '../sql/sql-rows.js';
import type { FoldRow, ResultRow, RunRow } from '../sql/sql-rows.js';
import { loadPg } from './load-driver.js';
import { describeTarget, PendingJournal, resolveJournalDir } from './pending-journal.js';
import type { JournalOp, JournalWarning, PendingFile } from './pending-journal.js';
import { migrate } from './postgres-migrations.js';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://` URL; when omitted, node-postgres reads the `PG*` environment variables. */
  connectionString?: string | undefined;
  /** The schema holding the tables, created when missing: `[a-z_][a-z0-9_]*`. */
  schema: string;
  /** The column the leaderboard ranks by (see `leaderboardScoreKey`). */
  leaderboardScoreKey: string;
  /** Connections at most. @default 10 */
  poolSize?: number | undefined;
  /** Retries of a failed write before it is reported. @default 5 */
  retries?: number | undefined;
  /** The first retry's delay; each next one doubles it. @default 100 */
  retryDelayMs?: number | undefined;
  /**
   * The local folder of the journal that keeps queued writes across a process's end (see
   * `resolveJournalDir`). @default EVALTRACK_JOURNAL_DIR, else ~/.local/state/evaltrack/pending
   */
  journalDir?: string | undefined;
  /** Where reports of damaged journal lines go. @default process.emitWarning */
  onWarning?: JournalWarning | undefined;
}

/** What {@link PostgresStore.pushPending} stored. */
export interface PushReport {
  /** Journal files of ended processes (or released by `close()`) taken over. */
  files: number;
  /** Results they held. */
  results: number;
  /** Results inserted now, and results found already stored (a commit whose journal stayed). */
  stored: number;
  alreadyStored: number;
  /** Run changes applied now, and run changes found already applied. */
  runChanges: number;
  runChangesAlreadyApplied: number;
}

type Op = JournalOp;

/** Results a write holds at most; a larger batch is still written in one transaction. */
const CHUNK = 2000;
/** Rows per page when reading a run. */
const PAGE = 1000;
/** Queued results that start a write in the background, and the delay before a smaller one. */
const EAGER_ROWS = 1000;
const EAGER_DELAY_MS = 50;

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

/** The plain text columns of a result, which must hold no NUL. */
const TEXT_COLUMNS = [
  'run_id',
  'sample_id',
  'dataset_name',
  'project_name',
  'timestamp',
  'evaluator_name',
  'model_name',
] as const;

/** Rows per INSERT statement: 12 parameters each, below PostgreSQL's 65,535 per statement. */
const ROWS_PER_INSERT = 4000;

/**
 * `INSERT … VALUES (…), (…) … RETURNING result_id` for `rows` rows, skipping stored result ids.
 * Each value is a parameter of its own, sent as it is: faster than one array per column, which
 * node-postgres must escape into an array literal and the server parse back.
 */
function insertResults(rows: number): string {
  const width = RESULT_COLUMNS.length;
  const tuples = Array.from(
    { length: rows },
    (_, r) => `(${RESULT_COLUMNS.map((_c, c) => `$${r * width + c + 1}`).join(', ')})`,
  );
  return `INSERT INTO results (${RESULT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
    ON CONFLICT (result_id) DO NOTHING RETURNING result_id`;
}
const PUT_RUNS = `${unnestInsert('runs', RUN_TYPES)}
  ON CONFLICT (run_id) DO UPDATE SET
  ${RUN_COLUMNS.filter((c) => c !== 'run_id')
    .map((c) => `${c} = EXCLUDED.${c}`)
    .join(', ')}`;
/**
 * The locks a write takes, in one statement and this order: the schema's rebuild lock, shared (a
 * rebuild takes it alone), then each run's, in the order given (sorted by the caller), so two
 * writers never wait on each other in a cycle. Output expressions run after the sort.
 */
const LOCK_RUNS = `SELECT CASE WHEN ord = 0 THEN pg_advisory_xact_lock_shared(hashtextextended(key, 0))
    ELSE pg_advisory_xact_lock(hashtextextended(key, 0)) END
  FROM (SELECT $1::text AS key, 0::bigint AS ord
        UNION ALL SELECT key, ord FROM unnest($2::text[]) WITH ORDINALITY AS runs (key, ord)) AS keys
  ORDER BY ord`;
/** Columns read back, JSON as text (see the type parsers below). */
const SELECT_RUN = `SELECT ${RUN_COLUMNS.join(', ')} FROM runs`;

const columnsOf = <R, C extends keyof R>(rows: readonly R[], columns: readonly C[]): R[C][][] =>
  columns.map((c) => rows.map((r) => r[c]));

/** SQLSTATE classes and codes worth a retry: connection trouble, deadlocks, a server restarting. */
function isTransient(e: unknown): boolean {
  if (e instanceof EvaltrackError) {
    return e.code === 'E_STORE_IO' && e.cause !== undefined && isTransient(e.cause);
  }
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  // node-postgres reports a lost or refused connection without a code.
  if (typeof code !== 'string')
    return /connection|terminated|timeout|not queryable/i.test(e.message);
  return (
    code.startsWith('08') || // connection exception
    code.startsWith('57P') || // server shutting down or starting
    code === '40001' || // serialization failure
    code === '40P01' || // deadlock detected
    code === '53300' || // too many connections
    /^E[A-Z_]+$/.test(code) || // ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, EAI_AGAIN…
    code.startsWith('ERR_STREAM') // a socket stream that ended
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ignoreError = (): void => {};

/** Schema names become identifiers in SQL and in the connection's search_path: keep them plain. */
export function checkSchemaName(schema: unknown, where: string): string {
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new InvalidInputError(
      'E_INVALID_ARGUMENT',
      `${where} must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters), got ${JSON.stringify(schema)}`,
      where,
    );
  }
  return schema;
}

/** Bytes an index entry of ours may take: PostgreSQL's B-tree limit is about 2,700. */
const MAX_KEY_BYTES = 2000;

/** A store in one schema of a PostgreSQL database. Used by `PostgresExperimentTracker`. */
export class PostgresStore implements ResultStore {
  /** The schema holding the tables. */
  readonly schema: string;
  readonly #pool: Pg.Pool;
  readonly #key: string;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  /** Migrations, run on the first connection (again if that failed); operations wait for them. */
  #ready: Promise<void> | null = null;
  /** Writes not yet stored, in order; an op leaves only once its transaction committed. */
  readonly #queue: Op[] = [];
  #queuedRows = 0;
  /** Ops the database refused for good, out of the queue until a sync() hands them back. */
  readonly #refused: { op: Op; cause: unknown }[] = [];
  #writing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  readonly #journal: PendingJournal;
  /** Set by the first write or read: from then on, each sync adopts journals of ended processes. */
  #active = false;
  #adoptDue = false;
  #adoptAnyHost = false;
  /** Counts since the store opened, for {@link pushPending}. */
  readonly #counts = { files: 0, results: 0, stored: 0, already: 0, changes: 0, changesAlready: 0 };

  constructor(options: PostgresStoreOptions) {
    this.schema = checkSchemaName(options.schema, 'options.schema');
    const pg = loadPg();
    this.#key = options.leaderboardScoreKey;
    this.#retries = options.retries ?? 5;
    this.#retryDelayMs = options.retryDelayMs ?? 100;
    this.#journal = new PendingJournal(
      resolveJournalDir(options.journalDir),
      describeTarget(options.connectionString, this.schema),
      options.onWarning ??
        ((message, code) => process.emitWarning(message, { code, type: 'EvaltrackWarning' })),
    );
    // JSON comes back as text and is parsed by the shared row mapping, as in SQLite; counts as
    // numbers (they stay far below 2^53).
    const json: number = pg.types.builtins.JSON;
    const int8: number = pg.types.builtins.INT8;
    const types: Pg.CustomTypesConfig = {
      getTypeParser: ((oid: number) => {
        if (oid === json) return (text: string) => text;
        if (oid === int8) return Number;
        // pg-types declares its parsers as returning `any`.
        return pg.types.getTypeParser(oid, 'text') as unknown;
      }) as Pg.CustomTypesConfig['getTypeParser'],
    };
    this.#pool = new pg.Pool({
      ...(options.connectionString !== undefined
        ? { connectionString: options.connectionString }
        : {}),
      max: options.poolSize ?? 10,
      // Idle connections do not keep a finished script alive.
      allowExitOnIdle: true,
      // Floats in full precision (the default since PostgreSQL 12): sums are read and rewritten.
      options: `-c search_path=${options.schema} -c extra_float_digits=3`,
      types,
    });
    // A broken idle connection is dropped by the pool; the next query gets a new one.
    this.#pool.on('error', () => {});
    // Started now; a failure is reported by the first operation that waits for it.
    this.#ensureReady().catch(() => {});
  }

  append(results: readonly PreparedResult[]): void {
    if (results.length === 0) return;
    const rows = results.map(toResultRow);
    for (const [i, row] of rows.entries()) {
      // PostgreSQL text cannot hold NUL (JSON cells escape it), and an index entry has a size
      // limit; the database would refuse such a batch only when it is written.
      for (const c of TEXT_COLUMNS) {
        if (row[c]?.includes('\u0000')) {
          throw new InvalidInputError(
            'E_INVALID_ARGUMENT',
            `results[${i}].${c} contains a NUL character, which PostgreSQL text cannot hold; nothing was written`,
            `results[${i}].${c}`,
          );
        }
      }
      const keyBytes = Buffer.byteLength(row.sample_id) + Buffer.byteLength(row.run_id);
      if (keyBytes > MAX_KEY_BYTES || Buffer.byteLength(row.result_id) > MAX_KEY_BYTES) {
        throw new InvalidInputError(
          'E_INVALID_ARGUMENT',
          `results[${i}]: its sample id and run id take ${keyBytes} bytes; the PostgreSQL store indexes at most ${MAX_KEY_BYTES}; nothing was written`,
          `results[${i}].sampleId`,
        );
      }
    }
    this.#enqueue({ kind: 'append', key: this.#key, rows });
  }

  patchRun(runId: string, patch: RunPatch): void {
    this.#enqueue({ kind: 'patch', id: randomUUID(), runId, patch: structuredClone(patch) });
  }

  /** Journals `op` (so it survives this process) and queues it; throws, queuing nothing, if the journal cannot be written. */
  #enqueue(op: Op): void {
    this.#journal.write(op);
    this.#activate();
    this.#queue.push(op);
    if (op.kind === 'append') this.#queuedRows += op.rows.length;
    this.#writeSoon();
  }

  #activate(): void {
    if (this.#active) return;
    this.#active = true;
    this.#adoptDue = true;
  }

  /** The local folder of this database's journal. */
  get journalFolder(): string {
    return this.#journal.folder;
  }

  /** What the journal folder of this database holds; only reads. */
  pending(): PendingFile[] {
    return this.#journal.list();
  }

  /**
   * Takes over the journals of ended processes (and released ones; with `anyHost`, those of other
   * host names too) and stores them with everything queued here.
   */
  async pushPending(options: { anyHost?: boolean } = {}): Promise<PushReport> {
    const before = { ...this.#counts };
    this.#activate();
    this.#adoptAnyHost = options.anyHost === true;
    try {
      await this.sync();
    } finally {
      this.#adoptAnyHost = false;
    }
    const c = this.#counts;
    return {
      files: c.files - before.files,
      results: c.results - before.results,
      stored: c.stored - before.stored,
      alreadyStored: c.already - before.already,
      runChanges: c.changes - before.changes,
      runChangesAlreadyApplied: c.changesAlready - before.changesAlready,
    };
  }

  /** Writes everything queued; rejects with {@link UnstoredResultsError} if some of it failed. */
  async sync(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // A write already under way (from the background) finishes first; its failure is not ours
    // to report: what it could not store is still queued, and is tried again here.
    while (this.#writing) await this.#writing.catch(() => {});
    // Journals of processes that ended since: a flush, a read or a close stores them too.
    if (this.#active) this.#adoptDue = true;
    if (this.#queue.length > 0 || this.#adoptDue) await this.#drain();
    if (this.#refused.length > 0) throw this.#unstored(null);
  }

  async listRuns(): Promise<RunSummary[]> {
    this.#activate();
    await this.sync();
    const { rows } = await this.#query<RunRow>(SELECT_RUN);
    return rows.map((row) => toRunSummary(toAggregate(row)));
  }

  async *readRun(runId: string): AsyncGenerator<ResultRecord> {
    this.#activate();
    await this.sync();
    await this.#ensureReady();
    // All pages from one snapshot: `seq` is taken at insert, not at commit, so pages read one by
    // one could pass over a slower writer's rows that commit later with lower numbers.
    const client = await this.#connect();
    let failed: unknown;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      let after = 0;
      for (;;) {
        const { rows } = await client.query<ResultRow & { seq: number }>({
          name: 'evaltrack-read-run',
          text: `SELECT seq, ${RESULT_COLUMNS.join(', ')} FROM results
            WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
          values: [runId, after],
        });
        for (const row of rows) yield toRecord(row);
        if (rows.length < PAGE) break;
        after = rows[rows.length - 1]?.seq ?? after;
      }
    } catch (e) {
      failed = e;
      throw e instanceof EvaltrackError
        ? e
        : new StoreIoError(`PostgreSQL: ${(e as Error).message}`, e);
    } finally {
      // Also when the caller stops early: the read-only transaction ends before the connection
      // goes back to the pool.
      failed ??= await client.query('ROLLBACK').then(
        () => undefined,
        (e: unknown) => e,
      );
      this.#release(client, failed);
    }
  }

  async readResult(runId: string, resultId: string): Promise<ResultRecord | null> {
    this.#activate();
    await this.sync();
    const { rows } = await this.#query<ResultRow>({
      name: 'evaltrack-read-result',
      text: `SELECT ${RESULT_COLUMNS.join(', ')} FROM results WHERE result_id = $1 AND run_id = $2`,
      values: [resultId, runId],
    });
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Refolds every run's aggregates from its results, in logging order (context kept). */
  async rebuild(): Promise<{ setAside: number }> {
    this.#activate();
    await this.sync();
    await this.#ensureReady();
    await this.#transaction(async (client) => {
      // Writers hold this lock shared: taking it alone waits for them and holds them off.
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        this.#rebuildLock,
      ]);
      const before = new Map(
        (await client.query<RunRow>(SELECT_RUN)).rows.map((row) => [row.run_id, toAggregate(row)]),
      );
      const refold = new RunRefold(before, this.#key);
      let after = 0;
      for (;;) {
        const { rows } = await client.query<FoldRow & { seq: number }>(
          `SELECT seq, run_id, dataset_name, project_name, timestamp, evaluator_name, model_name,
             score_values FROM results WHERE seq > $1 ORDER BY seq LIMIT 10000`,
          [after],
        );
        for (const row of rows) refold.add(row);
        if (rows.length < 10000) break;
        after = rows[rows.length - 1]?.seq ?? after;
      }
      await this.#putRuns(client, refold.finish());
    });
    return { setAside: 0 };
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#writing?.catch(() => {});
    // What is still queued stays in the journal, handed over to the next tracker of this database.
    this.#journal.close(this.#queue.length > 0);
    await this.#pool.end();
  }

  // --- writing ---

  /** Starts a write in the background: at once for a large queue, after a moment otherwise. */
  #writeSoon(): void {
    const eager = this.#queuedRows >= EAGER_ROWS;
    if (this.#timer && !eager) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        // What fails stays queued (or refused), and the next sync() reports it.
        this.#drain().catch(() => {});
      },
      eager ? 0 : EAGER_DELAY_MS,
    );
  }

  /**
   * Writes the queue; joins the write under way instead of starting a second one. Rejects with
   * the results not stored.
   */
  #drain(): Promise<void> {
    if (this.#writing) return this.#writing;
    if (this.#queue.length === 0 && !this.#adoptDue) return Promise.resolve();
    const writing = this.#writeQueue().finally(() => {
      if (this.#writing === writing) this.#writing = null;
    });
    this.#writing = writing;
    return writing;
  }

  /**
   * Writes the queue in order, one transaction per chunk, each retried. A transient failure
   * leaves the rest queued and rejects. An op the database refuses for good (data it cannot
   * hold) would block every later write if it stayed: it leaves the queue for `#refused`, to be
   * handed back by the next sync(); a chunk of several batches is first retried batch by batch,
   * to find which.
   */
  async #writeQueue(): Promise<void> {
    if (this.#adoptDue) {
      // Here, where no write is under way: their records go before ours (they were logged first).
      this.#adoptDue = false;
      const { ops: adopted, files } = this.#journal.adopt({ anyHost: this.#adoptAnyHost });
      if (adopted.length > 0) {
        this.#queue.unshift(...adopted);
        for (const op of adopted) {
          if (op.kind === 'append') {
            this.#queuedRows += op.rows.length;
            this.#counts.results += op.rows.length;
          }
        }
      }
      this.#counts.files += files;
      if (this.#queue.length === 0) {
        // Only empty files were adopted (their process died after its commit): remove them.
        this.#journal.settled();
        return;
      }
    }
    try {
      await this.#retrying(() => this.#ensureReady());
    } catch (cause) {
      throw this.#unstored(cause);
    }
    let alone = 0;
    while (this.#queue.length > 0) {
      const take = alone > 0 ? [this.#queue[0] as Op] : this.#nextChunk();
      try {
        await this.#retrying(() => this.#writeOps(take));
      } catch (cause) {
        if (isTransient(cause)) throw this.#unstored(cause);
        if (take.length > 1) {
          alone = take.length;
          continue;
        }
        this.#refused.push({ op: take[0] as Op, cause });
        this.#journal.setAsideRefused(take[0] as Op, cause);
      }
      if (alone > 0) alone--;
      this.#queue.splice(0, take.length);
      for (const op of take) if (op.kind === 'append') this.#queuedRows -= op.rows.length;
    }
    // Everything is committed or set aside; synchronously, so no log() can slip in between.
    this.#journal.settled();
  }

  /** The ops at the head of the queue that one transaction writes: whole batches, or one patch. */
  #nextChunk(): Op[] {
    const first = this.#queue[0] as Op;
    if (first.kind === 'patch') return [first];
    const take: Op[] = [first];
    let rows = first.rows.length;
    for (const op of this.#queue.slice(1)) {
      // One leaderboard key per write: a replayed journal may come from another configuration.
      if (op.kind !== 'append' || op.key !== first.key || rows + op.rows.length > CHUNK) break;
      take.push(op);
      rows += op.rows.length;
    }
    return take;
  }

  async #writeOps(ops: readonly Op[]): Promise<void> {
    const counts = { stored: 0, already: 0, changes: 0, changesAlready: 0 };
    await this.#transaction(async (client) => {
      Object.assign(counts, { stored: 0, already: 0, changes: 0, changesAlready: 0 });
      const first = ops[0] as Op;
      if (first.kind === 'patch') {
        const [run] = await this.#lockRuns(client, [first.runId]);
        // Applied once by id: a journal replayed after its commit must not apply an old context
        // or summary over a newer one.
        const { rows: fresh } = await client.query({
          name: 'evaltrack-run-change',
          text: `INSERT INTO run_changes (change_id, run_id) VALUES ($1, $2)
            ON CONFLICT (change_id) DO NOTHING RETURNING change_id`,
          values: [first.id, first.runId],
        });
        if (fresh.length === 0) {
          counts.changesAlready++;
          return;
        }
        const agg =
          run ?? emptyAggregate(first.runId, first.patch.datasetName, first.patch.projectName);
        await this.#putRuns(client, [applyPatch(agg, first.patch)]);
        counts.changes++;
        return;
      }
      const key = first.key;
      const rows = ops.flatMap((op) => (op.kind === 'append' ? op.rows : []));
      const runs = new Map<string, RunAggregate | undefined>(
        (await this.#lockRuns(client, [...new Set(rows.map((r) => r.run_id))])).map((a) => [
          a.runId,
          a,
        ]),
      );
      const inserted = new Set<string>();
      for (let from = 0; from < rows.length; from += ROWS_PER_INSERT) {
        const part = rows.slice(from, from + ROWS_PER_INSERT);
        const { rows: ids } = await client.query<{ result_id: string }>(
          insertResults(part.length),
          part.flatMap((row) => RESULT_COLUMNS.map((c) => row[c])),
        );
        for (const { result_id } of ids) inserted.add(result_id);
      }
      const insertedCount = inserted.size;
      const changed = new Map<string, RunAggregate>();
      for (const row of rows) {
        // `delete`: a result id twice in one write was stored once, so it counts once.
        if (!inserted.delete(row.result_id)) continue;
        const run = foldRow(runs.get(row.run_id), row, key);
        runs.set(row.run_id, run);
        changed.set(row.run_id, run);
      }
      await this.#putRuns(client, [...changed.values()]);
      counts.stored += insertedCount;
      counts.already += rows.length - insertedCount;
    });
    // Counted once committed.
    this.#counts.stored += counts.stored;
    this.#counts.already += counts.already;
    this.#counts.changes += counts.changes;
    this.#counts.changesAlready += counts.changesAlready;
  }

  /** Takes the runs' locks, in sorted order, and reads their aggregates (missing runs left out). */
  async #lockRuns(client: Pg.PoolClient, runIds: readonly string[]): Promise<RunAggregate[]> {
    const sorted = [...runIds].sort();
    await client.query({
      name: 'evaltrack-lock-runs',
      text: LOCK_RUNS,
      values: [this.#rebuildLock, sorted.map((id) => `evaltrack-run:${this.schema}:${id}`)],
    });
    const { rows } = await client.query<RunRow>({
      name: 'evaltrack-get-runs',
      text: `${SELECT_RUN} WHERE run_id = ANY($1::text[])`,
      values: [sorted],
    });
    return rows.map(toAggregate);
  }

  async #putRuns(client: Pg.PoolClient, runs: readonly RunAggregate[]): Promise<void> {
    if (runs.length === 0) return;
    await client.query({
      name: 'evaltrack-put-runs',
      text: PUT_RUNS,
      values: columnsOf(runs.map(toRunRow), RUN_COLUMNS),
    });
  }

  /** Runs `fn` until it succeeds, retrying transient failures with doubling delays. */
  async #retrying(fn: () => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (attempt >= this.#retries || !isTransient(e)) throw e;
        await sleep(this.#retryDelayMs * 2 ** attempt);
      }
    }
  }

  /** The error for what is not stored: ops refused (handed back once) and ops still queued. */
  #unstored(cause: unknown): UnstoredResultsError {
    const refused = this.#refused.splice(0);
    const ops = [...refused.map((r) => r.op), ...this.#queue];
    const rows = ops.flatMap((op) => (op.kind === 'append' ? op.rows : []));
    const changes = ops.flatMap((op) =>
      op.kind === 'patch' ? [{ runId: op.runId, ...structuredClone(op.patch) }] : [],
    );
    const patches = changes.length;
    const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
    const parts = [];
    if (refused.length > 0) {
      parts.push(
        `${refused.length} batches refused by PostgreSQL (${message(refused[0]?.cause)}), ` +
          'taken out of the queue: they are in this error only',
      );
    }
    if (this.#queue.length > 0) {
      parts.push(
        `${this.#queue.length} batches not written (${message(cause)}), kept in the queue and ` +
          `in the local journal ${this.#journal.folder}: the next flush() tries them again, ` +
          'and if this process ends first, the next tracker of this database or ' +
          '`evaltrack pending --push` stores them (some may have been stored just before the ' +
          'failure; they are not stored twice)',
      );
    }
    return new UnstoredResultsError(
      `${rows.length} results and ${patches} run changes were not stored: ${parts.join('; ')}`,
      rows.map(toRecord),
      patches,
      this.#queue.length > 0 ? cause : refused[0]?.cause,
      changes,
    );
  }

  // --- connections ---

  get #rebuildLock(): string {
    return `evaltrack-rebuild:${this.schema}`;
  }

  #ensureReady(): Promise<void> {
    this.#ready ??= this.#withClient((client) => migrate(client, this.schema)).catch((e) => {
      this.#ready = null;
      throw e instanceof EvaltrackError
        ? e
        : new StoreIoError(`PostgreSQL, schema ${this.schema}: ${(e as Error).message}`, e);
    });
    return this.#ready;
  }

  /** A pooled connection whose connection errors are left to the query that meets them. */
  async #connect(): Promise<Pg.PoolClient> {
    const client = await this.#pool.connect();
    // A connection lost mid-query also emits 'error'; the query's rejection reports it.
    client.on('error', ignoreError);
    return client;
  }

  /** Gives a connection back; one that failed mid-way is closed, not reused. */
  #release(client: Pg.PoolClient, failure: unknown): void {
    client.off('error', ignoreError);
    client.release(failure === undefined ? undefined : failure instanceof Error ? failure : true);
  }

  async #withClient<T>(fn: (client: Pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#connect();
    let failed: unknown;
    try {
      return await fn(client);
    } catch (e) {
      failed = e;
      throw e;
    } finally {
      this.#release(client, failed);
    }
  }

  async #transaction(fn: (client: Pg.PoolClient) => Promise<void>): Promise<void> {
    await this.#withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await fn(client);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      }
    });
  }

  async #query<R extends Pg.QueryResultRow>(
    query: string | Pg.QueryConfig,
  ): Promise<Pg.QueryResult<R>> {
    await this.#ensureReady();
    try {
      return await this.#pool.query<R>(query);
    } catch (e) {
      if (e instanceof EvaltrackError) throw e;
      throw new StoreIoError(`PostgreSQL: ${(e as Error).message}`, e);
    }
  }
}
