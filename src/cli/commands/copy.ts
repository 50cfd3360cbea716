import { copyResults } from '../../copy-results.js';
import type { BaseExperimentTracker } from '../../tracker/base-experiment-tracker.js';
import { UsageError } from '../command.js';
import type { Command } from '../command.js';
import { openTracker } from '../../stores/registry.js';
import { resultProgress, resultsIn } from '../result-progress.js';

/** `evaltrack copy`: every run of one store into another, never stored twice. */
export const copyCommand: Command = {
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
    const source = await openTracker('evaltrack', { store: from, create: false });
    let target: BaseExperimentTracker | undefined;
    try {
      target = await openTracker('evaltrack', { store: to });
      const runIds = values['run'] as unknown as string[] | undefined;
      const progress = resultProgress(
        io,
        'copying',
        resultsIn(await source.getExperimentHistory(), (r) => !runIds || runIds.includes(r.runId)),
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
};
