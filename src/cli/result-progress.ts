/** Progress over results, for the commands that move them (export, import, copy). */
import { createProgress } from '../evaluate/progress.js';
import type { RunSummary } from '../types.js';
import type { CliIo } from './command.js';

/** Progress over `total` results, on stderr. */
export const resultProgress = (io: CliIo, verb: string, total: number) =>
  createProgress(total, true, { stream: io.stderr, verb, unit: 'results', failures: false });

/** The results of the runs `history` lists (those `include` keeps). */
export const resultsIn = (
  history: readonly RunSummary[],
  include: (run: RunSummary) => boolean = () => true,
): number => history.filter(include).reduce((n, r) => n + r.totalData, 0);
