/** The commands that move results between stores and files: export, import and copy. */
import { statSync } from 'node:fs';
import { copyResults } from '../copy-results.js';
import { createProgress } from '../evaluate/progress.js';
import { CSVExperimentTracker } from '../stores/csv/csv-experiment-tracker.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { RunSummary } from '../types.js';
import { ExitError, UsageError } from './command.js';
import { resolveRun } from './run-name.js';
import type { CliIo, Command } from './command.js';
import { fileOutput, folderOutput, stdoutOutput, storePlaces } from './export-output.js';
import type { ExportOutput } from './export-output.js';
import { flatCsvHeader, flatCsvRow } from './flat-csv.js';
import { openStore } from './open-store.js';
import {
  BadLineError,
  checkExportFile,
  countLines,
  exportFormatOf,
  readExportFile,
} from './read-export-file.js';

const commands: Command[] = [
  {
    name: 'export',
    summary: 'runs to a file: our JSONL, a flat CSV, or a gllm-evals folder',
    usage:
      'evaltrack export <runId...|--all> [--format jsonl|csv|gllm-csv] [--out <file|folder|->] [--force]',
    example: 'evaltrack export --all --format jsonl --out results.jsonl',
    args: [0, Infinity],
    options: {
      dataset: { type: 'string' },
      all: { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
    },
    async run({ values, positionals, io, json, tracker }) {
      const format = values['format'] ?? 'jsonl';
      if (format !== 'jsonl' && format !== 'csv' && format !== 'gllm-csv') {
        throw new UsageError('--format must be jsonl, csv or gllm-csv');
      }
      const outValue = values['out'];
      const out = typeof outValue === 'string' && outValue !== '-' ? outValue : null;
      if (format === 'gllm-csv' && out === null) {
        throw new UsageError('--format gllm-csv writes a folder: name it with --out');
      }
      const force = values['force'] === true;
      const history = await tracker.getExperimentHistory();
      const dataset = typeof values['dataset'] === 'string' ? values['dataset'] : undefined;
      const runIds = values['all']
        ? history
            .filter((r) => dataset === undefined || r.datasetName === dataset)
            .map((r) => r.runId)
            .reverse()
        : positionals.map((name) => resolveRun(history, name, dataset).runId);
      if (runIds.length === 0) throw new UsageError('name runs to export, or --all');
      const wanted = new Set(runIds);
      const total = resultsIn(history, (r) => wanted.has(r.runId));
      const store = await storePlaces(tracker);
      let count: number;
      if (format === 'gllm-csv') {
        const folder = await folderOutput(out as string, force, store);
        const progress = resultProgress(io, 'exporting', total);
        try {
          const target = new CSVExperimentTracker('evaltrack', { outputDir: folder.dir });
          try {
            const report = await copyResults(tracker, target, {
              runIds,
              onResult: () => progress.add(),
            });
            count = report.imported + report.skipped;
          } finally {
            await target.close();
          }
          await folder.commit();
        } catch (e) {
          await folder.abort();
          throw e;
        } finally {
          progress.stop();
        }
      } else {
        const output =
          out === null ? stdoutOutput(io.stdout) : await fileOutput(out, format, force, store);
        const progress = resultProgress(io, 'exporting', total);
        try {
          count = await exportFile(tracker, runIds, format, output, () => progress.add());
        } catch (e) {
          await output.abort();
          throw e;
        } finally {
          progress.stop();
        }
      }
      // With the results on stdout, the summary goes to stderr, so that stdout stays data.
      const report = out === null ? io.stderr : io.stdout;
      report.write(
        json
          ? `${JSON.stringify({ runs: runIds.length, results: count, out: out ?? '-' })}\n`
          : `exported ${count} results of ${runIds.length} runs to ${out ?? 'stdout'}\n`,
      );
      return 0;
    },
  },
  {
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
  },
  {
    name: 'copy',
    summary: 'every run of one store into another (a folder into a database), never twice',
    usage: 'evaltrack copy --from <store> --to <store> [--run ID ...]',
    example: 'evaltrack copy --from ./gllm_evals/experiments --to sqlite:evals.sqlite',
    store: 'none',
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      run: { type: 'string', multiple: true },
    },
    async run({ values, io, json }) {
      const from = values['from'];
      const to = values['to'];
      if (typeof from !== 'string' || typeof to !== 'string')
        throw new UsageError('copy needs --from and --to');
      // The source must be there; only the target may be created.
      const source = await openStore(from, 'evaltrack', { create: false });
      let target: BaseExperimentTracker | undefined;
      try {
        target = await openStore(to);
        const runIds = values['run'] as unknown as string[] | undefined;
        const progress = resultProgress(
          io,
          'copying',
          resultsIn(
            await source.getExperimentHistory(),
            (r) => !runIds || runIds.includes(r.runId),
          ),
        );
        let report;
        try {
          report = await copyResults(source, target, {
            ...(runIds ? { runIds } : {}),
            onResult: () => progress.add(),
          });
        } finally {
          progress.stop();
        }
        io.stdout.write(
          json
            ? `${JSON.stringify(report)}\n`
            : `copied ${report.runs} runs: ${report.imported} results, ${report.skipped} already there\n`,
        );
      } finally {
        await Promise.all([source.close(), target?.close()]);
      }
      return 0;
    },
  },
];

