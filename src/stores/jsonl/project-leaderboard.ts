/**
 * A project's run aggregates (its leaderboard), derived from its results file: folded from the
 * saved state plus whatever lies past the offset it covers, and saved to `<project>.leaderboard.json`
 * so that a reader need not refold the whole file. The state is trusted only for the very file it
 * was made from, grown only by appends (file identity and a digest of its first bytes); otherwise
 * the results are folded again from the start. It also lists the lines set aside as damaged.
 */
import { appendFileSync, closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { StoreIoError } from '../../errors.js';
import { emptyAggregate, toRunSummary } from '../../tracker/run-aggregate.js';
import type { RunAggregate } from '../../tracker/run-aggregate.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { errnoOf } from '../fs/errno.js';
import { fingerprint, sameFile } from '../fs/file-identity.js';
import type { FileId } from '../fs/file-identity.js';
import { endsTorn } from '../fs/torn-tail.js';
import { aggregateInput, parseLine, scanLines } from './jsonl-lines.js';
import type { RawLine } from './jsonl-lines.js';
import type { JsonlFolder, ProjectFiles } from './jsonl-folder.js';

/** `<project>.leaderboard.json`: the aggregates, and the part of the results file they cover. */
interface SavedState {
  version: 2;
  file: FileId;
  /** Offset just past the last folded line. */
  offset: number;
  /** Digest of the file's first bytes up to `offset`: the same file, grown. */
  fingerprint: string;
  /** Offsets of damaged lines that were set aside (copied to a `.corrupt-<time>` file). */
  setAside: number[];
  runs: RunAggregate[];
  /** The runs as `getExperimentHistory()` gives them, for other readers; not read back. */
  leaderboard: unknown[];
}

interface Folded {
  file: FileId;
  offset: number;
  fingerprint: string;
  setAside: Set<number>;
  runs: Map<string, RunAggregate>;
}

function readState(path: string): SavedState | null {
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as SavedState;
    return s.version === 2 && Array.isArray(s.runs) && Array.isArray(s.setAside) ? s : null;
  } catch {
    return null; // missing or damaged: refolded from the results
  }
}

/** The aggregates of one project's results file. */
export class ProjectLeaderboard {
  readonly #folder: JsonlFolder;
  readonly #files: ProjectFiles;
  #cache: Folded | undefined;
  /** Lines this store set aside, known before the state that lists them is saved. */
  readonly #aside = new Set<number>();

  constructor(folder: JsonlFolder, files: ProjectFiles) {
    this.#folder = folder;
    this.#files = files;
  }

  /** The runs now (owned here: clone before changing them). Writes nothing. */
  current(): Map<string, RunAggregate> {
    return this.#fold()?.runs ?? new Map<string, RunAggregate>();
  }

  /** Offsets of the lines set aside, which readers skip without a report. */
  setAsideLines(): Set<number> {
    return this.#fold()?.setAside ?? new Set();
  }

  /** Saves the aggregates (caller holds the folder's lock). */
  save(): void {
    const f = this.#fold();
    if (!f) return;
    const runs = [...f.runs.values()];
    const state: SavedState = {
      version: 2,
      file: { dev: f.file.dev, ino: f.file.ino },
      offset: f.offset,
      fingerprint: f.fingerprint,
      setAside: [...f.setAside],
      runs,
      leaderboard: runs.map(toRunSummary),
    };
    writeFileAtomic(this.#files.statePath, `${JSON.stringify(state, null, 1)}\n`);
  }

  /**
   * Folds the whole file again, copying damaged lines not set aside before to `aside`, and saves
   * (caller holds the lock). Returns how many lines it set aside.
   */
  refold(aside: () => string): number {
    this.#cache = undefined;
    const found: RawLine[] = [];
    const f = this.#fold(true, (line) => found.push(line));
    if (!f) return 0;
    if (found.length > 0) {
      const path = aside();
      appendFileSync(path, Buffer.concat(found.flatMap((l) => [l.bytes, Buffer.from('\n')])));
      for (const l of found) f.setAside.add(l.offset);
      this.#folder.warn(
        `set aside ${found.length} damaged line(s) of ${this.#files.resultsPath} in ${path}`,
        'EVALTRACK_SET_ASIDE',
      );
    }
    this.save();
    return found.length;
  }

