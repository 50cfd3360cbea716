/**
 * The dashboard's API, called through Hono's typed client: every answer's type is the one the
 * server's routes (`UiApi`) give `c.json(...)`, so a changed answer breaks this client's typecheck.
 */
import { DetailedError, hc, parseResponse } from 'hono/client';
import type { ClientResponse, InferResponseType } from 'hono/client';
import type { UiApi } from '../create-ui-api.js';

/**
 * The API's routes under `/api`; each call takes `{ param, query }` (`param` through `encoded`)
 * and, second, `{ init: { signal } }` to abort it.
 */
export const api = hc<UiApi>('/').api;

/** Path parameters, encoded: Hono's client puts them into the URL as they are given. */
export const encoded = <K extends string>(params: Record<K, string>): Record<K, string> => {
  const out = { ...params };
  for (const k in out) out[k] = encodeURIComponent(out[k]);
  return out;
};

/** The answer of a successful call; throws with the server's message on an error status. */
export async function read<R extends ClientResponse<unknown>>(
  response: Promise<R>,
): ReturnType<typeof parseResponse<R>> {
  try {
    return await parseResponse(response);
  } catch (e) {
    if (!(e instanceof DetailedError)) throw e;
    const body = (e.detail as { data?: unknown } | undefined)?.data;
    const message =
      typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
    throw new Error(typeof message === 'string' ? message : e.message, { cause: e });
  }
}

/** `?metric=` when a metric is named; none otherwise, as the server then uses the leaderboard's. */
export const metricQuery = (metric: string): { metric?: string } => (metric ? { metric } : {});

type Answer<F> = InferResponseType<F, 200>;
type Run = (typeof api.runs)[':runId'];

export type RunWithStats = Answer<typeof api.runs.$get>[number];
export type RunDetail = Answer<Run['$get']>;
export type RunSummary = RunDetail['run'];
/** What needs the whole run read: its metrics, failures, a summary row per metric, histograms. */
export type RunMetrics = Answer<Run['summary']['$get']>;
export type MetricSummary = RunMetrics['summaries'][number];
export type Histogram = RunMetrics['histograms'][number];
/** A page of rows, with the metric columns seen so far (all of them once the run is read). */
export type RowsPage = Answer<Run['rows']['$get']>;
export type TableRow = RowsPage['rows'][number];
export type ResultRecord = Answer<Run['results'][':resultId']['$get']>;
/** Whole counts; `comparison` lists the first 200 changed samples of each kind. */
export type CompareResponse = Answer<typeof api.compare.$get>;
/** A sample across runs, newest first: one row a run, with the result id of its first trial. */
export type SampleHistoryResponse = Answer<(typeof api.samples)[':sampleId']['history']['$get']>;
/** The metrics the runs have: every leaderboard column, and the score columns of recent runs. */
export type MetricsResponse = Answer<typeof api.metrics.$get>;
