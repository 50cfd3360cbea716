import type { Command } from '../command.js';
import { compareNamedRuns } from '../compare-named-runs.js';
import { describeComparison } from '../describe-comparison.js';
import type { MeasureComparison } from '../../stats/measure-stats.js';
import { interval, money, ms, num, renderTable, shorten, visible } from '../render.js';

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
    io.stdout.write(describeMeasureDifferences(cmp.measures));
    io.stdout.write(`\n${describeComparison(cmp, style)}`);
    for (const r of cmp.regressions) {
      io.stdout.write(
        `\n${style.bold(visible(r.sampleId))}: ${shorten(r.input, 100)}\n  before: ${shorten(r.baselineOutput, 100)}\n  now:    ${shorten(r.candidateOutput, 100)}\n`,
      );
    }
    return 0;
  },
};

const MEASURES = [
  { key: 'latencyMs', label: 'task latency, ms', what: 'task latency', f: ms },
  { key: 'cost', label: 'cost', what: 'cost', f: money },
] as const;

/**
 * The mean task latency and mean cost per sample of both runs, with the paired difference and its
 * interval, when both runs recorded them; a line saying why when only one did.
 */
function describeMeasureDifferences(
  measures: Record<(typeof MEASURES)[number]['key'], MeasureComparison>,
): string {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const { key, label, what, f } of MEASURES) {
    const m = measures[key];
    const { baseline, candidate } = m.recorded;
    if (baseline === 0 && candidate === 0) continue;
    if (m.difference === null) {
      const [has, hasNot] = baseline > 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
      notes.push(
        `${what} not compared: the ${has} recorded it (${Math.max(baseline, candidate)} results), the ${hasNot} did not`,
      );
    } else if (m.difference.n === 0) {
      notes.push(`${what} not compared: no sample in both runs has it in both`);
    } else {
      const d = m.difference;
      rows.push([
        label,
        String(d.n),
        f(m.baselineMean),
        f(m.candidateMean),
        `${f(d.mean)}${interval(d.interval, f)}`,
      ]);
    }
  }
  if (rows.length === 0 && notes.length === 0) return '';
  return (
    '\n' +
    (rows.length > 0
      ? renderTable(
          ['per sample (mean)', 'samples', 'baseline', 'candidate', 'difference [95% CI]'],
          rows,
        )
      : '') +
    notes.map((n) => `${n}\n`).join('')
  );
}
