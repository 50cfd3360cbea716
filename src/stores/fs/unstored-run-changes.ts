/**
 * The error of a file store whose run-level changes (`logContext()`, summaries) could not be
 * written: which runs, what of each, and whether they are kept for the next call.
 */
import { UnstoredResultsError } from '../../errors.js';
import type { RunPatch } from '../../tracker/result-store.js';

/**
 * `changes` were not written to `where` because of `cause`. Closing, they are lost unless the
 * caller logs them again; otherwise the store keeps them for its next call that can write.
 */
export function unstoredRunChanges(
  where: string,
  changes: readonly (readonly [string, RunPatch])[],
  closing: boolean,
  cause: unknown,
): UnstoredResultsError {
  const why = (cause as Error).message.replace(/^\[evaltrack\] /, '');
  const runs = changes.map(
    ([runId, p]) =>
      `run ${JSON.stringify(runId)}: ${[
        ...(p.context === undefined
          ? []
          : [`context (${Object.keys(p.context).join(', ') || 'empty'})`]),
        ...(p.summary === undefined ? [] : ['summary']),
      ].join(' and ')}`,
  );
  return new UnstoredResultsError(
    `run changes not stored in ${where}: ${why}. Not stored: ${runs.join('; ')}. ` +
      (closing
        ? 'Every result is stored; log these changes again once the folder can be written.'
        : 'Every result is stored; the changes are kept and written by the next call that can.'),
    [],
    runs.length,
    cause,
    changes.map(([runId, p]) => ({ runId, ...p })),
  );
}
