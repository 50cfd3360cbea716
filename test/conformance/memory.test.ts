// A store of one's own, as a user would write it: results kept in memory. It passing the same
// contract suite as the CSV store shows that BaseExperimentTracker holds the rules, not the store.
import {
  applyPatch,
  BaseExperimentTracker,
  emptyAggregate,
  foldResult,
  toRunSummary,
} from 'evaltrack';
import type {
  PreparedResult,
  ResultRecord,
  ResultStore,
  RunAggregate,
  RunPatch,
  RunSummary,
  TrackerOptions,
} from 'evaltrack';
import { describe, expect, it } from 'vitest';
import { describeTrackerContract } from 'evaltrack/testing';

class MemoryStore implements ResultStore {
  readonly #results: PreparedResult[] = [];
  readonly #runs = new Map<string, RunAggregate>();

  constructor(readonly leaderboardScoreKey: string) {}

  append(results: readonly PreparedResult[]): void {
    for (const r of results) {
      this.#results.push(r);
      this.#runs.set(r.runId, foldResult(this.#runs.get(r.runId), r, this.leaderboardScoreKey));
    }
  }

  patchRun(runId: string, patch: RunPatch): void {
    const run =
      this.#runs.get(runId) ?? emptyAggregate(runId, patch.datasetName, patch.projectName);
    this.#runs.set(runId, applyPatch(run, patch));
  }

  async sync(): Promise<void> {}

  async listRuns(): Promise<RunSummary[]> {
    return [...this.#runs.values()].map(toRunSummary);
  }

  async *readRun(runId: string): AsyncGenerator<ResultRecord> {
    for (const r of this.#results) {
      if (r.runId !== runId) continue;
      yield {
        resultId: r.resultId,
        sampleId: r.sampleId,
        runId: r.runId,
        datasetName: r.datasetName,
        timestamp: r.timestamp,
        evaluatorName: r.evaluatorName,
        modelName: r.modelName,
        values: Object.fromEntries(r.columns.map((c) => [c.name, c.value])),
        // A copy, as a store that keeps what it was given would return.
        data: structuredClone(r.data),
        metadata: structuredClone(r.metadata),
        evaluationResult: r.keepEvaluationResult ? structuredClone(r.evaluationResult) : null,
      };
    }
  }

  async close(): Promise<void> {}
}

class MemoryTracker extends BaseExperimentTracker {
  constructor(projectName: string, store: MemoryStore, options?: TrackerOptions) {
    super(projectName, { ...options, store });
  }
}

const stores = new Map<string, MemoryStore>();
let n = 0;

describeTrackerContract({ describe, it, expect }, 'memory (a user-written store)', {
  newLocation: () => `memory-${++n}`,
  open: (location, projectName, options) => {
    const key = options?.leaderboardScoreKey ?? 'aggregate_success';
    let store = stores.get(location);
    if (!store) stores.set(location, (store = new MemoryStore(key)));
    return new MemoryTracker(projectName, store, options);
  },
});
