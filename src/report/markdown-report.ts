/**
 * A report as GitHub-flavoured Markdown, for a pull-request comment or a job summary. Stored text
 * (ids, metric names, inputs, outputs, explanations) is data: it goes into code spans or into
 * `<pre>` with HTML escaped, so that no Markdown, HTML or @mention in a sample can change the
 * comment. The comment stays under GitHub's limit by leaving samples out, and says how many.
 */
import { interval, money, ms, num } from '../cli/render.js';
import type { PairedDifference } from '../stats/statistics.js';
import { escapeHtml } from './escape-html.js';
import type { ReportModel, ReportSample, SampleSide, SampleStatus } from './report-model.js';

/** The first line of every report: lets a workflow find and update its own comment. */
export const REPORT_MARKER = '<!-- evaltrack-report -->';

/** GitHub's limit on a comment's body, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** Options of {@link markdownReport}. */
export interface MarkdownOptions {
  /** Samples shown per section (regressions, improvements…). @default 10 */
  maxSamples?: number;
  /** The longest report, in UTF-16 code units (never fewer than characters). @default 65,536 */
  limit?: number;
  /** Characters of each text shown (an input, an output). @default 1,000 */
  maxText?: number;
}

/** The sections of samples, in order, each with its heading. */
const SECTIONS: { status: SampleStatus; title: (n: number) => string }[] = [
  { status: 'regression', title: (n) => counted(n, 'regression') },
  { status: 'error', title: (n) => `${n} with evaluator errors` },
  { status: 'only-baseline', title: (n) => `${n} missing from the candidate` },
  { status: 'improvement', title: (n) => counted(n, 'improvement') },
];

/** The report as Markdown, at most `limit` long. */
export function markdownReport(model: ReportModel, options: MarkdownOptions = {}): string {
  const maxSamples = options.maxSamples ?? 10;
  const limit = options.limit ?? GITHUB_COMMENT_LIMIT;
  const maxText = options.maxText ?? 1_000;
  const head = [REPORT_MARKER, verdictLine(model), '', ...failures(model), ...runsTable(model)];
  head.push(...metricsTable(model), ...measuresTable(model), countsLine(model), '', '');
  const footer = [
    '',
    `<sub>evaltrack report · deciding metric ${code(model.metric)}${
      model.uiUrl === null
        ? ''
        : ` · [open the comparison in the dashboard](<${compareLink(model)}>)`
    }</sub>`,
    '',
  ].join('\n');
  let out = head.join('\n');
  // Room kept for the footer and for the note on what was left out.
  const budget = (): number => limit - out.length - footer.length - 300;
  let full = false;
  let unshown = 0;
  for (const { status, title } of SECTIONS) {
    const samples = model.samples.filter((s) => s.status === status);
    if (samples.length === 0) continue;
    const blocks: string[] = [];
    let size = 200; // the section's own lines
    for (const s of samples.slice(0, maxSamples)) {
      if (full) break;
      const block = sampleBlock(model, s, maxText);
      if (size + block.length > budget()) full = true;
      else {
        blocks.push(block);
        size += block.length;
      }
    }
    if (full) unshown += samples.length - blocks.length;
    if (blocks.length === 0) continue;
    const first = blocks.length < samples.length ? ` (the first ${blocks.length})` : '';
    out += `<details><summary><b>${title(samples.length)}</b>${first}</summary>\n\n${blocks.join('')}</details>\n\n`;
  }
  if (full) {
    out += `*This comment holds at most ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')} characters: ${unshown} samples of the sections above are not shown (\`--format html\` has every sample).*\n`;
  }
  return out + footer;
}

function verdictLine(model: ReportModel): string {
  const cmp = model.comparison;
  const metric = code(model.metric);
  if (model.gate !== null) {
    return model.gate.passed
      ? `### ✅ evaltrack gate passed on ${metric}`
      : `### ❌ evaltrack gate failed on ${metric}`;
  }
  const m = cmp.metrics.find((x) => x.metric === model.metric);
  const difference =
    m === undefined || m.difference.mean === null
      ? 'no paired values'
      : `difference ${signed(m.difference.mean)}${interval(m.difference.interval, signed)}, ${significance(m.difference)}`;
  return `### evaltrack: ${counted(cmp.regressions.length, 'regression')}, ${counted(cmp.improvements.length, 'improvement')} on ${metric} (${difference})`;
}

function failures(model: ReportModel): string[] {
  if (model.gate === null || model.gate.passed) return [];
  const shown = model.gate.failures.slice(0, 20).map((f) => `- ${code(f, 600)}`);
  if (model.gate.failures.length > 20) shown.push(`- and ${model.gate.failures.length - 20} more`);
  return [...shown, ''];
}

function runsTable(model: ReportModel): string[] {
  const row = (label: string, r: ReportModel['baseline']): string =>
    `| ${label} | ${cell(r.runId)} | ${cell(r.modelName)} | ${cell(r.datasetName)} | ${
      r.createdAt === null ? '-' : r.createdAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')
    } | ${r.results} |`;
  return [
    '| | run | model | dataset | created | results |',
    '|---|---|---|---|---|---:|',
    row('baseline', model.baseline),
    row('candidate', model.candidate),
    '',
  ];
}

