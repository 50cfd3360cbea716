/**
 * The format of the PostgreSQL store's journal files, and how they are read back. Each line is one
 * JSON record (`v: 1`): a queued batch of results, a run change, or one part of a large batch.
 * Reading keeps what replays whole and returns the rest as damage, never dropped: a line that does
 * not parse, the parts of a batch whose other parts are missing, a tail cut short by `kill -9`.
 */
import { randomUUID } from 'node:crypto';
import type { RunPatch } from '../../tracker/result-store.js';
import type { ResultRow } from '../sql/sql-rows.js';

/** One queued write: a batch of results (ranked by `key`), or a run change applied once by `id`. */
export type JournalOp =
  | { kind: 'append'; key: string; rows: ResultRow[] }
  | { kind: 'patch'; id: string; runId: string; patch: RunPatch };

/** One line: a whole op, or a part of a large batch (`batch` id, `part` of `parts`). */
interface JournalRecord {
  op: JournalOp;
  batch?: { id: string; part: number; parts: number };
}

function parseRecord(line: string): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v['v'] !== 1) return undefined;
  if (v['kind'] === 'append' && typeof v['key'] === 'string' && Array.isArray(v['rows'])) {
    const rows = v['rows'] as unknown[];
    const ok = rows.every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        typeof (r as Record<string, unknown>)['result_id'] === 'string' &&
        typeof (r as Record<string, unknown>)['run_id'] === 'string',
    );
    if (!ok) return undefined;
    const op: JournalOp = { kind: 'append', key: v['key'], rows: rows as ResultRow[] };
    const b = v['batch'];
    if (b === undefined) return { op };
    if (typeof b !== 'object' || b === null) return undefined;
    const { id, part, parts } = b as Record<string, unknown>;
    if (typeof id !== 'string' || !Number.isInteger(part) || !Number.isInteger(parts)) {
      return undefined;
    }
    return { op, batch: { id, part: part as number, parts: parts as number } };
  }
  if (
    v['kind'] === 'patch' &&
    typeof v['id'] === 'string' &&
    typeof v['runId'] === 'string' &&
    typeof v['patch'] === 'object' &&
    v['patch'] !== null
  ) {
    return { op: { kind: 'patch', id: v['id'], runId: v['runId'], patch: v['patch'] as RunPatch } };
  }
  return undefined;
}

/** Results per line at most: a line is one string, and V8 caps a string at about 512 MB. */
const PART_ROWS = 1000;

/**
 * The lines of `op`: one, or for a large batch one per {@link PART_ROWS} results, marked as parts
 * of it, so that a replay stores the batch whole or not at all, as `logBatch` does.
 */
export function linesOf(op: JournalOp): Buffer[] {
  if (op.kind === 'patch' || op.rows.length <= PART_ROWS) {
    return [Buffer.from(`${JSON.stringify({ v: 1, ...op })}\n`)];
  }
  const id = randomUUID();
  const parts = Math.ceil(op.rows.length / PART_ROWS);
  return Array.from({ length: parts }, (_, part) =>
    Buffer.from(
      `${JSON.stringify({
        v: 1,
        kind: 'append',
        key: op.key,
        rows: op.rows.slice(part * PART_ROWS, (part + 1) * PART_ROWS),
        batch: { id, part, parts },
      })}\n`,
    ),
  );
}

/**
 * Reads a journal file: its ops, the lines that replay them (`good`), and the bytes that do not
 * (`bad`: unreadable lines, the parts of a batch whose other parts are missing, a torn tail).
 */
export function readJournal(bytes: Buffer): { ops: JournalOp[]; good: Buffer[]; bad: Buffer[] } {
  const ops: JournalOp[] = [];
  const lines: { bytes: Buffer; batch?: string }[] = [];
  const bad: Buffer[] = [];
  let open: { id: string; parts: number; rows: ResultRow[]; key: string; next: number } | null =
    null;
  const dropOpen = (): void => {
    if (!open) return;
    const id = open.id;
    for (const line of lines.filter((l) => l.batch === id)) bad.push(line.bytes);
    lines.splice(0, lines.length, ...lines.filter((l) => l.batch !== id));
    open = null;
  };
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    if (end === -1) break;
    const line = bytes.subarray(start, end + 1);
    start = end + 1;
    if (line.length === 1) continue;
    const record = parseRecord(line.toString('utf8', 0, line.length - 1));
    if (!record) {
      bad.push(line);
      continue;
    }
    const { op, batch } = record;
    if (!batch) {
      dropOpen();
      ops.push(op);
      lines.push({ bytes: line });
      continue;
    }
    // Parts of one batch are written one after the other by one process.
    if (open && (open.id !== batch.id || open.next !== batch.part)) dropOpen();
    if (!open) {
      if (batch.part !== 0 || op.kind !== 'append') {
        bad.push(line);
        continue;
      }
      open = { id: batch.id, parts: batch.parts, rows: [], key: op.key, next: 0 };
    }
    if (op.kind === 'append') open.rows.push(...op.rows);
    open.next++;
    lines.push({ bytes: line, batch: batch.id });
    if (open.next === open.parts) {
      ops.push({ kind: 'append', key: open.key, rows: open.rows });
      open = null;
    }
  }
  dropOpen();
  // A last line without its newline was cut short while being written: even if it parses, the
  // write that made it did not finish, so it is set aside too (and reported).
  if (start < bytes.length) bad.push(bytes.subarray(start));
  return { ops, good: lines.map((l) => l.bytes), bad };
}
