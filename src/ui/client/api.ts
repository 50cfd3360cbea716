/** The dashboard's API, typed with the server's own types. */
import type { RunComparison } from '../../stats/compare-runs.js';
import type { RunStats } from '../../stats/run-stats.js';
import type { ResultRecord, RunSummary } from '../../types.js';
import type { Histogram, TableRow } from '../run-table.js';

export type { Histogram, ResultRecord, RunComparison, RunStats, RunSummary, TableRow };

export type RunWithStats = RunSummary & { stats: RunStats };

export interface RunDetail {
  run: RunSummary;
  stats: RunStats;
}

/** What needs the whole run read: its metrics, failures and histograms. */
export interface RunHistograms {
  metrics: string[];
  failures: number;
  histograms: Histogram[];
}

export interface RowsPage {
  total: number;
  rows: TableRow[];
  /** Metric columns seen so far (all of them once the run is read). */
  metrics: string[];
}

export interface CompareResponse {
  baseline: RunSummary;
  candidate: RunSummary;
  /** Whole counts; `comparison` lists the first 200 changed samples of each kind. */
  counts: { regressions: number; improvements: number };
  comparison: RunComparison;
}

/** GETs JSON from the dashboard's API; throws with the server's message on an error status. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { signal: signal ?? null });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  }
  return (await response.json()) as T;
}

export const runPath = (runId: string): string => `/api/runs/${encodeURIComponent(runId)}`;
