import type { RunComparison } from '../stats/compare-runs.js';
import { visible } from './render.js';
import type { Style } from './render.js';

/** What a comparison paired, and what it could not: the lines under compare's and gate's verdicts. */
export function describeComparison(cmp: RunComparison, style: Style): string {
  const metric = visible(cmp.metric);
  const lines = [
    `on ${metric}: ${cmp.matched} samples in both runs: ${style.red(`${cmp.regressions.length} regressions`)}, ` +
      `${style.green(`${cmp.improvements.length} improvements`)}, ${cmp.unchanged} unchanged` +
      (cmp.hasVerdicts || cmp.paired === 0 ? '' : ` (${metric} has no pass/fail verdict)`),
    `coverage gap: ${cmp.onlyBaseline.length} only in the baseline, ${cmp.onlyCandidate.length} only in the candidate`,
    `evaluator errors: ${cmp.baseline.errors.length} in the baseline, ${cmp.candidate.errors.length} in the candidate`,
    `not scored on ${metric}: ${cmp.baseline.unscored.length} in the baseline, ${cmp.candidate.unscored.length} in the candidate`,
  ];
  if (cmp.changedInputs.length > 0) {
    lines.push(
      `changed input or expected answer (not compared): ${cmp.changedInputs.length}: ${visible(cmp.changedInputs.slice(0, 20).join(', '))}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
