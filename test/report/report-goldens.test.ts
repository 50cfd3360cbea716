// Every format of `evaltrack report` over the fixed store of test/fixtures/report-store, byte for
// byte as its golden file (regenerate: npm run build && node scripts/regenerate-report-goldens.mjs),
// and the Markdown golden as GitHub renders it (CommonMark + GFM): only the report's own markup.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR, renderGoldens } from '../../scripts/regenerate-report-goldens.mjs';

describe('the report goldens', () => {
  it('are what this build writes, byte for byte', async () => {
    const rendered = await renderGoldens();
    expect(rendered.map((g) => g.file)).toEqual(['report.html', 'report.md']);
    for (const { file, content } of rendered) {
      expect(content, file).toBe(readFileSync(join(GOLDEN_DIR, file), 'utf8'));
    }
  });

  it('render as Markdown with the payloads of the fixture as text', () => {
    const md = readFileSync(join(GOLDEN_DIR, 'report.md'), 'utf8');
    const html = micromark(md, {
      allowDangerousHtml: true,
      extensions: [gfm()],
      htmlExtensions: [gfmHtml()],
    });
    const tags = new Set([...html.matchAll(/<([a-z0-9]+)[\s>]/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual([
      'a',
      'b',
      'code',
      'details',
      'h3',
      'h4',
      'li',
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
      'ul',
    ]);
    expect(html).not.toMatch(/<img|<script/);
    // The fixture's model name `mini **v1**` is not bold, its dataset `faq<b>` not markup.
    expect(html).toContain('<td><code>mini **v1**</code></td>');
    expect(html).toContain('<td><code>faq&lt;b&gt;</code></td>');
  });
});
