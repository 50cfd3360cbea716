/**
 * The regression gate's rules, written once for `gate` and for `report` with gate options: the
 * limits read from the command line before anything is compared, and the verdict on a comparison.
 */
import { runStatsOn } from '../stats/run-stats.js';
import { UsageError } from './command.js';
import type { Context } from './command.js';
import type { LoadedComparison } from './compare-named-runs.js';
import { exact, interval, num, shorten, visible } from './render.js';
import { wholeNumber } from './whole-number.js';

/** The gate's flags, shared by `gate` and `report`. */
export const GATE_OPTIONS = {
  'max-regressions': { type: 'string' },
  'min-score': { type: 'string', multiple: true },
  'no-significant-drop': { type: 'boolean' },
  'max-missing': { type: 'string' },
  'max-errors': { type: 'string' },
  'max-unscored': { type: 'string' },
  'max-cost': { type: 'string' },
  'max-p95-latency': { type: 'string' },
  'allow-changed-inputs': { type: 'boolean' },
} as const;

/** The usage text of {@link GATE_OPTIONS}. */
export const GATE_USAGE =
  '[--max-regressions N] [--min-score [COLUMN=]X ...] [--no-significant-drop] [--max-missing N] [--max-errors N] [--max-unscored N] [--max-cost X] [--max-p95-latency MS] [--allow-changed-inputs]';

/** The limits a gate checks, read from its flags. */
export interface GateLimits {
  maxRegressions: number | null;
  maxMissing: number;
  maxErrors: number;
  maxUnscored: number;
  minScores: { metric: string | null; min: number }[];
  noSignificantDrop: boolean;
  maxCost: number | null;
  maxP95: number | null;
  allowChangedInputs: boolean;
}

/** Whether any of the gate's flags is given. */
export const hasGateOptions = (values: Context['values']): boolean =>
  Object.keys(GATE_OPTIONS).some((flag) => values[flag] !== undefined);

/**
 * The gate's limits from its flags. Read before anything is compared: a typo is a usage error,
 * not a verdict.
 */
export function readGateLimits(values: Context['values']): GateLimits {
  const limit = (flag: string, fallback: number | null): number | null =>
    values[flag] === undefined ? fallback : wholeNumber(values[flag], `--${flag}`, 0);
  const maxRegressions = limit('max-regressions', null);
  const maxMissing = limit('max-missing', 0) as number;
  const maxErrors = limit('max-errors', 0) as number;
  const maxUnscored = limit('max-unscored', 0) as number;
  const minScores = ((values['min-score'] as unknown as string[] | undefined) ?? []).map(
    parseMinScore,
  );
  const maxCost = amount(values['max-cost'], '--max-cost');
  const maxP95 = amount(values['max-p95-latency'], '--max-p95-latency');
  return {
    maxRegressions,
    maxMissing,
    maxErrors,
    maxUnscored,
    minScores,
    noSignificantDrop: values['no-significant-drop'] === true,
    maxCost,
    maxP95,
    allowChangedInputs: values['allow-changed-inputs'] === true,
  };
}

/** A gate's verdict: passed when no rule failed, each failure a sentence, and the measure checks. */
export interface GateVerdict {
  passed: boolean;
  failures: string[];
  checks: Check[];
}

