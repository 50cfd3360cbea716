/**
 * The JSON Lines store: one append-only `<project>.results.jsonl` per project in a folder, each
 * line a result or a run change (context, summaries) as JSON, so types come back exactly; and
 * `<project>.leaderboard.json`, the runs' aggregates, derived from the results and rebuilt from
 * them whenever it does not match. Several processes may log into one folder at once.
 *
 * - Appending (`project-appender.ts`): one `write()` per call on an `O_APPEND` descriptor; a torn
 *   last line is set aside; a write that fails part-way is cut back off.
 * - The leaderboard (`project-leaderboard.ts`): saved aggregates plus the lines past them.
 *
 * The file primitives (lock, atomic write, torn tails, cut-back) are shared in `../fs/`.
 */
import { unstoredRunChanges } from '../fs/unstored-run-changes.js';
import { recordOf } from '../../tracker/result-store.js';
import type {
  OutcomeRow,
  PreparedResult,
  ResultStore,
  RunPatch,
  StoreRules,
} from '../../tracker/result-store.js';
import { cloneAggregate, emptyAggregate, toRunSummary } from '../../tracker/run-aggregate.js';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import type { ResultRecord, RunSummary } from '../../types.js';
import { withFileLock } from '../fs/file-lock.js';
import { filesMarker } from '../fs/files-marker.js';
import { jsonlFolder } from './jsonl-folder.js';
import type { JsonlFolder, ProjectFiles, WarningHandler } from './jsonl-folder.js';
import { aggregateInput, patchLine, resultLine, toResultRecord } from './jsonl-lines.js';
import { asidePath, ProjectAppender } from './project-appender.js';
import type { Lines } from './project-appender.js';
import { ProjectLeaderboard } from './project-leaderboard.js';
import { runLines } from './run-lines.js';
import { outcomeLines, sampleLines } from './sample-lines.js';

export type { WarningHandler } from './jsonl-folder.js';

/** Options of {@link JsonlStore}. */
export interface JsonlStoreOptions {
  /** The folder of the `.results.jsonl` files; created at the first write. */
  outputDir: string;
  /** The tracker's rules, as its store factory is given them. */
  rules: StoreRules;
  /** Where run changes of runs without a project go. */
  projectName: string;
  /** Where damage reports go. @default process.emitWarning */
  onWarning?: WarningHandler;
  /** How long to wait for another process's lock. @default 60000 */
  lockTimeoutMs?: number;
}

interface Project {
  files: ProjectFiles;
  leaderboard: ProjectLeaderboard;
  appender: ProjectAppender;
  /** Run changes not written yet. */
  patches: [string, RunPatch][];
  /** Whether the saved leaderboard lags behind what this store wrote. */
  stale: boolean;
}

/** A store of JSON Lines files, one per project, in one folder. */
export class JsonlStore implements ResultStore {
  readonly #folder: JsonlFolder;
  readonly #projectName: string;
  readonly #projects = new Map<string, Project>();
  #appendedSinceSync = false;

