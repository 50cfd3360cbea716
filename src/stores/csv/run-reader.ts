/**
 * Reading one run's results back from the results file, in file order, in bounded memory: most
 * records are other runs', so their first cell's bytes are compared before anything is decoded.
 */
import type { ResultRecord } from '../../types.js';
import { encodeText } from './csv-codec.js';
import type { DamageReports } from './damage-reports.js';
import { firstCellMatches } from './results-file.js';
import { DerivedIds } from './results-layout.js';
import { scanRuns } from './scan-runs.js';
import type { IndexedFiles } from './scan-runs.js';

/**
 * The results of run `runId` in the results file (none when there is no such file), read through
 * its index; damaged records are skipped and reported to `damage`.
 */
export async function* readRunRecords(
  files: IndexedFiles,
  runId: string,
  damage: DamageReports,
): AsyncGenerator<ResultRecord> {
  // A run id UTF-8 cannot hold is in no file; one with a formula prefix is stored escaped.
  if (!runId.isWellFormed()) return;
  const wanted = [Buffer.from(runId), Buffer.from(encodeText(runId, 'runId'))];
  yield* scanRuns(files, [runId], damage, (layout) => {
    const ids = new DerivedIds();
    return {
      quick: (r) => firstCellMatches(r, wanted, runId),
      // The byte comparison can be fooled by escapes (run `=x` is stored as `'=x`).
      take: (cells, r) =>
        layout.runIdOf(cells) === runId
          ? layout.toResultRecord(
              cells,
              (text, column) => damage.parseJson(text, column, r.fileStart),
              ids,
            )
          : undefined,
    };
  });
}
