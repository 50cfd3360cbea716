/**
 * The PostgreSQL store, for teams: many machines write one database, and everyone reads one
 * leaderboard. `append` and `patchRun` check what PostgreSQL can hold (`postgres-limits.ts`),
 * journal the write locally (`pending-journal.ts`) and queue it (`../remote/write-queue.ts`), so
 * `log()` stays synchronous and what a process queued survives its end; `sync` writes the queue in
 * order, retrying transient failures (`error-classification.ts`). Each write is one transaction
 * (`postgres-writes.ts`) that stores nothing twice, even when retried after a lost
 * acknowledgement. A batch the database refuses for good leaves the queue and is handed back by
 * the next `sync`, so it cannot block the others. The first write or read of a store adopts the
 * journals of ended processes and writes them before its own queue. The SQL text is in
 * `postgres-sql.ts`.
 */
import { randomUUID } from 'node:crypto';
import { UnstoredResultsError } from '../../errors.js';
import type { StoreRules } from '../../tracker/result-store.js';
import type {
  OutcomeRow,
  PreparedResult,
  ResultStore,
  RunPatch,
} from '../../tracker/result-store.js';
import { toRunSummary } from '../../tracker/run-aggregate.js';
import type { ResultRecord, RunSummary } from '../../types.js';
import { toAggregate, toRecord, toResultRow } from '../sql/sql-rows.js';
import type { ResultRow, RunRow } from '../sql/sql-rows.js';
import { outcomeRow } from '../sql/sql-outcomes.js';
import type { SqlOutcome } from '../sql/sql-outcomes.js';
import { WriteQueue } from '../remote/write-queue.js';
import type { RefusedOp } from '../remote/write-queue.js';
import { isTransient } from './error-classification.js';
import { describeTarget, resolveJournalDir } from './journal-location.js';
import type { JournalOp } from './journal-records.js';
import type { JournalWarning } from './journal-takeover.js';
import { PendingJournal } from './pending-journal.js';
import type { PendingFile } from './pending-journal.js';
import { PostgresConnections, toStoreError } from './postgres-connections.js';
import { checkSchemaName, checkStorable } from './postgres-limits.js';
import {
  BEGIN_READ_SNAPSHOT,
  CHANGE_MARKER,
  READ_PAGE_ROWS,
  READ_RESULT,
  READ_RUN_PAGE,
  READ_SAMPLE,
  READ_SAMPLE_ROWS,
  readOutcomesSql,
  SELECT_RUNS,
} from './postgres-sql.js';
import { chunkLength, rebuildRuns, writeOps } from './postgres-writes.js';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://` URL; when omitted, node-postgres reads the `PG*` environment variables. */
  connectionString?: string | undefined;
  /** The schema holding the tables, created when missing: `[a-z_][a-z0-9_]*`. */
  schema: string;
  /** The tracker's rules; the leaderboard key travels with queued writes. */
  rules: StoreRules;
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

const rowsOf = (op: JournalOp): number => (op.kind === 'append' ? op.rows.length : 0);

/** A store in one schema of a PostgreSQL database. Used by `PostgresExperimentTracker`. */
export class PostgresStore implements ResultStore {
  /** The schema holding the tables. */
  readonly schema: string;
  readonly #db: PostgresConnections;
  /** The database, without its password: `user@host:port/db#schema` (its journal's name too). */
  readonly #target: string;
  readonly #key: string;
  readonly #journal: PendingJournal;
  readonly #queue: WriteQueue<JournalOp>;
  #adoptAnyHost = false;
  /** Counts since the store opened, for {@link pushPending}. */
  readonly #counts = { files: 0, results: 0, stored: 0, already: 0, changes: 0, changesAlready: 0 };