function metricsTable(model: ReportModel): string[] {
  const metrics = model.comparison.metrics;
  if (metrics.length === 0) return [];
  // The deciding metric first, the others in their column order.
  const ordered = [
    ...metrics.filter((m) => m.metric === model.metric),
    ...metrics.filter((m) => m.metric !== model.metric),
  ];
  return [
    '| metric | samples | baseline | candidate | difference [95% CI] | |',
    '|---|---:|---:|---:|---|---|',
    ...ordered.map(
      (m) =>
        `| ${m.metric === model.metric ? `**${cell(m.metric)}** (deciding)` : cell(m.metric)} | ${m.n} | ${num(m.baselineMean)} | ${num(m.candidateMean)} | ${
          m.difference.mean === null
            ? '-'
            : `${signed(m.difference.mean)}${interval(m.difference.interval, signed)}`
        } | ${significance(m.difference)} |`,
    ),
    '',
  ];
}

function measuresTable(model: ReportModel): string[] {
  const rows: string[] = [];
  const { latencyMs, cost } = model.comparison.measures;
  for (const [label, m, f] of [
    ['task latency, ms', latencyMs, ms],
    ['cost', cost, money],
  ] as const) {
    const d = m.difference;
    if (d === null || d.n === 0) continue;
    rows.push(
      `| ${label} | ${d.n} | ${f(m.baselineMean)} | ${f(m.candidateMean)} | ${f(d.mean)}${interval(d.interval, f)} | ${
        d.interval === null
          ? ''
          : d.significantRise
            ? 'higher'
            : d.interval.high < 0
              ? 'lower'
              : 'within noise'
      } |`,
    );
  }
  if (rows.length === 0) return [];
  return [
    '| per sample (mean) | samples | baseline | candidate | difference [95% CI] | |',
    '|---|---:|---:|---:|---|---|',
    ...rows,
    '',
  ];
}

function countsLine(model: ReportModel): string {
  const cmp = model.comparison;
  return [
    `**${counted(cmp.matched, 'sample')} in both runs:** ${counted(cmp.regressions.length, 'regression')}`,
    counted(cmp.improvements.length, 'improvement'),
    `${cmp.unchanged} unchanged`,
    `${cmp.onlyBaseline.length} only in the baseline`,
    `${cmp.onlyCandidate.length} only in the candidate`,
    `${cmp.baseline.errors.length} + ${cmp.candidate.errors.length} with evaluator errors (baseline + candidate)`,
    `${cmp.baseline.unscored.length} + ${cmp.candidate.unscored.length} not scored`,
  ].join(' · ');
}

function sampleBlock(model: ReportModel, s: ReportSample, maxText: number): string {
  // The dashboard opens a sample by the id of its (first) result, in the candidate when it has it.
  const [run, side] = s.candidate
    ? [model.candidate, s.candidate]
    : [model.baseline, s.baseline as SampleSide];
  const link =
    model.uiUrl === null
      ? ''
      : ` · [dashboard](<${model.uiUrl}/run/${encodeURIComponent(run.runId)}?sample=${encodeURIComponent(
          side.resultId,
        )}&metric=${encodeURIComponent(model.metric)}>)`;
  const parts = [`#### ${code(s.sampleId)}${link}`, ''];
  parts.push('Input:', pre(s.input, maxText));
  if (s.expected !== '') parts.push('Expected:', pre(s.expected, maxText));
  for (const [label, side] of [
    ['Baseline', s.baseline],
    ['Candidate', s.candidate],
  ] as const) {
    if (side === null) continue;
    parts.push(`${label} (${verdict(side)}):`, pre(side.output, maxText));
    if (side.error !== null) parts.push(`${label} evaluator error:`, pre(side.error, maxText));
    const explanations = Object.entries(side.explanations);
    if (explanations.length > 0) {
      parts.push(
        `${label} explanations:`,
        pre(explanations.map(([where, text]) => `${where}: ${text}`).join('\n'), maxText),
      );
    }
  }
  return `${parts.join('\n')}\n\n`;
}

function verdict(side: SampleSide): string {
  const value = side.value === null ? 'no value' : num(side.value);
  const passed = side.passed === null ? '' : side.passed ? 'pass, ' : 'fail, ';
  return `${passed}${value}${side.trials > 1 ? ` over ${side.trials} trials` : ''}`;
}

function significance(d: PairedDifference): string {
  if (d.interval === null) return '';
  if (d.significantDrop) return '**significant drop**';
  return d.interval.low > 0 ? 'significant gain' : 'not significant';
}

/** `1 regression`, `2 regressions`. */
const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const signed = (x: number | null): string => (x !== null && x > 0 ? `+${num(x)}` : num(x));

const compareLink = (model: ReportModel): string =>
  `${model.uiUrl}/compare?baseline=${encodeURIComponent(model.baseline.runId)}&candidate=${encodeURIComponent(model.candidate.runId)}&metric=${encodeURIComponent(model.metric)}`;

/**
 * Stored text as an inline code span: one line, at most `max` characters, fenced by more backticks
 * than it holds. Nothing in a code span is Markdown, HTML or a mention.
 */
export function code(text: string, max = 200): string {
  let s = text.replace(/[\r\n\t]+/g, ' ');
  if (s.length > max) s = `${s.slice(0, max - 1)}…`;
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') || s === '' ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/**
 * A code span in a table cell: GFM splits cells on `|` before it reads code spans, so a `|` in the
 * text is escaped (the escape is read as the cell's, and the span shows a plain `|`).
 */
const cell = (text: string): string => code(text).replace(/\|/g, '\\|');

/** Stored text as a `<pre>` block, HTML escaped, cut to `max` characters with a count. */
export function pre(text: string, max: number): string {
  const cut =
    text.length > max
      ? `${text.slice(0, max)}… (${text.length - max} more characters)`
      : text === ''
        ? '(empty)'
        : text;
  return `<pre>${escapeHtml(cut)}</pre>\n`;
}
