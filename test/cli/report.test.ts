// `evaltrack report --format md` as a pull request shows it: run as the built binary, its Markdown
// rendered by a CommonMark + GFM parser (micromark, GitHub's dialect) to check that no stored text
// changes the comment, and its exit code the gate's.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { describe, expect, it } from 'vitest';
import type { EvaluationOutput, MetricInput } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { evaltrack } from '../helpers/evaltrack-binary.js';
import { tempDir } from '../helpers/temp-dir.js';

const render = (md: string): string =>
  micromark(md, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });

const sample = (i: number, extra: Partial<MetricInput> = {}): MetricInput => ({
  id: `q${String(i).padStart(2, '0')}`,
  input: `question ${i}`,
  actual_output: `answer ${i}`,
  expected_output: `answer ${i}`,
  ...extra,
});
const judged = (pass: boolean, explanation = pass ? 'fine' : 'wrong'): EvaluationOutput => ({
  judge: {
    aggregate_success: pass,
    aggregate_score: pass ? 1 : 0,
    correctness: { score: pass ? 1 : 0, explanation },
  },
});

async function logRun(
  dir: string,
  runId: string,
  outputs: EvaluationOutput[],
  samples: MetricInput[],
): Promise<void> {
  const t = new CSVExperimentTracker('p', { outputDir: dir });
  await t.logBatch(outputs, 'faq', samples, { runId });
  await t.close();
}

const ten = Array.from({ length: 10 }, (_, i) => sample(i));

