/**
 * Reading by sample from the results file, in one streaming pass: every result of one sample
 * (its history), and the narrow rows of many runs (their outcomes, for flaky samples).
 */
import type { OutcomeRow } from '../../tracker/result-store.js';
import type { ResultRecord } from '../../types.js';
import { unescapeText } from './csv-codec.js';
import type { DamageReports } from './damage-reports.js';
import { DerivedIds } from './results-layout.js';
import { scanResults } from './scan-results.js';
import { scanRuns } from './scan-runs.js';
import type { IndexedFiles } from './scan-runs.js';

/**
 * Every result of sample `sampleId` (of `datasetName` when given) in the file at `path`, in file
 * order. Rows written by Python have no sample id cell: theirs is made from their data, so every
 * record is decoded.
 */
export function readSampleRecords(
  path: string,
  sampleId: string,
  datasetName: string | undefined,
  damage: DamageReports,
): AsyncGenerator<ResultRecord> {
  return scanResults(path, damage, (layout) => {
    // Ids of rows without one count identical rows of the run before them, and identical rows
    // are of one sample: counting the sample's rows only gives the ids a read of the run gives.
    const ids = new Map<string, DerivedIds>();
    const datasetAt = layout.indexOf('dataset_name');
    return {
      take: (cells, r) => {
        if (datasetName !== undefined && unescapeText(cells[datasetAt ?? -1] ?? '') !== datasetName)
          return undefined;
        if (layout.sampleIdOf(cells) !== sampleId) return undefined;
        const runId = layout.runIdOf(cells);
        let runIdsOf = ids.get(runId);
        if (!runIdsOf) ids.set(runId, (runIdsOf = new DerivedIds()));
        return layout.toResultRecord(
          cells,
          (text, column) => damage.parseJson(text, column, r.fileStart),
          runIdsOf,
        );
      },
    };
  });
}

/**
 * The narrow rows (sample, trial, `columns` values) of the runs `runIds` in the results file, in
 * file order, read through its index; records of other runs are passed over by their first cell's
 * bytes.
 */
export function readOutcomeRows(
  files: IndexedFiles,
  runIds: readonly string[],
  columns: readonly string[],
  damage: DamageReports,
): AsyncGenerator<OutcomeRow> {
  const wanted = new Set(runIds);
  return scanRuns(files, runIds, damage, (layout) => ({
    quick: (r) => {
      // Unquoted first cells (the usual case) are compared as text; quoted ones are decoded.
      const { buf, start, contentEnd } = r;
      if (buf[start] === 0x22) return true;
      let end = buf.indexOf(0x2c, start);
      if (end === -1 || end > contentEnd) end = contentEnd;
      const first = buf.toString('utf8', start, end);
      return wanted.has(first) || wanted.has(unescapeText(first));
    },
    take: (cells) =>
      wanted.has(layout.runIdOf(cells)) ? layout.toOutcomeRow(cells, columns) : undefined,
  }));
}
