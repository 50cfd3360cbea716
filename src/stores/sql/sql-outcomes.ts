/**
 * The narrow read of the SQL stores (`ResultStore.readOutcomes`), written once: which values the
 * database takes out of a result's `score_values`, and how a row reads back. SQLite's
 * `json_extract` gives SQL values; PostgreSQL's `->` gives JSON text.
 */
import { setOwn } from '../../tracker/check-input.js';
import type { OutcomeRow } from '../../tracker/result-store.js';
import type { FlatValue } from '../../types.js';

/**
 * A row of the narrow read: run, sample, trial and either each value asked for (`v0`, `v1`, …)
 * or, when a name cannot be written as a path, the whole `score_values`.
 */
export interface SqlOutcome {
  run_id: string;
  dataset_name: string;
  sample_id: string;
  trial: unknown;
  score_values?: string;
  [value: `v${number}`]: unknown;
}

/**
 * The SQLite JSON path of a top-level key (`$."generation.aggregate_success"`), or null for a key
 * with a quote, a backslash or a control character, which such a path cannot name exactly.
 */
export const sqlitePath = (key: string): string | null =>
  // eslint-disable-next-line no-control-regex
  /["\\\u0000-\u001f]/.test(key) ? null : `$."${key}"`;

const isValue = (v: unknown): v is FlatValue =>
  typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string';

/**
 * A row of the narrow read as an {@link OutcomeRow}, with the values of `columns` (all of them when
 * null, from the whole `score_values`); `json` when the database gave the values and
 * the trial as JSON text (PostgreSQL), not as SQL values (SQLite).
 */
export function outcomeRow(
  row: SqlOutcome,
  columns: readonly string[] | null,
  json: boolean,
): OutcomeRow {
  const values: Record<string, FlatValue> = {};
  if (row.score_values !== undefined) {
    const all = JSON.parse(row.score_values) as Record<string, FlatValue>;
    // Every value when no column is named (a sample's own rows).
    for (const c of columns ?? Object.keys(all))
      if (Object.hasOwn(all, c) && isValue(all[c])) setOwn(values, c, all[c]);
  } else {
    columns?.forEach((c, i) => {
      const raw = row[`v${i}`];
      const v: unknown = json && typeof raw === 'string' ? JSON.parse(raw) : raw;
      if (isValue(v)) setOwn(values, c, v);
    });
  }
  const trial: unknown = json && typeof row.trial === 'string' ? JSON.parse(row.trial) : row.trial;
  return {
    runId: row.run_id,
    datasetName: row.dataset_name,
    sampleId: row.sample_id,
    trial: typeof trial === 'number' ? trial : null,
    values,
  };
}
