/**
 * Reading by sample from the project files of a folder, in one streaming pass each: every result
 * of one sample, and the narrow rows of many runs (their outcomes, for flaky samples).
 */
import type { OutcomeRow } from '../../tracker/result-store.js';
import type { FlatValue, ResultRecord } from '../../types.js';
import { setOwn } from '../../tracker/check-input.js';
import type { JsonlFolder, ProjectFiles } from './jsonl-folder.js';
import { toResultRecord } from './jsonl-lines.js';
import { linesWhere } from './run-lines.js';

type Sources = readonly { files: ProjectFiles; setAside: ReadonlySet<number> }[];

/** Every result of `sampleId` (of `datasetName` when given), file by file, in file order. */
export function* sampleLines(
  folder: JsonlFolder,
  sources: Sources,
  sampleId: string,
  datasetName: string | undefined,
): Generator<ResultRecord> {
  // JSON writes a sample id one way only, right after the result id: exactly this text.
  const needle = Buffer.from(`"sampleId":${JSON.stringify(sampleId)},`);
  for (const { files, setAside } of sources) {
    for (const line of linesWhere(folder, files, setAside, (b) => b.includes(needle))) {
      if ('runPatch' in line || line.sampleId !== sampleId) continue;
      if (datasetName === undefined || line.datasetName === datasetName) yield toResultRecord(line);
    }
  }
}

const RUN_KEY = Buffer.from('"runId":');
const NEXT_KEY = Buffer.from(',"datasetName":');

/** The run id a line's bytes name (results and run changes both write `datasetName` next). */
function runIdIn(bytes: Buffer): string | null {
  const at = bytes.indexOf(RUN_KEY);
  const end = at === -1 ? -1 : bytes.indexOf(NEXT_KEY, at);
  if (end === -1) return null;
  try {
    const id: unknown = JSON.parse(bytes.toString('utf8', at + RUN_KEY.length, end));
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

/** The narrow rows of the runs `runIds`, file by file, in file order. */
export function* outcomeLines(
  folder: JsonlFolder,
  sources: Sources,
  runIds: readonly string[],
  columns: readonly string[],
): Generator<OutcomeRow> {
  const wanted = new Set(runIds);
  const asked = new Set(columns);
  for (const { files, setAside } of sources) {
    const lines = linesWhere(folder, files, setAside, (b) => {
      const runId = runIdIn(b);
      // A line whose run id cannot be read this way is parsed whole (and reported if damaged).
      return runId === null || wanted.has(runId);
    });
    for (const line of lines) {
      if ('runPatch' in line || !wanted.has(line.runId)) continue;
      const values: Record<string, FlatValue> = {};
      for (const [name, value] of line.columns) if (asked.has(name)) setOwn(values, name, value);
      const trial = line.measures?.trial;
      yield {
        runId: line.runId,
        datasetName: line.datasetName,
        sampleId: line.sampleId,
        trial: typeof trial === 'number' ? trial : null,
        values,
      };
    }
  }
}
