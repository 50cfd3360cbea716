// A store of one's own, as a user would write it: results kept in memory. It passing the same
// contract suite as the CSV store shows that BaseExperimentTracker holds the rules, not the store.
import { BaseExperimentTracker, emptyAggregate, recordOf, toRunSummary } from 'evaltrack';
import type {
  PreparedResult,
  ResultRecord,
  ResultStore,
  RunAggregate,
  RunPatch,
  RunSummary,
  StoreRules,
  TrackerOptions,
} from 'evaltrack';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { describeTrackerContract } from 'evaltrack/testing';

/** What one location holds, shared by the trackers opened on it. */
interface MemoryData {
  results: PreparedResult[];
  runs: Map<string, RunAggregate>;
}

/** The store only stores: the tracker's rules fold results into runs and apply run changes. */
class MemoryStore implements ResultStore {
  readonly #results: PreparedResult[];
  readonly #runs: Map<string, RunAggregate>;

  constructor(
    data: MemoryData,
    readonly rules: StoreRules,
  ) {
    this.#results = data.results;
    this.#runs = data.runs;
  }

  append(results: readonly PreparedResult[]): void {
    for (const r of results) {
      this.#results.push(r);
      this.#runs.set(r.runId, this.rules.fold(this.#runs.get(r.runId), r));
    }
  }

  patchRun(runId: string, patch: RunPatch): void {
    const run =
      this.#runs.get(runId) ?? emptyAggregate(runId, patch.datasetName, patch.projectName);
    this.#runs.set(runId, this.rules.applyPatch(run, patch));
  }

  async sync(): Promise<void> {}

  async listRuns(): Promise<RunSummary[]> {
    return [...this.#runs.values()].map(toRunSummary);
  }

  async *readRun(runId: string): AsyncGenerator<ResultRecord> {
    for (const r of this.#results) {
      // A copy, as a store that keeps what it was given would return.
      if (r.runId === runId) yield structuredClone(recordOf(r));
    }
  }

  async close(): Promise<void> {}
}

class MemoryTracker extends BaseExperimentTracker {
  constructor(projectName: string, data: MemoryData, options?: TrackerOptions) {
    super(projectName, { ...options, store: (rules) => new MemoryStore(data, rules) });
  }
}

const locations = new Map<string, MemoryData>();
const csvRoot = mkdtempSync(join(tmpdir(), 'evaltrack-memory-'));
afterAll(() => rmSync(csvRoot, { recursive: true, force: true }));
let n = 0;

describeTrackerContract({ describe, it, expect }, 'memory (a user-written store)', {
  newLocation: () => `memory-${++n}`,
  open: (location, projectName, options) => {
    let data = locations.get(location);
    if (!data) locations.set(location, (data = { results: [], runs: new Map() }));
    return new MemoryTracker(projectName, data, options);
  },
  // CSV folders to copy to and from.
  csvFolder: {
    newLocation: () => join(csvRoot, `csv-${++n}`),
    open: (outputDir, projectName, options) =>
      new CSVExperimentTracker(projectName, { ...options, outputDir }),
  },
});