describe('evaltrack report --format md', () => {
  it('gives the verdict, the tables and the changed samples, and exits 0 without gate options', async () => {
    using dir = tempDir();
    await logRun(
      dir.path,
      'base',
      ten.map((_, i) => judged(i !== 3)),
      ten,
    );
    // q02 regresses, q03 improves.
    await logRun(
      dir.path,
      'cand',
      ten.map((_, i) => judged(i !== 2)),
      ten,
    );
    const r = evaltrack('report', 'base', 'cand', '--store', dir.path);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      '<!-- evaltrack-report -->',
      '### evaltrack: 1 regressions, 1 improvements on `judge.aggregate_success` (difference 0.000 [-0.300, +0.300], not significant)',
    ]);
    expect(r.stdout).toContain(
      '| **`judge.aggregate_success`** (deciding) | 10 | 0.900 | 0.900 | 0.000 [-0.300, +0.300] | not significant |',
    );
    expect(r.stdout).toContain(
      '**10 samples in both runs:** 1 regressions · 1 improvements · 8 unchanged · 0 only in the baseline · 0 only in the candidate · 0 + 0 with evaluator errors (baseline + candidate) · 0 + 0 not scored',
    );
    const html = render(r.stdout);
    expect(html).toContain('<summary><b>1 regression</b></summary>');
    expect(html).toContain('<h4><code>q02</code></h4>');
    expect(html).toContain('<pre>question 2</pre>');
    expect(html).toContain('<pre>judge.correctness: wrong</pre>');
    expect(html).toContain('<summary><b>1 improvement</b></summary>');
    // Unchanged samples are not listed.
    expect(html).not.toContain('<code>q05</code>');
  });

  it('carries the gate verdict with the exit code of `gate` for the same flags', async () => {
    using dir = tempDir();
    await logRun(
      dir.path,
      'base',
      ten.map(() => judged(true)),
      ten,
    );
    // A judge outage: every candidate result an evaluator error.
    await logRun(
      dir.path,
      'outage',
      ten.map(() => ({ judge: { error: 'Error: judge is down', attempts: 3 } })),
      ten,
    );
    await logRun(
      dir.path,
      'same',
      ten.map(() => judged(true)),
      ten,
    );
    const cases: [string, string[]][] = [
      ['outage', ['--gate']],
      ['outage', ['--max-errors', '10', '--max-unscored', '10']],
      ['same', ['--gate']],
      ['same', ['--max-regressions', '0', '--no-significant-drop']],
      ['same', ['--min-score', '1.01']],
    ];
    const codes = cases.map(([cand, flags]) => {
      // `--gate` asks report for the gate with its default limits, which `gate` always applies.
      const gateFlags = flags.filter((f) => f !== '--gate');
      const gate = evaltrack('gate', 'base', cand, ...gateFlags, '--store', dir.path);
      const report = evaltrack('report', 'base', cand, ...flags, '--store', dir.path);
      return [gate.code, report.code, report.stdout.split('\n')[1]];
    });
    expect(codes).toEqual([
      [1, 1, '### ❌ evaltrack gate failed on `judge.aggregate_success`'],
      [1, 1, '### ❌ evaltrack gate failed on `judge.aggregate_success`'],
      [0, 0, '### ✅ evaltrack gate passed on `judge.aggregate_success`'],
      [0, 0, '### ✅ evaltrack gate passed on `judge.aggregate_success`'],
      [1, 1, '### ❌ evaltrack gate failed on `judge.aggregate_success`'],
    ]);
    const outage = evaltrack('report', 'base', 'outage', '--gate', '--store', dir.path);
    expect(render(outage.stdout)).toContain(
      '<li><code>10 samples of the candidate are evaluator errors (at most 0): q00 (judge: Error: judge is down), q01 (judge: Error: judge is down), q02 (judge: Error: judge is down), q03 (judge: Error: judge is down), q04 (judge: Error: judge is down), and 5 more</code></li>',
    );
    expect(render(outage.stdout)).toContain('<summary><b>10 with evaluator errors</b></summary>');
  });

  it('keeps every stored text inert: no markup, HTML or mention from a sample reaches the comment', async () => {
    using dir = tempDir();
    const evil =
      '</pre><img src=x onerror=alert(1)> **bold** [link](http://evil) @octocat | `tick` <!--';
    const samples = [sample(0, { id: 'q`|<b>x</b>@octocat', input: evil, actual_output: evil })];
    await logRun(dir.path, 'base', [judged(true)], samples);
    await logRun(dir.path, 'cand', [judged(false, `</pre>${evil}`)], samples);
    const r = evaltrack(
      'report',
      'base',
      'cand',
      '--store',
      dir.path,
      '--ui-url',
      'http://127.0.0.1:4173',
    );
    expect(r.code).toBe(0);
    const html = render(r.stdout);
    // Every element in the rendered comment is one the report wrote.
    const tags = new Set([...html.matchAll(/<([a-z0-9]+)[\s>]/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual([
      'a',
      'b',
      'code',
      'details',
      'h3',
      'h4',
      'p',
      'pre',
      'strong',
      'sub',
      'summary',
      'table',
      'tbody',
      'td',
      'th',
      'thead',
      'tr',
    ]);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('href="http://evil"');
    expect(html).toContain(
      '<pre>&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt; **bold** [link](http://evil) @octocat | `tick` &lt;!--</pre>',
    );
    expect(html).toContain(
      '<h4><code>q`|&lt;b&gt;x&lt;/b&gt;@octocat</code> · <a href="http://127.0.0.1:4173/run/cand?sample=q%60%7C%3Cb%3Ex%3C%2Fb%3E%40octocat&amp;metric=judge.aggregate_success">dashboard</a></h4>',
    );
    // No mention outside code and pre: GitHub links none there.
    const outsideCode = html.replace(/<(code|pre)>[\s\S]*?<\/\1>/g, '');
    expect(outsideCode).not.toContain('@octocat');
  });

  it("stays under GitHub's 65,536 characters, saying how many samples it left out", async () => {
    using dir = tempDir();
    const many = Array.from({ length: 300 }, (_, i) =>
      sample(i, { input: `question ${i} ${'x'.repeat(3000)}` }),
    );
    await logRun(
      dir.path,
      'base',
      many.map(() => judged(true)),
      many,
    );
    await logRun(
      dir.path,
      'cand',
      many.map(() => judged(false, 'y'.repeat(2000))),
      many,
    );
    const r = evaltrack('report', 'base', 'cand', '--store', dir.path, '--max-samples', '300');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThanOrEqual(65_536);
    const shown = (r.stdout.match(/^#### /gm) ?? []).length;
    expect(shown).toBeGreaterThan(5);
    expect(r.stdout).toContain(`<summary><b>300 regressions</b> (the first ${shown})</summary>`);
    expect(r.stdout).toContain(
      `*This comment holds at most 65,536 characters: ${300 - shown} samples of the sections above are not shown (\`--format html\` has every sample).*`,
    );
    // Each text is cut with a count of what was left out.
    expect(r.stdout).toContain('… (2011 more characters)</pre>');
  });

  it('writes --out FILE whole, refuses an existing one without --force, and checks flags first', async () => {
    using dir = tempDir();
    await logRun(
      dir.path,
      'base',
      ten.map(() => judged(true)),
      ten,
    );
    await logRun(
      dir.path,
      'cand',
      ten.map(() => judged(true)),
      ten,
    );
    const out = join(dir.path, 'report.md');
    const first = evaltrack('report', 'base', 'cand', '--out', out, '--store', dir.path);
    expect([first.code, first.stdout, first.stderr]).toEqual([
      0,
      '',
      `wrote the report to ${out}\n`,
    ]);
    writeFileSync(out, 'kept');
    const again = evaltrack('report', 'base', 'cand', '--out', out, '--store', dir.path);
    expect([again.code, again.stderr]).toEqual([
      2,
      `evaltrack report: ${out} exists; --force replaces it\n`,
    ]);
    const bad = evaltrack('report', 'base', 'cand', '--format', 'pdf', '--store', dir.path);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be md');
    const url = evaltrack(
      'report',
      'base',
      'cand',
      '--ui-url',
      'javascript:alert(1)',
      '--store',
      dir.path,
    );
    expect(url.code).toBe(2);
    expect(url.stderr).toContain(
      '--ui-url must be an http or https address, got "javascript:alert(1)"',
    );
  });
});