/** The gate's verdict on a comparison, under `limits`. */
export function gateVerdict(loaded: LoadedComparison, limits: GateLimits): GateVerdict {
  const { comparison: cmp, candidateSummary, candidateRecords } = loaded;
  const { maxRegressions, maxMissing, maxErrors, maxUnscored, minScores, maxCost, maxP95 } = limits;
  const candidateId = cmp.candidateRun;
  const failures: string[] = [];
  const list = (ids: readonly string[]): string =>
    ids.slice(0, 20).join(', ') + (ids.length > 20 ? `, and ${ids.length - 20} more` : '');
  if (cmp.matched === 0) {
    failures.push(
      'no sample is in both runs with the same input and expected answer: nothing was compared',
    );
  } else if (cmp.paired === 0) {
    failures.push(`no sample has a value on ${cmp.metric} in both runs: nothing was compared`);
  }
  if (cmp.onlyBaseline.length > maxMissing) {
    failures.push(
      `${cmp.onlyBaseline.length} samples of the baseline are missing from the candidate (at most ${maxMissing}): ${list(cmp.onlyBaseline)}`,
    );
  }
  if (cmp.candidate.errors.length > maxErrors) {
    failures.push(
      `${cmp.candidate.errors.length} samples of the candidate are evaluator errors (at most ${maxErrors}): ` +
        cmp.candidate.errors
          .slice(0, 5)
          .map((e) => `${e.sampleId} (${shorten(e.error, 80)})`)
          .join(', ') +
        (cmp.candidate.errors.length > 5 ? `, and ${cmp.candidate.errors.length - 5} more` : ''),
    );
  }
  if (cmp.candidate.unscored.length > maxUnscored) {
    failures.push(
      `${cmp.candidate.unscored.length} samples of the candidate have no value on ${cmp.metric} (at most ${maxUnscored}): ${list(cmp.candidate.unscored)}`,
    );
  }
  if (cmp.changedInputs.length > 0 && !limits.allowChangedInputs) {
    failures.push(
      `${cmp.changedInputs.length} samples changed their input or expected answer, so they were not compared (allow with --allow-changed-inputs): ${list(cmp.changedInputs)}`,
    );
  }
  if (maxRegressions !== null) {
    if (!cmp.hasVerdicts) {
      throw new UsageError(
        `${cmp.metric} has no pass/fail verdict to count regressions on; choose a pass/fail --metric`,
      );
    }
    if (cmp.regressions.length > maxRegressions) {
      failures.push(
        `${cmp.regressions.length} regressions on ${cmp.metric} (at most ${maxRegressions}): ${list(cmp.regressions.map((r) => r.sampleId))}`,
      );
    }
  }
  if (minScores.length > 0) {
    for (const rule of minScores) {
      const on = rule.metric ?? cmp.metric;
      const stats = runStatsOn(candidateSummary, candidateRecords, on);
      if (stats.score === null) failures.push(`${candidateId} has no value on ${on}`);
      else if (stats.score < rule.min) {
        failures.push(
          `${on} of ${candidateId} is ${num(stats.score)} over ${stats.scored} results, below ${rule.min}`,
        );
      }
    }
  }
  if (limits.noSignificantDrop) {
    const m = cmp.metrics.find((x) => x.metric === cmp.metric);
    if (!m) failures.push(`no paired values on ${cmp.metric}: a drop cannot be ruled out`);
    else if (m.difference.significantDrop) {
      failures.push(
        `${m.metric} dropped by ${num(m.difference.mean)}${interval(m.difference.interval, (x) => num(x))}`,
      );
    }
  }
  // Cost and latency limits, on the candidate's results (p95 exact, as `show` computes it).
  const checks: Check[] = [];
  const measured = cmp.runMeasures.candidate;
  const results = cmp.resultCounts.candidate;
  if (maxCost !== null) {
    const cost = measured?.cost ?? null;
    checks.push({
      check: 'max-cost',
      limit: maxCost,
      value: cost?.total ?? null,
      n: cost?.n ?? 0,
      results,
      passed: cost !== null && !above(cost.total, maxCost),
    });
  }
  if (maxP95 !== null) {
    const latency = measured?.latency ?? null;
    checks.push({
      check: 'max-p95-latency',
      limit: maxP95,
      value: latency?.p95Ms ?? null,
      n: latency?.n ?? 0,
      results,
      passed: latency !== null && !above(latency.p95Ms, maxP95),
    });
  }
  for (const c of checks) {
    const { what, measure, unit } = CHECKS[c.check];
    if (c.value === null) {
      failures.push(
        `${candidateId} recorded no ${measure} in its ${results} results: --${c.check} ${exact(c.limit)} cannot be checked`,
      );
    } else if (!c.passed) {
      failures.push(
        `${what} of ${candidateId} is ${exact(c.value)}${unit} over ${c.n} of ${results} results, above ${exact(c.limit)}${unit}`,
      );
    }
  }
  return { passed: failures.length === 0, failures, checks };
}

/** `--min-score 0.8` (on the deciding metric) or `--min-score judge.aggregate_score=0.8`. */
function parseMinScore(rule: string): { metric: string | null; min: number } {
  const at = rule.lastIndexOf('=');
  const metric = at === -1 ? null : rule.slice(0, at).trim();
  const text = (at === -1 ? rule : rule.slice(at + 1)).trim();
  if (metric === '' || text === '' || !Number.isFinite(Number(text))) {
    throw new UsageError(
      `--min-score must be a number or COLUMN=number, got ${JSON.stringify(rule)}`,
    );
  }
  return { metric, min: Number(text) };
}

const CHECKS = {
  'max-cost': { what: 'total cost', measure: 'cost', unit: '' },
  'max-p95-latency': { what: 'p95 task latency', measure: 'task latency', unit: ' ms' },
} as const;

/** A limit on the candidate's cost or latency, with its figure. */
export interface Check {
  /** The flag that set it. */
  check: keyof typeof CHECKS;
  limit: number;
  /** The candidate's figure; `null` when it recorded none. */
  value: number | null;
  /** Results that recorded it, of `results`. */
  n: number;
  results: number;
  passed: boolean;
}

/**
 * Whether `value` is above `limit`. A sum of costs logged as decimals is off in its last binary
 * digits (0.1 + 0.2 is 0.30000000000000004): within a billionth of the limit counts as at it.
 */
const above = (value: number, limit: number): boolean => value > limit + Math.abs(limit) * 1e-9;

/** Each cost and latency check with its figure, passed or not. */
export function describeChecks(candidateId: string, checks: readonly Check[]): string {
  if (checks.length === 0) return '';
  const lines = checks.map((c) => {
    const { what, unit } = CHECKS[c.check];
    const figure =
      c.value === null
        ? 'not recorded'
        : `${exact(c.value)}${unit} over ${c.n} of ${c.results} results`;
    return `  ${what}: ${figure}, at most ${exact(c.limit)}${unit}: ${c.passed ? 'pass' : 'FAIL'}\n`;
  });
  return `\nchecks on ${visible(candidateId)}:\n${lines.join('')}`;
}

/** A limit from a flag: a number >= 0 (`''`, `-1`, `1e`, `Infinity` are refused); `null` when absent. */
function amount(value: string | boolean | undefined, flag: string): number | null {
  if (value === undefined) return null;
  const text = typeof value === 'string' ? value.trim() : '';
  if (!/^(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text) || !Number.isFinite(Number(text)))
    throw new UsageError(`${flag} must be a number >= 0, got ${JSON.stringify(value)}`);
  return Number(text);
}
