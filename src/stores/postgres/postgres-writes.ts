/**
 * The write transactions of the PostgreSQL store. Each takes the runs' advisory locks in a fixed
 * order, inserts the results (multi-row statements, duplicates skipped by result id), folds the
 * ones actually inserted into the runs' aggregates with the shared rules, and writes the runs
 * back. Because inserts skip known result ids and only inserted rows are folded, replaying a
 * write whose acknowledgement was lost stores nothing twice.
 */
import type Pg from 'pg';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import { applyPatch, emptyAggregate, foldResult } from '../../tracker/run-aggregate.js';
import type { StoreRules } from '../../tracker/result-store.js';
import {
  RESULT_COLUMNS,
  RUN_COLUMNS,
  RunRefold,
  foldRow,
  toAggregate,
  toRunRow,
} from '../sql/sql-rows.js';
import type { FoldRow, RunRow } from '../sql/sql-rows.js';
import type { JournalOp } from './journal-records.js';
import type { PostgresConnections } from './postgres-connections.js';
import {
  LOCK_REBUILD,
  LOCK_RUNS,
  PUT_RUNS,
  REBUILD_PAGE,
  REBUILD_PAGE_ROWS,
  RECORD_RUN_CHANGE,
  ROWS_PER_INSERT,
  SELECT_RUNS,
  SELECT_RUNS_BY_ID,
  insertResults,
  rebuildLockKey,
  runLockKey,
} from './postgres-sql.js';

/** Results a write holds at most; a larger batch is still written in one transaction. */
const CHUNK_ROWS = 2000;

/** What one committed write stored, for `pushPending`'s report. */
export interface WriteCounts {
  /** Results inserted, and results found already stored. */
  stored: number;
  already: number;
  /** Run changes applied, and run changes found already applied. */
  changes: number;
  changesAlready: number;
}

/** How many ops at the head of `queued` one transaction writes: whole batches, or one patch. */
export function chunkLength(queued: readonly JournalOp[]): number {
  const first = queued[0];
  if (first === undefined || first.kind === 'patch') return 1;
  let take = 1;
  let rows = first.rows.length;
  for (const op of queued.slice(1)) {
    // One leaderboard key per write: a replayed journal may come from another configuration.
    if (op.kind !== 'append' || op.key !== first.key || rows + op.rows.length > CHUNK_ROWS) break;
    take++;
    rows += op.rows.length;
  }
  return take;
}

/** Writes `ops` (batches of one key, or one patch) in one transaction; counts once committed. */
export async function writeOps(
  db: PostgresConnections,
  schema: string,
  ops: readonly JournalOp[],
): Promise<WriteCounts> {
  const counts: WriteCounts = { stored: 0, already: 0, changes: 0, changesAlready: 0 };
  await db.transaction(async (client) => {
    Object.assign(counts, { stored: 0, already: 0, changes: 0, changesAlready: 0 });
    const first = ops[0] as JournalOp;
    if (first.kind === 'patch') {
      const [run] = await lockRuns(client, schema, [first.runId]);
      // Applied once by id.
      const { rows: fresh } = await client.query({
        ...RECORD_RUN_CHANGE,
        values: [first.id, first.runId],
      });
      if (fresh.length === 0) {
        counts.changesAlready++;
        return;
      }
      const agg =
        run ?? emptyAggregate(first.runId, first.patch.datasetName, first.patch.projectName);
      await putRuns(client, [applyPatch(agg, first.patch)]);
      counts.changes++;
      return;
    }
    const key = first.key;
    const rows = ops.flatMap((op) => (op.kind === 'append' ? op.rows : []));
    const runs = new Map<string, RunAggregate | undefined>(
      (await lockRuns(client, schema, [...new Set(rows.map((r) => r.run_id))])).map((a) => [
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
      const run = foldRow(runs.get(row.run_id), row, foldingOn(key));
      runs.set(row.run_id, run);
      changed.set(row.run_id, run);
    }
    await putRuns(client, [...changed.values()]);
    counts.stored += insertedCount;
    counts.already += rows.length - insertedCount;
  });
  return counts;
}

/**
 * Refolds every run's aggregates from its results, in logging order (context kept), in one
 * transaction that holds writers off.
 */
export async function rebuildRuns(
  db: PostgresConnections,
  schema: string,
  key: string,
): Promise<void> {
  await db.transaction(async (client) => {
    // Writers hold this lock shared: taking it alone waits for them and holds them off.
    await client.query(LOCK_REBUILD, [rebuildLockKey(schema)]);
    const before = new Map(
      (await client.query<RunRow>(SELECT_RUNS)).rows.map((row) => [row.run_id, toAggregate(row)]),
    );
    const refold = new RunRefold(before, foldingOn(key));
    let after = 0;
    for (;;) {
      const { rows } = await client.query<FoldRow & { seq: number }>(REBUILD_PAGE, [after]);
      for (const row of rows) refold.add(row);
      if (rows.length < REBUILD_PAGE_ROWS) break;
      after = rows[rows.length - 1]?.seq ?? after;
    }
    await putRuns(client, refold.finish());
  });
}

/** Takes the runs' locks, in sorted order, and reads their aggregates (missing runs left out). */
async function lockRuns(
  client: Pg.PoolClient,
  schema: string,
  runIds: readonly string[],
): Promise<RunAggregate[]> {
  const sorted = [...runIds].sort();
  await client.query({
    ...LOCK_RUNS,
    values: [rebuildLockKey(schema), sorted.map((id) => runLockKey(schema, id))],
  });
  const { rows } = await client.query<RunRow>({ ...SELECT_RUNS_BY_ID, values: [sorted] });
  return rows.map(toAggregate);
}

async function putRuns(client: Pg.PoolClient, runs: readonly RunAggregate[]): Promise<void> {
  if (runs.length === 0) return;
  const rows = runs.map(toRunRow);
  await client.query({ ...PUT_RUNS, values: RUN_COLUMNS.map((c) => rows.map((r) => r[c])) });
}

/**
 * The leaderboard rules for writes queued with `key`: a journal replayed by another tracker folds
 * with the key of the tracker that logged them.
 */
const foldingOn = (key: string): Pick<StoreRules, 'fold' | 'applyPatch'> => ({
  fold: (aggregate, row) => foldResult(aggregate, row, key),
  applyPatch,
});
