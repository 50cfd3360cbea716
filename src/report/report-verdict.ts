/** A report's one-line verdict, in plain text, for every format of the report. */
import { interval, num } from '../cli/render.js';
import type { ReportModel } from './report-model.js';

/** The verdict, and whether it is good news (`pass`), bad (`fail`) or neither. */
export interface ReportVerdict {
  tone: 'pass' | 'fail' | 'neutral';
  text: string;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * The gate's verdict when gate options were given (its first failure, and how many more);
 * otherwise what the deciding metric did: regressions, improvements, and the paired difference
 * with its interval and whether it is significant.
 */
export function reportVerdict(model: ReportModel): ReportVerdict {
  const cmp = model.comparison;
  if (model.gate !== null) {
    const { passed, failures } = model.gate;
    if (passed) return { tone: 'pass', text: 'Gate passed: no rule of the gate failed.' };
    const more = failures.length > 1 ? ` (and ${plural(failures.length - 1, 'more failure')})` : '';
    return { tone: 'fail', text: `Gate failed: ${failures[0] ?? ''}${more}.` };
  }
  const m = cmp.metrics.find((x) => x.metric === cmp.metric);
  const changes = cmp.hasVerdicts
    ? `${plural(cmp.regressions.length, 'regression')}, ${plural(cmp.improvements.length, 'improvement')}, ${cmp.unchanged} unchanged`
    : `${plural(cmp.paired, 'sample')} scored in both runs`;
  if (!m || m.difference.mean === null) {
    return {
      tone: 'neutral',
      text: `On ${cmp.metric}: ${changes}; no paired values to compare.`,
    };
  }
  const d = m.difference;
  const rise = d.interval !== null && d.interval.low > 0;
  const significance = d.significantDrop
    ? 'a significant drop'
    : rise
      ? 'a significant rise'
      : 'not significant';
  return {
    tone: d.significantDrop ? 'fail' : rise ? 'pass' : 'neutral',
    text: `On ${cmp.metric}: ${changes}; difference ${num(d.mean)}${interval(d.interval, (x) => num(x))}, ${significance}.`,
  };
}
