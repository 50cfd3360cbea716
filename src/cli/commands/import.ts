import { statSync } from 'node:fs';
import { copyResults } from '../../copy-results.js';
import { createProgress } from '../../evaluate/progress.js';
import type { Progress } from '../../evaluate/progress.js';
import { importExportFile } from '../../export/import-export-file.js';
import { BadLineError, countLines, exportFormatOf } from '../../export/read-export-file.js';
import { detectPeerFormat } from '../../import/detect-peer-format.js';
import type { PeerTool } from '../../import/detect-peer-format.js';
import { importPeerResults } from '../../import/import-peer-results.js';
import type { PeerImportReport } from '../../import/import-peer-records.js';
import type { ExportFormat } from '../../export/read-export-file.js';
import type { BaseExperimentTracker } from '../../tracker/base-experiment-tracker.js';
import { EvaltrackError } from '../../errors.js';
import { ExitError, UsageError, bare } from '../command.js';
import type { CliIo, Command } from '../command.js';
import { openTracker } from '../../stores/registry.js';
import { resultProgress, resultsIn } from '../result-progress.js';

/** `evaltrack import`: results from an export file or another store, never stored twice. */
export const importCommand: Command = {
  name: 'import',
  summary:
    'results from an export (JSONL, flat CSV), another store, or promptfoo/evalite; never twice',
  usage:
    'evaltrack import <file.jsonl|file.csv|folder|sqlite:file|promptfoo or evalite results> [--from promptfoo|evalite] [--dataset NAME]',
  example: 'evaltrack import ./old_experiments --store sqlite:evals.sqlite',
  args: [1, 1],
  store: 'create',
  options: {
    from: { type: 'string' },
    dataset: { type: 'string' },
  },
  async run({ positionals, values, io, json, tracker }) {
    const from = positionals[0];
    if (!from) throw new UsageError('import needs a file or a store');
    const tool = values['from'];
    if (tool !== undefined && tool !== 'promptfoo' && tool !== 'evalite') {
      throw new UsageError(`--from must be promptfoo or evalite, not ${JSON.stringify(tool)}`);
    }
    const dataset = values['dataset'] as string | undefined;
    // promptfoo and evalite files are told by their shape; a .json file can be nothing else.
    if (
      tool !== undefined ||
      (isFile(from) && (/\.json$/i.test(from) || (await detectPeerFormat(from)) !== null))
    ) {
      if (!isFile(from)) throw new ExitError(2, `no file at ${from}`);
      const report = await importPeerFile(from, tool, dataset, tracker, io);
      io.stdout.write(json ? `${JSON.stringify(report)}\n` : describePeerImport(report));
      return 0;
    }
    if (dataset !== undefined) {
      throw new UsageError(
        '--dataset is for promptfoo and evalite files: exports and stores name their own',
      );
    }
    const format = exportFormatOf(from);
    // A folder is a store whatever its name; a .jsonl or .csv name that is not one, an export.
    const report =
      format !== null && !isFolder(from)
        ? await importFile(from, format, tracker, io)
        : await importStore(from, tracker, io);
    io.stdout.write(
      json
        ? `${JSON.stringify(report)}\n`
        : `imported ${report.imported} results, ${report.skipped} already there\n`,
    );
    return 0;
  },
};

/** Imports a promptfoo or evalite file, with progress over its results once it is checked. */
async function importPeerFile(
  file: string,
  from: PeerTool | undefined,
  datasetName: string | undefined,
  tracker: BaseExperimentTracker,
  io: CliIo,
): Promise<PeerImportReport> {
  let importing: Progress | undefined;
  try {
    return await importPeerResults(tracker, file, {
      ...(from !== undefined ? { from } : {}),
      ...(datasetName !== undefined ? { datasetName } : {}),
      onChecked: (results) => {
        importing = resultProgress(io, 'importing', results);
      },
      onResult: () => importing?.add(),
    });
  } catch (e) {
    // A refused file stored nothing: one line says why, without the usage.
    if (!importing && e instanceof EvaltrackError) throw new ExitError(1, bare(e));
    throw e;
  } finally {
    importing?.stop();
  }
}

/** What a promptfoo or evalite import did, for people: the counts, then a line per run. */
function describePeerImport(r: PeerImportReport): string {
  const source = `${r.tool}${r.version === null ? '' : ` ${r.version}`}`;
  const lines = [
    `imported ${r.imported} results, ${r.skipped} already there (${r.results} in the ${source} file)`,
    ...r.runs.map((run) => `  ${run.modelName}: run ${run.runId} (dataset ${run.datasetName})`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Imports an export file, with progress over the check of its lines, then over its results. */
async function importFile(
  file: string,
  format: ExportFormat,
  tracker: BaseExperimentTracker,
  io: CliIo,
): Promise<{ imported: number; skipped: number }> {
  if (!isFile(file)) throw new ExitError(2, `no file at ${file}`);
  const checking = createProgress(await countLines(file), true, {
    stream: io.stderr,
    verb: 'checking',
    unit: 'lines',
    failures: false,
  });
  let importing: Progress | undefined;
  try {
    return await importExportFile(tracker, file, format, {
      onCheckLines: (n) => checking.add(n),
      onChecked: (results) => {
        checking.stop();
        importing = resultProgress(io, 'importing', results);
      },
      onResult: () => importing?.add(),
    });
  } catch (e) {
    if (importing) throw e;
    // The check failed: nothing was stored.
    checking.stop();
    if (e instanceof BadLineError)
      throw new ExitError(1, `${e.file} line ${e.line}: ${e.reason}; nothing was imported`);
    throw e;
  } finally {
    importing?.stop();
  }
}

/** Imports every run of another store, which must exist. */
async function importStore(
  from: string,
  tracker: BaseExperimentTracker,
  io: CliIo,
): Promise<{ imported: number; skipped: number }> {
  const source = await openTracker('evaltrack', { store: from, create: false });
  try {
    const progress = resultProgress(
      io,
      'importing',
      resultsIn(await source.getExperimentHistory()),
    );
    try {
      return await copyResults(source, tracker, { onResult: () => progress.add() });
    } finally {
      progress.stop();
    }
  } finally {
    await source.close();
  }
}

const kindOf = (path: string): 'file' | 'folder' | null => {
  try {
    const s = statSync(path);
    return s.isDirectory() ? 'folder' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
};
const isFile = (path: string): boolean => kindOf(path) === 'file';
const isFolder = (path: string): boolean => kindOf(path) === 'folder';
