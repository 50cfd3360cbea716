/**
 * The report of two runs as one self-contained HTML file: it fetches nothing and opens from
 * `file://`. The verdict, the runs, the metrics, the measures and the samples that changed are
 * static HTML (the page reads with scripts off); the charts and the searchable table of every
 * sample are drawn by the inline script (src/report/client, bundled into dist/report) from the
 * data in a `<script type="application/json">`. A Content-Security-Policy allows the inline
 * script and style by their hashes only.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createGzip, gzipSync } from 'node:zlib';
import type { Gzip } from 'node:zlib';
import { EvaltrackError } from '../errors.js';
import { count, exact, interval, money, ms, num } from '../cli/render.js';
import type { MeasureComparison } from '../stats/measure-stats.js';
import type { PairedDifference } from '../stats/statistics.js';
import { escapeHtml } from './escape-html.js';
import { cutText, reportData, reportDataJson } from './report-data.js';
import type { CutText, ReportData, ReportDataOptions } from './report-data.js';
import type {
  ReportModel,
  ReportRun,
  ReportSample,
  SampleSide,
  SampleStatus,
} from './report-model.js';

/** Options of {@link htmlReport}. */
export interface HtmlReportOptions {
  /**
   * Above this many characters of JSON, the page's data is gzipped and base64-encoded (the page
   * inflates it with the browser's `DecompressionStream`). Default 1,000,000.
   */
  compressAbove?: number;
  /** Samples written out per list (regressions, errors…), as the Markdown's. @default 10 */
  maxSamples?: number;
  /**
   * The size the file should stay under, in bytes. When the whole data would make it larger, the
   * texts of unchanged samples are left out (an input preview stays), then every text is cut to
   * 300 characters; the page says so. @default 5,000,000
   */
  maxBytes?: number;
}

/** What is kept of the texts, tried in order until the file fits {@link HtmlReportOptions.maxBytes}. */
const FALLBACKS: ReportDataOptions[] = [
  {},
  { brief: ['unchanged'] },
  { brief: ['unchanged'], textLimit: 300 },
];

const e = escapeHtml;

// `<`, `>`, `&` and the line separators U+2028/2029 as `\u` escapes: no text can close the element
// or open a comment.
const escapeScriptJson = (json: string): string =>
  json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** JSON for a `<script>` element, escaped so that no text in it can close the element. */
export const scriptJson = (value: unknown): string => escapeScriptJson(JSON.stringify(value));

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

let assets: { script: string; style: string } | undefined;
/** The page's script and style, built by `npm run build` beside this module; read once. */
function clientAssets(): { script: string; style: string } {
  if (assets) return assets;
  const read = (name: string): string => {
    try {
      return readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
    } catch (cause) {
      throw new EvaltrackError(
        'E_STORE_IO',
        `the HTML report's ${name} is missing beside html-report.js: run \`npm run build\``,
        { cause },
      );
    }
  };
  const script = read('report-client.js');
  const style = read('report-client.css');
  // The bundle goes inside <script> and <style> as it is: it must not close them.
  if (/<\/script|<!--/i.test(script) || /<\/style/i.test(style)) {
    throw new EvaltrackError('E_INVALID_ARGUMENT', "the report's bundle would close its element");
  }
  assets = { script, style };
  return assets;
}

/** The page around its data: all of it but the footer and the data's element. */
interface PageFrame {
  head: string;
  tail: string;
  /** Bytes of the page without the data's element, with room for the footer. */
  fixed: number;
}

