import { statSync } from 'node:fs';
import { copyResults } from '../../copy-results.js';
import { createProgress } from '../../evaluate/progress.js';
import type { Progress } from '../../evaluate/progress.js';
import { importExportFile } from '../../export/import-export-file.js';
import { BadLineError, countLines, exportFormatOf } from '../../export/read-export-file.js';
import type { ExportFormat } from '../../export/read-export-file.js';
import type { BaseExperimentTracker } from '../../tracker/base-experiment-tracker.js';
import { ExitError, UsageError } from '../command.js';
import type { CliIo, Command } from '../command.js';
import { openTracker } from '../../stores/registry.js';
import { resultProgress, resultsIn } from '../result-progress.js';

/** `evaltrack import`: results from an export file or another store, never stored twice. */
export const importCommand: Command = {
  name: 'import',
  summary: 'results from an export (JSONL, flat CSV) or another store; never twice',
  usage: 'evaltrack import <file.jsonl|file.csv|folder|sqlite:file>',
  example: 'evaltrack import ./old_experiments --store sqlite:evals.sqlite',
  args: [1, 1],
  store: 'create',
  options: {},
  async run({ positionals, io, json, tracker }) {
    const from = positionals[0];
    if (!from) throw new UsageError('import needs a file or a store');
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