  constructor(options: PostgresStoreOptions) {
    this.schema = checkSchemaName(options.schema, 'options.schema');
    this.#db = new PostgresConnections({ ...options, schema: this.schema });
    this.#key = options.rules.leaderboardScoreKey;
    this.#target = describeTarget(options.connectionString, this.schema);
    this.#journal = new PendingJournal(
      resolveJournalDir(options.journalDir),
      this.#target,
      options.onWarning ??
        ((message, code) => process.emitWarning(message, { code, type: 'EvaltrackWarning' })),
    );
    this.#queue = new WriteQueue<JournalOp>({
      journal: this.#journal,
      retry: {
        retries: options.retries ?? 5,
        delayMs: options.retryDelayMs ?? 100,
        isTransient,
      },
      size: rowsOf,
      chunk: chunkLength,
      ready: () => this.#db.ready(),
      write: (ops) => this.#write(ops),
      adopt: () => this.#adopt(),
      unstored: (refused, queued, cause) => this.#unstored(refused, queued, cause),
    });
  }

  append(results: readonly PreparedResult[]): void {
    if (results.length === 0) return;
    const rows = results.map(toResultRow);
    checkStorable(rows);
    this.#queue.push({ kind: 'append', key: this.#key, rows });
  }

  patchRun(runId: string, patch: RunPatch): void {
    this.#queue.push({ kind: 'patch', id: randomUUID(), runId, patch: structuredClone(patch) });
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
    this.#queue.activate();
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
  sync(): Promise<void> {
    return this.#queue.sync();
  }

  async listRuns(): Promise<RunSummary[]> {
    await this.#beforeRead();
    const { rows } = await this.#db.query<RunRow>(SELECT_RUNS);
    return rows.map((row) => toRunSummary(toAggregate(row)));
  }

  /**
   * What the database holds now (queued writes of this process count once written): the last
   * result's `seq` (through the primary key) and the runs' count, last update and total results
   * (one row a run). One small query; no result is read.
   */
  async changeMarker(): Promise<string> {
    const { rows } = await this.#db.query<{ marker: string }>(CHANGE_MARKER);
    return rows[0]?.marker ?? '';
  }

  async *readRun(runId: string): AsyncGenerator<ResultRecord> {
    await this.#beforeRead();
    await this.#db.ready();
    // All pages from one snapshot: `seq` is taken at insert, not at commit, so pages read one by
    // one could pass over a slower writer's rows that commit later with lower numbers.
    const client = await this.#db.connect();
    let failed: unknown;
    try {
      await client.query(BEGIN_READ_SNAPSHOT);
      let after = 0;
      for (;;) {
        const { rows } = await client.query<ResultRow & { seq: number }>({
          ...READ_RUN_PAGE,
          values: [runId, after],
        });
        for (const row of rows) yield toRecord(row);
        if (rows.length < READ_PAGE_ROWS) break;
        after = rows[rows.length - 1]?.seq ?? after;
      }
    } catch (e) {
      failed = e;
      throw toStoreError(e);
    } finally {
      // Also when the caller stops early: the read-only transaction ends before the connection
      // goes back to the pool.
      failed ??= await client.query('ROLLBACK').then(
        () => undefined,
        (e: unknown) => e,
      );
      this.#db.release(client, failed);
    }
  }

  async readResult(runId: string, resultId: string): Promise<ResultRecord | null> {
    await this.#beforeRead();
    const { rows } = await this.#db.query<ResultRow>({
      ...READ_RESULT,
      values: [resultId, runId],
    });
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** One statement, so one snapshot: through the index by sample (`results_by_sample`). */
  async *readSample(
    sampleId: string,
    options: { datasetName?: string; runIds?: readonly string[] } = {},
  ): AsyncGenerator<ResultRecord> {
    await this.#beforeRead();
    const { rows } = await this.#db.query<ResultRow>({
      ...READ_SAMPLE,
      values: [sampleId, options.datasetName ?? null, options.runIds ?? null],
    });
    for (const row of rows) yield toRecord(row);
  }

  /** Through the index by sample, without the texts. */
  async *readSampleOutcomes(sampleId: string, datasetName?: string): AsyncGenerator<OutcomeRow> {
    await this.#beforeRead();
    const { rows } = await this.#db.query<SqlOutcome>({
      ...READ_SAMPLE_ROWS,
      values: [sampleId, datasetName ?? null],
    });
    for (const row of rows) yield outcomeRow(row, null, true);
  }

  /** One statement over the runs; PostgreSQL takes the values out of each result's values. */
  async *readOutcomes(
    runIds: readonly string[],
    columns: readonly string[],
  ): AsyncGenerator<OutcomeRow> {
    await this.#beforeRead();
    const { rows } = await this.#db.query<SqlOutcome>({
      ...readOutcomesSql(columns.length),
      values: [runIds, ...columns],
    });
    for (const row of rows) yield outcomeRow(row, columns, true);
  }

  /** Refolds every run's aggregates from its results, in logging order (context kept). */
  async rebuild(): Promise<{ setAside: number }> {
    await this.#beforeRead();
    await this.#db.ready();
    await rebuildRuns(this.#db, this.schema, this.#key);
    return { setAside: 0 };
  }

  locations(): { results: string; leaderboard: string } {
    return { results: `postgres://${this.#target}`, leaderboard: `postgres://${this.#target}` };
  }

  async close(): Promise<void> {
    await this.#queue.close();
    // What is still queued stays in the journal, handed over to the next tracker of this database.
    this.#journal.close(this.#queue.length > 0);
    await this.#db.end();
  }

  /** A tracker reads its writes: the queue (and what ended processes left) is written first. */
  async #beforeRead(): Promise<void> {
    this.#queue.activate();
    await this.sync();
  }

  /** Journals of ended processes, counted for {@link pushPending}. */
  #adopt(): readonly JournalOp[] {
    const { ops, files } = this.#journal.adopt({ anyHost: this.#adoptAnyHost });
    for (const op of ops) this.#counts.results += rowsOf(op);
    this.#counts.files += files;
    return ops;
  }

  async #write(ops: readonly JournalOp[]): Promise<void> {
    const counts = await writeOps(this.#db, this.schema, ops);
    // Counted once committed.
    this.#counts.stored += counts.stored;
    this.#counts.already += counts.already;
    this.#counts.changes += counts.changes;
    this.#counts.changesAlready += counts.changesAlready;
  }

  /** The error for what is not stored: ops refused (handed back once) and ops still queued. */
  #unstored(
    refused: readonly RefusedOp<JournalOp>[],
    queued: readonly JournalOp[],
    cause: unknown,
  ): UnstoredResultsError {
    const ops = [...refused.map((r) => r.op), ...queued];
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
    if (queued.length > 0) {
      parts.push(
        `${queued.length} batches not written (${message(cause)}), kept in the queue and ` +
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
      queued.length > 0 ? cause : refused[0]?.cause,
      changes,
    );
  }
}