  constructor(options: JsonlStoreOptions) {
    const warn: WarningHandler =
      options.onWarning ??
      ((message, code) => process.emitWarning(message, { code, type: 'EvaltrackWarning' }));
    this.#folder = jsonlFolder(
      options.outputDir,
      options.rules,
      warn,
      options.lockTimeoutMs ?? 60_000,
    );
    this.#projectName = options.projectName;
  }

  locations(): { results: string; leaderboard: string } {
    const files = this.#folder.project(this.#projectName);
    return { results: files.resultsPath, leaderboard: files.statePath };
  }

  /** The results file of `projectName` in this store's folder. */
  resultsPath(projectName: string): string {
    return this.#folder.project(projectName).resultsPath;
  }

  append(results: readonly PreparedResult[]): void {
    // Grouped by project, in order; a call is one project's in practice (one tracker).
    const byProject = new Map<string, PreparedResult[]>();
    for (const r of results) {
      const group = byProject.get(r.projectName) ?? [];
      group.push(r);
      byProject.set(r.projectName, group);
    }
    // Encode everything first, so that nothing is written when one result cannot be.
    const encoded = [...byProject].map(([name, group]) => {
      const texts = group.map(resultLine);
      let end = 0;
      const ends = texts.map((t) => (end += Buffer.byteLength(t)));
      const lines: Lines = {
        buf: Buffer.from(texts.join('')),
        ends,
        results: () => group.map(recordOf),
      };
      return { project: this.#project(name), lines, group };
    });
    for (const { project, lines } of encoded) {
      project.appender.append(lines);
      project.stale = true;
    }
    if (results.length > 0) this.#appendedSinceSync = true;
  }

  patchRun(runId: string, patch: RunPatch): void {
    this.#project(patch.projectName ?? this.#projectName).patches.push([runId, patch]);
  }

  /**
   * Writes the run changes, then refreshes the saved leaderboards if the lock is free. The
   * leaderboard is derived: failing to save it is no error. Run changes exist nowhere else: when
   * they cannot be written, this rejects with `UnstoredResultsError` and keeps them for the next
   * call, unless this call wrote results (rejecting would make its caller store them twice).
   */
  async sync(): Promise<void> {
    const wroteResults = this.#appendedSinceSync;
    this.#appendedSinceSync = false;
    this.#syncOrThrow(false, wroteResults);
  }

  /**
   * A `stat` of every project's results file (results and run changes are lines appended there;
   * a new project is a new file, listed by one read of the folder).
   */
  async changeMarker(): Promise<string> {
    return filesMarker(this.#folder.projects().map((p) => p.resultsPath));
  }

  async listRuns(): Promise<RunSummary[]> {
    const names = new Set([
      ...this.#folder.projects().map((p) => p.projectName),
      ...this.#projects.keys(),
    ]);
    const runs = new Map<string, RunAggregate>();
    const shared = new Set<string>();
    for (const name of names) {
      for (const [runId, a] of this.#project(name).leaderboard.current()) {
        if (runs.has(runId)) shared.add(runId);
        else runs.set(runId, a);
      }
    }
    // A run logged into by trackers of several projects is in several files: fold it again
    // from all of them, in logging order.
    for (const runId of shared) runs.set(runId, this.#refold(runId));
    const { rules } = this.#folder;
    for (const project of this.#projects.values()) {
      for (const [runId, patch] of project.patches) {
        const base = runs.get(runId);
        const run = base
          ? cloneAggregate(base)
          : emptyAggregate(runId, patch.datasetName, patch.projectName);
        runs.set(runId, rules.applyPatch(run, patch));
      }
    }
    return [...runs.values()].map(toRunSummary);
  }

  async *readRun(runId: string): AsyncGenerator<ResultRecord> {
    for (const line of runLines(this.#folder, this.#sources(), runId)) {
      if (!('runPatch' in line)) yield toResultRecord(line);
    }
  }

  /** One streaming pass over each project file (every run: the tracker reads the sample once). */
  async *readSample(
    sampleId: string,
    options: { datasetName?: string } = {},
  ): AsyncGenerator<ResultRecord> {
    yield* sampleLines(this.#folder, this.#sources(), sampleId, options.datasetName);
  }

  /** One streaming pass over each project file, parsing only the lines of `runIds`. */
  async *readOutcomes(
    runIds: readonly string[],
    columns: readonly string[],
  ): AsyncGenerator<OutcomeRow> {
    yield* outcomeLines(this.#folder, this.#sources(), runIds, columns);
  }

  /** Writes what is pending, saves the leaderboards, and closes the files. */
  async close(): Promise<void> {
    try {
      this.#syncOrThrow(true);
    } finally {
      for (const p of this.#projects.values()) p.appender.close();
    }
  }

  /**
   * Refolds every project's leaderboard from its results, setting aside damaged lines (copied to
   * `<project>.results.jsonl.corrupt-<time>`; the results file is never rewritten).
   */
  async rebuild(): Promise<{ setAside: number }> {
    this.#syncOrThrow(false);
    let setAside = 0;
    this.#folder.locked(() => {
      for (const files of this.#folder.projects()) {
        const project = this.#project(files.projectName);
        project.appender.repairTornTail();
        setAside += project.leaderboard.refold(() => asidePath(files.resultsPath));
      }
    });
    return { setAside };
  }

  /** Every project file of the folder, with the lines set aside in it. */
  #sources(): { files: ProjectFiles; setAside: ReadonlySet<number> }[] {
    return this.#folder.projects().map((files) => ({
      files,
      setAside: this.#project(files.projectName).leaderboard.setAsideLines(),
    }));
  }

  #refold(runId: string): RunAggregate {
    const { rules } = this.#folder;
    let run: RunAggregate | undefined;
    for (const line of runLines(this.#folder, this.#sources(), runId)) {
      if ('runPatch' in line) {
        const { runId: _runId, ...patch } = line.runPatch;
        run = rules.applyPatch(
          run ?? emptyAggregate(runId, patch.datasetName, patch.projectName),
          patch,
        );
      } else run = rules.fold(run, aggregateInput(line));
    }
    return run as RunAggregate;
  }

  #project(name: string): Project {
    let project = this.#projects.get(name);
    if (!project) {
      const files = this.#folder.project(name);
      const leaderboard = new ProjectLeaderboard(this.#folder, files);
      const appender = new ProjectAppender(this.#folder, files, leaderboard);
      project = { files, leaderboard, appender, patches: [], stale: false };
      this.#projects.set(name, project);
    }
    return project;
  }

  #syncOrThrow(closing: boolean, wroteResults = false): void {
    for (const project of this.#projects.values()) {
      if (project.patches.length > 0) {
        const texts = project.patches.map(([runId, patch]) => patchLine(runId, patch));
        try {
          project.appender.append({
            buf: Buffer.from(texts.join('')),
            ends: [],
            results: () => [],
          });
          project.patches.length = 0;
          project.stale = true;
        } catch (e) {
          this.#unstoredChanges(project, e, closing, wroteResults);
        }
      }
      if (project.stale) this.#trySave(project, closing);
    }
  }

  #unstoredChanges(project: Project, e: unknown, closing: boolean, wroteResults: boolean): void {
    const why = (e as Error).message.replace(/^\[evaltrack\] /, '');
    const given = wroteResults ? [] : project.patches.filter(([, p]) => p.context !== undefined);
    if (given.length === 0 && !closing) {
      this.#folder.warn(
        `run summaries in ${project.files.resultsPath} not stored yet: ${why}; they are kept and written by the next call that can`,
        'EVALTRACK_LEADERBOARD_STALE',
      );
      return;
    }
    throw unstoredRunChanges(
      project.files.resultsPath,
      closing ? project.patches : given,
      closing,
      e,
    );
  }

  /** Saves a project's leaderboard if nobody holds the lock; it is derived, so failing is no error. */
  #trySave(project: Project, closing: boolean): void {
    try {
      withFileLock(this.#folder.lockPath, () => project.leaderboard.save(), closing ? 10_000 : 0);
      project.stale = false;
    } catch {
      // Readers fold what the saved leaderboard lacks; a later call saves it.
    }
  }
}
