import type { Command } from '../command.js';
import { compareNamedRuns } from '../compare-named-runs.js';
import { describeComparison } from '../describe-comparison.js';
import { interval, num, renderTable, shorten, visible } from '../render.js';

/** `evaltrack compare`: a candidate run against a baseline, sample by sample. */
export const compareCommand: Command = {
  name: 'compare',
  summary: 'a candidate run against a baseline, sample by sample, with intervals and McNemar',
  usage:
    'evaltrack compare <baseline> <candidate> [--dataset NAME] [--metric COLUMN] [--allow-different-datasets]',
  example: 'evaltrack compare latest~1 latest --metric judge.aggregate_success',
  args: [2, 2],
  options: {
    dataset: { type: 'string' },
    metric: { type: 'string' },
    'allow-different-datasets': { type: 'boolean' },
  },
  async run({ values, positionals, io, json, tracker, style }) {
    const cmp = await compareNamedRuns(tracker, positionals, values);
    if (json) {
      io.stdout.write(`${JSON.stringify(cmp)}\n`);
      return 0;
    }
    io.stdout.write(
      renderTable(
        ['metric', 'baseline', 'candidate', 'difference [95% CI]', 'McNemar p'],
        cmp.metrics.map((m) => [
          m.metric === cmp.metric ? `${m.metric} *` : m.metric,
          num(m.baselineMean),
          num(m.candidateMean),
          `${num(m.difference.mean)}${interval(m.difference.interval, (x) => num(x))}`,
          m.mcnemar ? num(m.mcnemar.p, 4) : '-',
        ]),
      ),
    );
    io.stdout.write(`\n${describeComparison(cmp, style)}`);
    for (const r of cmp.regressions) {
      io.stdout.write(
        `\n${style.bold(visible(r.sampleId))}: ${shorten(r.input, 100)}\n  before: ${shorten(r.baselineOutput, 100)}\n  now:    ${shorten(r.candidateOutput, 100)}\n`,
      );
    }
    return 0;
  },
};
