import { exportGllmFolder } from '../../export/export-gllm-folder.js';
import { writeExportFile } from '../../export/write-export-file.js';
import { UsageError } from '../command.js';
import type { Command } from '../command.js';
import { fileOutput, folderOutput, stdoutOutput, storePlaces } from '../export-output.js';
import type { ExportOutput } from '../export-output.js';
import { resultProgress, resultsIn } from '../result-progress.js';
import { resolveRun } from '../run-name.js';

/** `evaltrack export`: runs to our JSONL, a flat CSV, or a gllm-evals folder. */
export const exportCommand: Command = {
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
    // Where it goes, then what writes there: a failed export leaves no half output behind.
    let output: Pick<ExportOutput, 'commit' | 'abort'>;
    let write: (onResult: () => void) => Promise<number>;
    if (format === 'gllm-csv') {
      const folder = await folderOutput(out as string, force, store);
      output = folder;
      write = (onResult) => exportGllmFolder(tracker, folder.dir, runIds, onResult);
    } else {
      const file =
        out === null ? stdoutOutput(io.stdout) : await fileOutput(out, format, force, store);
      output = file;
      write = (onResult) => writeExportFile(tracker, runIds, format, file, onResult);
    }
    const progress = resultProgress(io, 'exporting', total);
    let count: number;
    try {
      count = await write(() => progress.add());
      await output.commit();
    } catch (e) {
      await output.abort();
      throw e;
    } finally {
      progress.stop();
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
};
