import type { Command } from '../command.js';
import { loadComparison } from '../compare-named-runs.js';
import { describeComparison } from '../describe-comparison.js';
import {
  GATE_OPTIONS,
  GATE_USAGE,
  describeChecks,
  gateVerdict,
  readGateLimits,
} from '../gate-verdict.js';
import { visible } from '../render.js';

/** `evaltrack gate`: exit 1 when the candidate breaks a rule against the baseline (for CI). */
export const gateCommand: Command = {
  name: 'gate',
  summary: 'exit 1 when the candidate breaks a rule against the baseline (for CI)',
  usage: `evaltrack gate <baseline> <candidate> [--dataset NAME] [--metric COLUMN] ${GATE_USAGE} [--allow-different-datasets]`,
  example: 'evaltrack gate main-baseline latest --max-regressions 0 --no-significant-drop',
  args: [2, 2],
  options: {
    dataset: { type: 'string' },
    metric: { type: 'string' },
    ...GATE_OPTIONS,
    'allow-different-datasets': { type: 'boolean' },
  },
  async run({ values, positionals, io, json, tracker, style }) {
    const limits = readGateLimits(values);
    const loaded = await loadComparison(tracker, positionals, values);
    const cmp = loaded.comparison;
    const { failures, checks } = gateVerdict(loaded, limits);
    if (json) {
      io.stdout.write(
        `${JSON.stringify({
          passed: failures.length === 0,
          metric: cmp.metric,
          failures,
          checks,
          comparison: cmp,
        })}\n`,
      );
    } else {
      io.stdout.write(
        (failures.length === 0
          ? `gate passed on ${visible(cmp.metric)}\n`
          : `gate failed on ${visible(cmp.metric)}:\n${failures.map((f) => `- ${visible(f)}\n`).join('')}`) +
          describeChecks(cmp.candidateRun, checks) +
          `\n${describeComparison(cmp, style)}`,
      );
    }
    return failures.length === 0 ? 0 : 1;
  },
};
