/**
 * A run's context (`logContext()`: prompt version, git sha, branch…) as flat `key → text` pairs,
 * and the runs view's filters on it, kept in the URL as `?ctx.<key>=<value>`.
 */

/** The prefix of a context filter's query parameter: `?ctx.git_sha=abc123`. */
export const CONTEXT_PARAM = 'ctx.';

/** A context value as text: strings as they are, anything else as JSON. */
export const contextText = (v: unknown): string =>
  typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Nested objects by dotted keys (`prompt.version`), in the order they were logged. */
export function flatContext(context: Record<string, unknown>, prefix = ''): [string, string][] {
  return Object.entries(context).flatMap(([k, v]): [string, string][] =>
    isObject(v) && Object.keys(v).length > 0
      ? flatContext(v, `${prefix}${k}.`)
      : [[`${prefix}${k}`, contextText(v)]],
  );
}

/** The context filters of a query: each `[key, value]`, in the URL's order. */
export const contextFilters = (query: URLSearchParams): [string, string][] =>
  [...query.keys()]
    .filter((name, i, all) => name.startsWith(CONTEXT_PARAM) && all.indexOf(name) === i)
    .map((name) => [name.slice(CONTEXT_PARAM.length), query.get(name) ?? '']);

/** Whether a run's flat context has every `[key, value]` of `filters`. */
export const matchesContext = (
  context: ReadonlyMap<string, string>,
  filters: readonly [string, string][],
): boolean => filters.every(([k, v]) => context.get(k) === v);