function pageFrame(model: ReportModel, options: HtmlReportOptions): PageFrame {
  const { script, style } = clientAssets();
  const { baseline, candidate } = model;
  const head = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(csp(script, style))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${e(`evaltrack report: ${candidate.runId} against ${baseline.runId}`)}</title>
<style>${style}</style>
</head>
<body>
<header><span class="brand">evaltrack</span><span>report</span>${
    model.uiUrl === null
      ? ''
      : `<a href="${e(compareUrl(model))}">this comparison in the dashboard</a>`
  }</header>
<main>
<h1>Candidate <code>${e(candidate.runId)}</code> against baseline <code>${e(baseline.runId)}</code></h1>
${verdictHtml(model)}
${runsHtml(model)}
${metricsHtml(model)}
${measuresHtml(model)}
${countsHtml(model)}
<section id="charts-section"><h2>Metrics, sample by sample</h2><div id="charts"><noscript><p class="muted">The charts need JavaScript.</p></noscript></div></section>
${listsHtml(model, options.maxSamples ?? 10)}<section id="all-samples"><h2>Every sample</h2><div id="samples-app"><noscript><p class="muted">The table of every sample needs JavaScript.</p></noscript></div></section>
`;
  const tail = `<script>${script}</script>
</body>
</html>
`;
  return { head, tail, fixed: Buffer.byteLength(head) + Buffer.byteLength(tail) + 1000 };
}

const PLAIN_OPEN = '<script type="application/json" id="report-data">';
// Base64 holds no character that could close the element: only plain JSON needs escaping.
const GZIP_OPEN =
  '<script type="application/octet-stream" id="report-data" data-encoding="gzip-base64">';
const CLOSE = '</script>';

/** Bytes of the element holding `gzipped` bytes of data. */
const gzippedElementBytes = (gzipped: number): number =>
  GZIP_OPEN.length + Math.ceil(gzipped / 3) * 4 + CLOSE.length;

/**
 * The whole HTML document of a report. The data of every sample is in it when the file stays
 * under {@link HtmlReportOptions.maxBytes}; else the first of the smaller {@link FALLBACKS} that
 * does (the last whatever its size). {@link writeHtmlReport} writes the same document without
 * holding it whole.
 */
export function htmlReport(model: ReportModel, options: HtmlReportOptions = {}): string {
  const page = pageFrame(model, options);
  const maxBytes = options.maxBytes ?? 5_000_000;
  let out = '';
  for (const [i, fallback] of FALLBACKS.entries()) {
    const last = i === FALLBACKS.length - 1;
    const data = reportData(model, fallback);
    const json = JSON.stringify(data);
    let element: string;
    let bytes: number;
    if (json.length <= (options.compressAbove ?? 1_000_000)) {
      element = `${PLAIN_OPEN}${escapeScriptJson(json)}${CLOSE}`;
      bytes = Buffer.byteLength(element);
    } else {
      // Decided on the gzipped size itself, as writeHtmlReport decides while it compresses.
      const gzipped = gzipSync(json, GZIP);
      bytes = gzippedElementBytes(gzipped.length);
      if (!last && page.fixed + bytes > maxBytes) continue;
      element = `${GZIP_OPEN}${gzipped.toString('base64')}${CLOSE}`;
    }
    out = `${page.head}${footerHtml(data)}\n</main>\n${element}\n${page.tail}`;
    if (last || page.fixed + bytes <= maxBytes) break;
  }
  return out;
}

/**
 * {@link htmlReport}'s document, the same bytes, handed to `write` in pieces: the page's data is
 * made one sample at a time and gzipped as it is made, so that neither the data, nor its JSON, nor
 * the page is ever whole (a 10,000-sample report's data is 30 MB of JSON). A smaller fallback is
 * tried as soon as the compressed data is too large to fit.
 */
export async function writeHtmlReport(
  model: ReportModel,
  write: (text: string) => Promise<void>,
  options: HtmlReportOptions = {},
): Promise<void> {
  const page = pageFrame(model, options);
  const maxBytes = options.maxBytes ?? 5_000_000;
  for (const [i, fallback] of FALLBACKS.entries()) {
    const last = i === FALLBACKS.length - 1;
    const { frame, json } = reportDataJson(model, fallback);
    const element = await dataElement(
      json,
      options.compressAbove ?? 1_000_000,
      last ? Infinity : maxBytes - page.fixed,
    );
    if (element === null) continue;
    await write(`${page.head}${footerHtml(frame)}\n</main>\n`);
    for (const part of element) await write(part);
    await write(`\n${page.tail}`);
    return;
  }
}

/** Characters of JSON handed to gzip at a time. */
const GZIP_CHUNK = 1 << 20;

/**
 * The element holding the data whose JSON is `json`, in pieces: plain when the JSON is at most
 * `compressAbove` characters, else gzipped as it is read; null when it is over `budget` bytes.
 */
async function dataElement(
  json: Iterable<string>,
  compressAbove: number,
  budget: number,
): Promise<Iterable<string> | null> {
  let parts: string[] = [];
  let length = 0;
  let gzip: Gzip | undefined;
  const gzipped: Buffer[] = [];
  let size = 0;
  let ended: Promise<unknown> | undefined;
  try {
    for (const piece of json) {
      parts.push(piece);
      length += piece.length;
      if (gzip === undefined && length > compressAbove) {
        gzip = createGzip(GZIP);
        gzip.on('data', (chunk: Buffer) => {
          gzipped.push(chunk);
          size += chunk.length;
        });
        ended = once(gzip, 'end');
        // Awaited once the data is whole: an error before then must not go unhandled meanwhile.
        ended.catch(() => {});
      }
      if (gzip !== undefined && length >= GZIP_CHUNK) {
        if (gzippedElementBytes(size) > budget) return null;
        if (!gzip.write(parts.join(''))) await once(gzip, 'drain');
        parts = [];
        length = 0;
      }
    }
    if (gzip === undefined) {
      const element = `${PLAIN_OPEN}${escapeScriptJson(parts.join(''))}${CLOSE}`;
      return Buffer.byteLength(element) > budget ? null : [element];
    }
    gzip.end(parts.join(''));
    parts = [];
    await ended;
    if (gzippedElementBytes(size) > budget) return null;
    const bytes = Buffer.concat(gzipped, size);
    gzipped.length = 0;
    return base64Element(bytes);
  } finally {
    // A try given up: its stream is closed.
    if (gzip !== undefined && !gzip.writableFinished) gzip.destroy();
  }
}

/** The gzipped data's element, its base64 made a piece at a time. */
function* base64Element(bytes: Buffer): Generator<string, void, undefined> {
  yield GZIP_OPEN;
  // A multiple of 3 bytes: each piece's base64 has no padding, and they join into the whole's.
  const step = 3 << 18;
  for (let at = 0; at < bytes.length; at += step)
    yield bytes.subarray(at, at + step).toString('base64');
  yield CLOSE;
}

/**
 * Gzip's level 3, not its default 6: on 31 MB of a 10,000-sample report's data it takes 64 ms
 * against 184 ms, for 1.61 MB against 1.08 MB, and the file keeps within its limit anyway.
 */
const GZIP = { level: 3 };

/** What the report left out of its texts. */
function footerHtml(data: ReportData): string {
  const limit = data.textLimit.toLocaleString('en-US');
  const brief =
    data.brief.samples === 0
      ? ''
      : ` To keep this file small, the ${data.brief.samples.toLocaleString('en-US')} ${data.brief.statuses.join(', ')} samples have only an input preview and their errors here.`;
  return `<footer class="muted">Texts longer than ${limit} characters are cut to their first ${limit} in this report (“… N more characters”).${brief} The dashboard and <code>evaltrack show</code> have every text whole.</footer>`;
}

const csp = (script: string, style: string): string =>
  [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

const encode = encodeURIComponent;

const compareUrl = (model: ReportModel): string =>
  `${model.uiUrl ?? ''}/compare?baseline=${encode(model.baseline.runId)}&candidate=${encode(model.candidate.runId)}&metric=${encode(model.metric)}`;

const sampleUrl = (model: ReportModel, runId: string, side: SampleSide): string =>
  `${model.uiUrl ?? ''}/run/${encode(runId)}?sample=${encode(side.resultId)}`;

/** What a paired difference says: a significant drop, a significant gain, or neither. */
function significance(d: PairedDifference): 'drop' | 'gain' | 'no' {
  if (d.significantDrop) return 'drop';
  return d.interval !== null && d.interval.low > 0 ? 'gain' : 'no';
}

const signed = (x: number | null): string => (x !== null && x > 0 ? `+${num(x)}` : num(x));

/**
 * The verdict: the gate's, with each rule that failed and each cost and latency check, when gate
 * options were given; else the regressions and improvements on the deciding metric and its
 * difference with its interval and significance.
 */
function verdictHtml(model: ReportModel): string {
  const cmp = model.comparison;
  const metric = `<code>${e(model.metric)}</code>`;
  if (model.gate !== null) {
    const { passed, failures, checks } = model.gate;
    const list = (items: string[], cls: string): string =>
      items.length === 0
        ? ''
        : `<ul class="${cls}">${items.map((i) => `<li>${e(i)}</li>`).join('')}</ul>`;
    const checkLines = checks.map((c) => {
      const what = c.check === 'max-cost' ? 'total cost' : 'p95 task latency';
      const unit = c.check === 'max-cost' ? '' : ' ms';
      const figure =
        c.value === null
          ? 'not recorded'
          : `${exact(c.value)}${unit} over ${c.n} of ${c.results} results`;
      return `${what}: ${figure}, at most ${exact(c.limit)}${unit}: ${c.passed ? 'pass' : 'FAIL'}`;
    });
    return `<p id="verdict" class="verdict ${passed ? 'pass' : 'fail'}">evaltrack gate ${passed ? 'passed' : 'failed'} on ${metric}</p>${list(failures, 'failures')}${list(checkLines, 'checks')}`;
  }
  const m = cmp.metrics.find((x) => x.metric === model.metric);
  const sig = m === undefined ? 'no' : significance(m.difference);
  const difference =
    m === undefined || m.difference.mean === null
      ? 'no paired values'
      : `difference ${signed(m.difference.mean)}${e(interval(m.difference.interval, signed))}, ${
          sig === 'drop'
            ? 'significant drop'
            : sig === 'gain'
              ? 'significant gain'
              : 'not significant'
        }`;
  const tone = sig === 'drop' ? 'fail' : sig === 'gain' ? 'pass' : 'neutral';
  return `<p id="verdict" class="verdict ${tone}">evaltrack: ${cmp.regressions.length} regressions, ${cmp.improvements.length} improvements on ${metric} (${difference})</p>`;
}

function runsHtml(model: ReportModel): string {
  const row = (role: string, r: ReportRun): string =>
    `<tr><th scope="row">${role}</th><td><code>${e(r.runId)}</code></td><td>${e(r.datasetName)}</td><td>${e(r.modelName)}</td><td>${e(r.createdAt ?? '—')}</td><td class="num">${r.results}</td><td>${contextHtml(r.context)}</td></tr>`;
  return `<section id="runs-section"><h2>Runs</h2><table id="runs"><thead><tr><th></th><th>run</th><th>dataset</th><th>model</th><th>created</th><th class="num">results</th><th>context</th></tr></thead><tbody>${row('baseline', model.baseline)}${row('candidate', model.candidate)}</tbody></table></section>`;
}

function contextHtml(context: Record<string, unknown>): string {
  const entries = Object.entries(context);
  if (entries.length === 0) return '—';
  return entries
    .map(([k, v]) => {
      const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
      return `<span class="kv">${e(k)}=${textHtml(cutText(text, 200))}</span>`;
    })
    .join(' ');
}

function metricsHtml(model: ReportModel): string {
  const rows = model.comparison.metrics.map((m) => {
    const d = m.difference;
    const sig = significance(d);
    const tone = sig === 'drop' ? 'worse' : sig === 'gain' ? 'better' : 'no';
    const deciding = m.metric === model.metric;
    return `<tr${deciding ? ' class="deciding"' : ''}><td><code>${e(m.metric)}</code>${deciding ? ' <span class="tag">decides</span>' : ''}</td><td>${m.kind}</td><td class="num">${m.n}</td><td class="num">${num(m.baselineMean)}</td><td class="num">${num(m.candidateMean)}</td><td class="num">${num(d.mean)}${e(interval(d.interval, (x) => num(x)))}</td><td class="sig ${tone}">${sig}</td><td class="num">${m.mcnemar ? num(m.mcnemar.p, 4) : '-'}</td></tr>`;
  });
  return `<section id="metrics-section"><h2>Metrics</h2><table id="metrics"><thead><tr><th>metric</th><th>kind</th><th class="num">samples</th><th class="num">baseline</th><th class="num">candidate</th><th class="num">difference [95% CI]</th><th>significant</th><th class="num">McNemar p</th></tr></thead><tbody>${rows.join('')}</tbody></table><p class="muted">Means over the samples in both runs with a value in both (trials averaged first); difference: candidate − baseline, with its 95% paired bootstrap interval; significant when the whole interval is below zero (drop) or above (gain).</p></section>`;
}

const MEASURES = [
  { key: 'latencyMs', label: 'task latency, ms', f: ms },
  { key: 'cost', label: 'cost', f: money },
] as const;

function measuresHtml(model: ReportModel): string {
  const cmp = model.comparison;
  const rows: string[] = [];
  const notes: string[] = [];
  for (const { key, label, f } of MEASURES) {
    const m: MeasureComparison = cmp.measures[key];
    const { baseline, candidate } = m.recorded;
    if (baseline === 0 && candidate === 0) continue;
    const d = m.difference;
    if (d === null || d.n === 0) {
      notes.push(
        d === null
          ? `${label}: recorded by the ${baseline > 0 ? 'baseline' : 'candidate'} only (${Math.max(baseline, candidate)} results), not compared`
          : `${label}: no sample in both runs has it in both, not compared`,
      );
      continue;
    }
    rows.push(
      `<tr><td>${label}</td><td class="num">${d.n}</td><td class="num">${f(m.baselineMean)}</td><td class="num">${f(m.candidateMean)}</td><td class="num">${f(d.mean)}${e(interval(d.interval, f))}</td><td class="sig ${d.significantRise ? 'worse' : 'no'}">${d.significantRise ? 'rise' : 'no'}</td></tr>`,
    );
  }
  const runs = (['baseline', 'candidate'] as const).map((role) => {
    const r = cmp.runMeasures[role];
    return `<tr><th scope="row">${role}</th><td class="num">${ms(r?.latency?.meanMs)}</td><td class="num">${ms(r?.latency?.p50Ms)}</td><td class="num">${ms(r?.latency?.p95Ms)}</td><td class="num">${count(r?.tokens?.totalTokens)}</td><td class="num">${money(r?.cost?.total)}</td></tr>`;
  });
  if (
    rows.length === 0 &&
    notes.length === 0 &&
    !cmp.runMeasures.baseline &&
    !cmp.runMeasures.candidate
  )
    return '';
  return `<section id="measures-section"><h2>Latency and cost</h2>${
    rows.length > 0
      ? `<table id="measures"><thead><tr><th>per sample (mean)</th><th class="num">samples</th><th class="num">baseline</th><th class="num">candidate</th><th class="num">difference [95% CI]</th><th>significant</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : ''
  }${notes.map((n) => `<p class="muted">${e(n)}</p>`).join('')}<table id="run-measures"><thead><tr><th>run</th><th class="num">latency mean, ms</th><th class="num">p50</th><th class="num">p95</th><th class="num">tokens</th><th class="num">total cost</th></tr></thead><tbody>${runs.join('')}</tbody></table></section>`;
}

function countsHtml(model: ReportModel): string {
  const cmp = model.comparison;
  const items = [
    `${cmp.matched} samples in both runs, ${cmp.paired} with a value on <code>${e(cmp.metric)}</code> in both: ${cmp.regressions.length} regressions, ${cmp.improvements.length} improvements, ${cmp.unchanged} unchanged${cmp.hasVerdicts || cmp.paired === 0 ? '' : ` (<code>${e(cmp.metric)}</code> has no pass/fail verdict)`}`,
    `coverage gap: ${cmp.onlyBaseline.length} only in the baseline, ${cmp.onlyCandidate.length} only in the candidate`,
    `evaluator errors: ${cmp.baseline.errors.length} in the baseline, ${cmp.candidate.errors.length} in the candidate`,
    `not scored on <code>${e(cmp.metric)}</code>: ${cmp.baseline.unscored.length} in the baseline, ${cmp.candidate.unscored.length} in the candidate`,
  ];
  if (cmp.changedInputs.length > 0)
    items.push(`changed input or expected answer (not compared): ${cmp.changedInputs.length}`);
  return `<ul id="counts">${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

/** The lists of samples to look at, as the Markdown's, each with its first `maxSamples`. */
function listsHtml(model: ReportModel, maxSamples: number): string {
  const lists: [id: string, title: string, status: SampleStatus][] = [
    ['regressions', 'Regressions', 'regression'],
    ['errors', 'Evaluator errors', 'error'],
    ['missing', 'Missing from the candidate', 'only-baseline'],
    ['improvements', 'Improvements', 'improvement'],
    ['new', 'Only in the candidate', 'only-candidate'],
    ['changed-inputs', 'Changed input or expected answer', 'changed-input'],
    ['unscored', `Not scored on ${model.metric}`, 'unscored'],
  ];
  return lists
    .map(([id, title, status]) => {
      const samples = model.samples.filter((s) => s.status === status);
      if (samples.length === 0 && status !== 'regression') return '';
      const more = samples.length - maxSamples;
      return `<section id="${id}" class="list"><h2>${e(title)} (${samples.length})</h2>${
        samples.length === 0 ? '<p class="muted">None.</p>' : ''
      }${samples
        .slice(0, maxSamples)
        .map((s) => sampleHtml(model, s))
        .join('')}${
        more > 0
          ? `<p class="muted">And ${more} more: the table of every sample below has them (its status filter).</p>`
          : ''
      }</section>\n`;
    })
    .join('');
}

function sampleHtml(model: ReportModel, s: ReportSample): string {
  const side = (role: 'baseline' | 'candidate', v: SampleSide | null): string => {
    const runId = model[role].runId;
    if (v === null)
      return `<div class="side"><h4>${role}</h4><p class="muted">not in this run</p></div>`;
    const link =
      model.uiUrl === null
        ? ''
        : ` <a href="${e(sampleUrl(model, runId, v))}">in the dashboard</a>`;
    const explanations = Object.entries(v.explanations);
    return `<div class="side"><h4>${role}: ${valueHtml(v)}${link}</h4><pre>${textHtml(cutText(v.output))}</pre>${
      v.error === null ? '' : `<p class="error">${textHtml(cutText(v.error))}</p>`
    }${
      explanations.length === 0
        ? ''
        : `<dl class="explanations">${explanations
            .map(([where, text]) => `<dt>${e(where)}</dt><dd>${textHtml(cutText(text))}</dd>`)
            .join('')}</dl>`
    }</div>`;
  };
  return `<details class="sample"${s.status === 'regression' || s.status === 'error' ? ' open' : ''}><summary><code>${e(s.sampleId)}</code> <span class="status ${s.status}">${s.status}</span> ${s.baseline ? valueHtml(s.baseline) : '—'} → ${s.candidate ? valueHtml(s.candidate) : '—'}</summary><dl class="texts"><dt>input</dt><dd><pre>${textHtml(cutText(s.input))}</pre></dd><dt>expected</dt><dd><pre>${textHtml(cutText(s.expected))}</pre></dd></dl><div class="sides">${side('baseline', s.baseline)}${side('candidate', s.candidate)}</div></details>`;
}

/** A side's value on the deciding metric: pass/fail when it has a verdict. */
const valueHtml = (v: SampleSide): string =>
  v.passed === null
    ? v.value === null && v.error !== null
      ? '<span class="fail">error</span>'
      : num(v.value)
    : `<span class="${v.passed ? 'pass' : 'fail'}">${v.passed ? 'pass' : 'fail'}</span>${v.value !== null && v.value !== 0 && v.value !== 1 ? ` (${num(v.value)})` : ''}`;

const textHtml = (t: CutText): string =>
  typeof t === 'string'
    ? e(t)
    : `${e(t[0])}<span class="cut">… ${t[1].toLocaleString('en-US')} more characters</span>`;