/** Commands that move results between stores and files. */
export const transferCommands: readonly Command[] = commands;

/**
 * Imports an export file in two passes: the whole file is read and every result checked first, so
 * a bad line stores nothing; then the results are stored.
 */
async function importFile(
  file: string,
  format: 'jsonl' | 'csv',
  tracker: BaseExperimentTracker,
  io: CliIo,
): Promise<{ imported: number; skipped: number }> {
  if (!isFile(file)) throw new ExitError(2, `no file at ${file}`);
  let results: number;
  const checking = createProgress(await countLines(file), true, {
    stream: io.stderr,
    verb: 'checking',
    unit: 'lines',
    failures: false,
  });
  try {
    results = await checkExportFile(file, format, (n) => checking.add(n));
  } catch (e) {
    if (e instanceof BadLineError)
      throw new ExitError(1, `${e.file} line ${e.line}: ${e.reason}; nothing was imported`);
    throw e;
  } finally {
    checking.stop();
  }
  const progress = resultProgress(io, 'importing', results);
  const records = async function* () {
    for await (const r of readExportFile(file, format)) {
      progress.add();
      yield r.record;
    }
  };
  try {
    return await tracker.importResults(records());
  } finally {
    progress.stop();
  }
}

/** Imports every run of another store, which must exist. */
async function importStore(
  from: string,
  tracker: BaseExperimentTracker,
  io: CliIo,
): Promise<{ imported: number; skipped: number }> {
  const source = await openStore(from, 'evaltrack', { create: false });
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

/** Progress over `total` results, on stderr. */
const resultProgress = (io: CliIo, verb: string, total: number) =>
  createProgress(total, true, { stream: io.stderr, verb, unit: 'results', failures: false });

/** The results of the runs `history` lists (those `include` keeps). */
const resultsIn = (
  history: readonly RunSummary[],
  include: (run: RunSummary) => boolean = () => true,
): number => history.filter(include).reduce((n, r) => n + r.totalData, 0);

/** Streams runs as JSONL or flat CSV to `output` and commits it; resolves with the number of results. */
async function exportFile(
  tracker: BaseExperimentTracker,
  runIds: string[],
  format: 'jsonl' | 'csv',
  output: ExportOutput,
  onResult: () => void,
): Promise<number> {
  let count = 0;
  let columns: string[] = [];
  if (format === 'csv') {
    // The value columns of every run, first: a CSV has one header.
    const names = new Set<string>();
    for (const runId of runIds)
      for await (const r of tracker.iterateRunResults(runId))
        for (const n of Object.keys(r.values)) names.add(n);
    columns = [...names];
    await output.write(flatCsvHeader(columns));
  }
  for (const runId of runIds) {
    for await (const r of tracker.iterateRunResults(runId)) {
      count++;
      onResult();
      await output.write(format === 'jsonl' ? `${JSON.stringify(r)}\n` : flatCsvRow(r, columns));
    }
  }
  await output.commit();
  return count;
}
