/**
 * Runs named the way people name them on a command line: the full id, a unique prefix, the
 * 8-hex suffix gllm-evals puts at the end of generated ids, `latest` or `latest~N` (N runs before
 * the latest), within one dataset when asked.
 */
import type Levenshtein from 'fastest-levenshtein';
import { lazyRequire } from '../common/lazy-require.js';
import type { RunSummary } from '../types.js';
import { ExitError } from './command.js';

/** Edit distances, for the errors that name what was meant: loaded when one is written. */
const levenshtein = lazyRequire<typeof Levenshtein>('fastest-levenshtein');

const LATEST = /^latest(?:~(\d+))?$/;
const SUFFIX = /^[0-9a-f]{8}$/;

/**
 * The run `name` names among `history` (most recently updated first, as the tracker lists it),
 * keeping only runs of `dataset` when given. An unknown or ambiguous name is an {@link ExitError}
 * (exit code 1) that lists the closest run ids.
 */
export function resolveRun(
  history: readonly RunSummary[],
  name: string,
  dataset?: string,
): RunSummary {
  const runs = dataset === undefined ? history : history.filter((r) => r.datasetName === dataset);
  const within = dataset === undefined ? '' : ` of dataset ${JSON.stringify(dataset)}`;
  const exact = runs.find((r) => r.runId === name);
  if (exact) return exact;
  const latest = LATEST.exec(name);
  if (latest) {
    const back = Number(latest[1] ?? 0);
    const run = runs[back];
    if (run) return run;
    throw new ExitError(1, `no run ${name}: there are ${runs.length} runs${within}`);
  }
  let matches = runs.filter((r) => r.runId.startsWith(name));
  if (matches.length === 0 && SUFFIX.test(name)) {
    matches = runs.filter((r) => r.runId.endsWith(`_${name}`));
  }
  if (matches.length === 1) return matches[0] as RunSummary;
  if (matches.length > 1) {
    throw new ExitError(
      1,
      `${JSON.stringify(name)} names ${matches.length} runs${within}: ${list(matches.map((r) => r.runId))}`,
    );
  }
  const ids = runs.map((r) => r.runId);
  const near = closestOf(name, ids, 3);
  throw new ExitError(
    1,
    `no run ${JSON.stringify(name)}${within}` +
      (near.length > 0 ? `; the closest: ${near.join(', ')}` : '; the store has no run'),
  );
}

const list = (ids: readonly string[]): string =>
  ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, and ${ids.length - 5} more` : '');

/** The candidate closest to a mistyped word, when it is close enough to be what was meant. */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
  if (candidates.length === 0) return null;
  const { closest, distance } = levenshtein();
  const best = closest(word, [...candidates]);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

/** The `count` candidates closest to `word` by edit distance, nearest first (ties by name). */
export function closestOf(word: string, candidates: Iterable<string>, count: number): string[] {
  const { distance } = levenshtein();
  return [...candidates]
    .map((c) => [c, distance(word, c)] as const)
    .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1))
    .slice(0, count)
    .map(([c]) => c);
}
