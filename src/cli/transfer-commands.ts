/** The commands that move results between stores and files: export, import and copy. */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { copyResults } from '../copy-results.js';
import { createProgress } from '../evaluate/progress.js';
import { encodeText, encodeValue, formatRecord, quoteCell } from '../stores/csv/csv-codec.js';
import { CSVExperimentTracker } from '../stores/csv/csv-experiment-tracker.js';
import type { BaseExperimentTracker } from '../tracker/base-experiment-tracker.js';
import type { ResultRecord, RunSummary } from '../types.js';
import { UsageError } from './command.js';
import type { CliIo, Command } from './command.js';
import { openStore } from './open-store.js';

/** Commands that move results between stores and files, or repair a store. */
export const transferCommands: Command[] = [
  {
    name: 'export',
    summary: 'runs to a file: our JSONL, a flat CSV, or a gllm-evals folder',
    usage: 'evaltrack export <runId...|--all> --format jsonl|csv|gllm-csv --out <file|folder>',
    example: 'evaltrack export --all --format jsonl --out results.jsonl',
    options: { all: { type: 'boolean' }, format: { type: 'string' }, out: { type: 'string' } },
    async run({ values, positionals, io, json, tracker }) {
      const format = values['format'] ?? 'jsonl';
      const out = values['out'];
      if (typeof out !== 'string') throw new UsageError('export needs --out');
      if (format !== 'jsonl' && format !== 'csv' && format !== 'gllm-csv') {
        throw new UsageError('--format must be jsonl, csv or gllm-csv');
      }
      const history = await tracker.getExperimentHistory();
      const runIds = values['all'] ? history.map((r) => r.runId).reverse() : positionals;
      if (runIds.length === 0) throw new UsageError('name runs to export, or --all');
      const unknown = runIds.filter((id) => !history.some((r) => r.runId === id));
      if (unknown.length > 0) throw new UsageError(`no run ${unknown.join(', ')}`);
      const wanted = new Set(runIds);
      const progress = resultProgress(
        io,
        'exporting',
        resultsIn(history, (r) => wanted.has(r.runId)),
      );
      let count: number;
      if (format === 'gllm-csv') {
        const target = new CSVExperimentTracker('evaltrack', { outputDir: out });
        try {
          const report = await copyResults(tracker, target, {
            runIds,
            onResult: () => progress.add(),
          });
          count = report.imported + report.skipped;
        } finally {
          progress.stop();
          await target.close();
        }
      } else {
        try {
          count = await exportFile(tracker, runIds, format, out, () => progress.add());
        } finally {
          progress.stop();
        }
      }
      io.stdout.write(
        json
          ? `${JSON.stringify({ runs: runIds.length, results: count, out })}\n`
          : `exported ${count} results of ${runIds.length} runs to ${out}\n`,
      );
      return 0;
    },
  },
  {
    name: 'import',
    summary: 'results from our JSONL export or a gllm-evals folder; never twice',
    usage: 'evaltrack import <file.jsonl|folder>',
    example: 'evaltrack import ./old_experiments --store sqlite:evals.sqlite',
    options: {},
    async run({ positionals, io, json, tracker }) {
      const from = positionals[0];
      if (!from) throw new UsageError('import needs a file or a folder');
      let report: { imported: number; skipped: number };
      if (from.endsWith('.jsonl')) {
        const progress = resultProgress(io, 'importing', await countLines(from));
        try {
          report = await tracker.importResults(readJsonl(from, () => progress.add()));
        } finally {
          progress.stop();
        }
      } else {
        const source = new CSVExperimentTracker('evaltrack', { outputDir: from });
        const progress = resultProgress(
          io,
          'importing',
          resultsIn(await source.getExperimentHistory()),
        );
        try {
          report = await copyResults(source, tracker, { onResult: () => progress.add() });
        } finally {
          progress.stop();
          await source.close();
        }
      }
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
      const source = await openStore(from);
      const target = await openStore(to);
      try {
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
        await Promise.all([source.close(), target.close()]);
      }
      return 0;
    },
  },
];

/** Progress over `total` results, on stderr. */
const resultProgress = (io: CliIo, verb: string, total: number) =>
  createProgress(total, true, { stream: io.stderr, verb, unit: 'results', failures: false });

/** The results of the runs `history` lists (those `include` keeps). */
const resultsIn = (
  history: readonly RunSummary[],
  include: (run: RunSummary) => boolean = () => true,
): number => history.filter(include).reduce((n, r) => n + r.totalData, 0);

/** Our JSONL export, read back record by record. */
async function* readJsonl(file: string, onRecord: () => void): AsyncGenerator<ResultRecord> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    onRecord();
    yield JSON.parse(line) as ResultRecord;
  }
}

/** The records of a JSONL file, for the progress total: one pass that only counts newlines. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

/** Streams runs to a JSONL or flat CSV file; resolves with the number of results. */
async function exportFile(
  tracker: BaseExperimentTracker,
  runIds: string[],
  format: 'jsonl' | 'csv',
  out: string,
  onResult: () => void,
): Promise<number> {
  const stream = createWriteStream(out);
  const write = (s: string): Promise<void> =>
    stream.write(s) ? Promise.resolve() : new Promise((r) => stream.once('drain', () => r()));
  let count = 0;
  let columns: string[] = [];
  if (format === 'csv') {
    // The value columns of every run, first: a CSV has one header.
    const names = new Set<string>();
    for (const runId of runIds)
      for await (const r of tracker.iterateRunResults(runId))
        for (const n of Object.keys(r.values)) names.add(n);
    columns = [...names];
    const header = [
      'result_id',
      'sample_id',
      'run_id',
      'dataset_name',
      'timestamp',
      'evaluator_name',
      'model_name',
      ...columns,
      'data',
      'metadata',
      'evaluation_result',
    ];
    await write(formatRecord(header.map((h) => encodeText(h, 'column name'))));
  }
  for (const runId of runIds) {
    for await (const r of tracker.iterateRunResults(runId)) {
      count++;
      onResult();
      if (format === 'jsonl') {
        await write(`${JSON.stringify(r)}\n`);
      } else {
        await write(
          formatRecord([
            r.resultId,
            encodeText(r.sampleId, 'sampleId'),
            encodeText(r.runId, 'runId'),
            encodeText(r.datasetName, 'datasetName'),
            r.timestamp,
            encodeText(r.evaluatorName, 'evaluatorName'),
            encodeText(r.modelName, 'modelName'),
            ...columns.map((c) => {
              const v = r.values[c];
              return v === undefined ? '' : encodeValue(v, c);
            }),
            quoteCell(JSON.stringify(r.data)),
            quoteCell(JSON.stringify(r.metadata)),
            r.evaluationResult === null ? '' : quoteCell(JSON.stringify(r.evaluationResult)),
          ]),
        );
      }
    }
  }
  await new Promise<void>((resolve, reject) =>
    stream.end((e?: Error | null) => (e ? reject(e) : resolve())),
  );
  return count;
}
