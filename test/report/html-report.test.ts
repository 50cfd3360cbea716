// The HTML report as a file: the golden (byte for byte), everything escaped, the CSP's hashes, the
// cut texts and the compressed data of a large report.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { htmlReport, scriptJson } from '../../dist/report/html-report.js';
import { cutText, reportData } from '../../dist/report/report-data.js';
import type { ReportModel } from '../../dist/report/report-model.js';
import { goldenModel } from '../../scripts/regenerate-report-goldens.mjs';

const between = (html: string, open: RegExp, close: string): string[] =>
  [...html.matchAll(new RegExp(`${open.source}([\\s\\S]*?)${close}`, 'g'))].map((m) => m[1] ?? '');

describe('the HTML report', () => {
  let model: ReportModel;
  let html: string;
  beforeAll(async () => {
    model = await goldenModel();
    html = htmlReport(model);
  });

  it('holds no markup of the stored texts: every payload is escaped', () => {
    // The fixture puts <img src=x onerror=alert(1)> and </script><script>alert(1)</script> in
    // sample ids, run ids, a dataset, a metric name, inputs, outputs, explanations, an error and
    // a context: none of them survives as markup anywhere in the file.
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<script>alert/i);
    expect(html).not.toMatch(/<b>/i);
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html.match(/<\/script>/gi)).toHaveLength(2);
    expect(html).toContain('<code>cand-&lt;/script&gt;</code>');
    expect(html).toContain('<td><code>judge.&lt;img src=x onerror=alert(1)&gt;.score</code></td>');
    // The data reads back as the texts were stored.
    const [json] = between(html, /<script type="application\/json" id="report-data">/, '</script>');
    const data = JSON.parse(json as string) as ReturnType<typeof reportData>;
    expect(data).toEqual(JSON.parse(JSON.stringify(reportData(model))));
    expect(data.samples.map((s) => s.id)).toEqual([
      'q01',
      'q04',
      'q05',
      'q02',
      'q06',
      '<img src=x onerror=alert(1)>',
      'q03',
      'q07',
      'q08',
    ]);
    expect(data.candidate).toBe('cand-</script>');
  });

  it('escapes what could close a script element or break a line in JSON', () => {
    expect(scriptJson({ a: '</script><!-- & \u2028\u2029' })).toBe(
      '{"a":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029"}',
    );
  });

  it('allows its inline script and style by their sha256 only, and fetches nothing', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    const [script] = between(html, /<script>/, '</script>');
    const [style] = between(html, /<style>/, '</style>');
    expect(csp?.replaceAll('&#39;', "'")).toBe(
      `default-src 'none'; script-src ${hash(script as string)}; style-src ${hash(style as string)}; base-uri 'none'; form-action 'none'`,
    );
    // Outside the bundle: no element that loads anything, no inline style the CSP would block.
    const markup = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/g, '');
    expect(markup).not.toMatch(
      /<(?:link|iframe|object|embed|img)\b|<[a-z][^>]*\s(?:src|style|on\w+)=/i,
    );
    expect(style).not.toMatch(/@import|url\(/i);
  });

  it('lists each regression, improvement, missing sample and error with its texts', () => {
    const sections = [...html.matchAll(/<section id="([^"]+)" class="list"><h2>([^<]*)<\/h2>/g)];
    expect(sections.map((m) => [m[1], m[2]])).toEqual([
      ['regressions', 'Regressions (1)'],
      ['errors', 'Evaluator errors (1)'],
      ['missing', 'Missing from the candidate (1)'],
      ['improvements', 'Improvements (1)'],
      ['new', 'Only in the candidate (1)'],
    ]);
    expect(html).toContain(
      '<p id="verdict" class="verdict fail">evaltrack gate failed on <code>judge.aggregate_success</code></p><ul class="failures"><li>1 samples of the baseline are missing from the candidate (at most 0): q05</li>',
    );
    expect(html).toContain(
      '<a href="http://127.0.0.1:7878/compare?baseline=base-%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&amp;candidate=cand-%3C%2Fscript%3E&amp;metric=judge.aggregate_success">',
    );
    expect(html).toContain(
      '<td>task latency, ms</td><td class="num">7</td><td class="num">527</td>',
    );
  });

  it('cuts a long text to 1,500 characters and says how many more there were', () => {
    expect(cutText('abcdef', 4)).toEqual(['abcd', 2]);
    expect(cutText('abcd', 4)).toBe('abcd');
    // Never half of a surrogate pair: the emoji is kept whole or left out whole.
    expect(cutText('abc😀def', 4)).toEqual(['abc', 5]);
    const q07 = reportData(model).samples.find((s) => s.id === 'q07');
    const output = q07?.baseline?.output;
    expect(Array.isArray(output) && [output[0].length, output[1]]).toEqual([1500, 1130]);
  });

  it('gzips the data of a large report, and it inflates to the same JSON', () => {
    const big = htmlReport(model, { compressAbove: 0 });
    const [blob] = between(
      big,
      /<script type="application\/octet-stream" id="report-data" data-encoding="gzip-base64">/,
      '</script>',
    );
    expect(blob).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(gunzipSync(Buffer.from(blob as string, 'base64')).toString('utf8')).toBe(
      JSON.stringify(reportData(model)),
    );
  });

  it('without gate options: the regressions, improvements and difference on the deciding metric', () => {
    const plain = htmlReport({ ...model, gate: null });
    expect(/<p id="verdict"[^]*?<\/p>/.exec(plain)?.[0]).toBe(
      '<p id="verdict" class="verdict neutral">evaltrack: 1 regressions, 1 improvements on <code>judge.aggregate_success</code> (difference 0.000 [-0.500, +0.500], not significant)</p>',
    );
    expect(plain).not.toContain('class="failures"');
  });

  it('writes out the first maxSamples samples of a list and says how many more', () => {
    const samples = Array.from({ length: 12 }, (_, k) =>
      model.samples.map((s) => ({ ...s, sampleId: `${s.sampleId}#${k}` })),
    ).flat();
    const html12 = htmlReport({ ...model, samples });
    const regressions = /<section id="regressions"[^]*?<\/section>/.exec(html12)?.[0] ?? '';
    expect(regressions.match(/<details/g)).toHaveLength(10);
    expect(regressions).toContain('<h2>Regressions (12)</h2>');
    expect(regressions).toContain('And 2 more: the table of every sample below has them');
    const three = htmlReport({ ...model, samples }, { maxSamples: 3 });
    expect(
      /<section id="improvements"[^]*?<\/section>/.exec(three)?.[0].match(/<details/g),
    ).toHaveLength(3);
  });

  it('stays under maxBytes: the texts of unchanged samples first, then every text cut to 300', () => {
    const samples = Array.from({ length: 250 }, (_, k) =>
      model.samples.map((s) => ({ ...s, sampleId: `${s.sampleId}#${k}` })),
    ).flat();
    const big = { ...model, samples };
    const dataOf = (page: string) => {
      const [blob] = between(page, /data-encoding="gzip-base64">/, '</script>');
      return JSON.parse(
        gunzipSync(Buffer.from(blob as string, 'base64')).toString('utf8'),
      ) as ReturnType<typeof reportData>;
    };
    const whole = htmlReport(big);
    expect(dataOf(whole).brief).toEqual({ statuses: [], samples: 0 });
    const smaller = htmlReport(big, { maxBytes: Buffer.byteLength(whole) - 1 });
    expect(Buffer.byteLength(smaller)).toBeLessThan(Buffer.byteLength(whole));
    const data = dataOf(smaller);
    expect([data.brief, data.textLimit]).toEqual([
      { statuses: ['unchanged'], samples: 1000 },
      1500,
    ]);
    const unchanged = data.samples.find((s) => s.id === 'q07#0');
    expect([unchanged?.brief, unchanged?.expected, unchanged?.baseline?.output]).toEqual([
      true,
      '',
      '',
    ]);
    expect(unchanged?.baseline?.explanations).toEqual([]);
    expect(data.samples.find((s) => s.id === 'q01#0')?.brief).toBeUndefined();
    expect(smaller).toContain(
      'To keep this file small, the 1,000 unchanged samples have only an input preview and their errors here.',
    );
    const least = dataOf(htmlReport(big, { maxBytes: 1 }));
    expect([least.brief.samples, least.textLimit]).toEqual([1000, 300]);
  });

  it('renders the same document twice (no clock, no randomness)', () => {
    expect(htmlReport(model)).toBe(html);
  });
});
