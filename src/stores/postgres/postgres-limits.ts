/**
 * What PostgreSQL cannot hold, checked before anything is queued: the database would refuse such
 * data only when the write reaches it, long after `log()` returned.
 */
import { InvalidInputError } from '../../errors.js';
import type { ResultRow } from '../sql/sql-rows.js';

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

/** Bytes an index entry of ours may take: PostgreSQL's B-tree limit is about 2,700. */
const MAX_KEY_BYTES = 2000;

/**
 * Throws `E_INVALID_ARGUMENT` for the first row PostgreSQL could not store: a NUL in a text column
 * (JSON cells escape it), or ids over the index entry limit.
 */
export function checkStorable(rows: readonly ResultRow[]): void {
  for (const [i, row] of rows.entries()) {
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
}