  /** Records that the line at `offset` was set aside, and saves (caller holds the lock). */
  markSetAside(offset: number): void {
    this.#aside.add(offset);
    this.save();
  }

  #fold(fresh = false, onDamaged?: (line: RawLine) => void): Folded | undefined {
    const path = this.#files.resultsPath;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return (this.#cache = undefined);
      throw new StoreIoError(`cannot read ${path}`, e);
    }
    try {
      const st = fstatSync(fd);
      const usable = (s: { file: FileId; offset: number; fingerprint: string }): boolean =>
        sameFile(s.file, st) && s.offset <= st.size && s.fingerprint === fingerprint(fd, s.offset);
      let base = this.#cache && usable(this.#cache) ? this.#cache : undefined;
      if (!base) {
        const saved = readState(this.#files.statePath);
        const known = saved && sameFile(saved.file, st) ? saved : undefined;
        base =
          !fresh && known && usable(known)
            ? {
                ...known,
                setAside: new Set(known.setAside),
                runs: new Map(known.runs.map((r) => [r.runId, r])),
              }
            : {
                file: st,
                offset: 0,
                fingerprint: fingerprint(fd, 0),
                setAside: new Set(known?.setAside ?? []),
                runs: new Map(),
              };
      }
      for (const offset of this.#aside) base.setAside.add(offset);
      const tail = { start: base.offset, length: 0 };
      for (const line of scanLines(fd, base.offset, st.size, tail))
        this.#foldLine(base, line, onDamaged);
      if (tail.length > 0 && endsTorn(fd)) {
        this.#folder.warnOnce(
          `torn:${path}:${tail.start}`,
          `${path} ends with an incomplete line (${tail.length} bytes at byte ${tail.start}, e.g. a write cut short by kill -9); ` +
            'it was skipped, and will be set aside at the next write',
          'EVALTRACK_TORN_RECORD',
        );
      }
      base.file = { dev: st.dev, ino: st.ino };
      base.offset = tail.start;
      base.fingerprint = fingerprint(fd, tail.start);
      this.#cache = base;
      return base;
    } finally {
      closeSync(fd);
    }
  }

  #foldLine(f: Folded, line: RawLine, onDamaged?: (line: RawLine) => void): void {
    if (line.bytes.length === 0) return;
    const parsed = parseLine(line.bytes.toString('utf8'));
    if (parsed === null) {
      if (f.setAside.has(line.offset)) return;
      if (onDamaged) onDamaged(line);
      else reportDamaged(this.#folder, this.#files.resultsPath, line);
      return;
    }
    const { rules } = this.#folder;
    if ('runPatch' in parsed) {
      const { runId, ...patch } = parsed.runPatch;
      const run = f.runs.get(runId) ?? emptyAggregate(runId, patch.datasetName, patch.projectName);
      f.runs.set(runId, rules.applyPatch(run, patch));
    } else {
      f.runs.set(parsed.runId, rules.fold(f.runs.get(parsed.runId), aggregateInput(parsed)));
    }
  }
}

/** Reports a damaged line once per place. */
export function reportDamaged(folder: JsonlFolder, path: string, line: RawLine): void {
  folder.warnOnce(
    `damaged:${path}:${line.offset}`,
    `bytes ${line.offset}-${line.offset + line.bytes.length} of ${path} are not a valid line ` +
      '(e.g. a write cut short by kill -9 while others appended); they were skipped, and are set aside by rebuild()',
    'EVALTRACK_DAMAGED_RECORD',
  );
}
