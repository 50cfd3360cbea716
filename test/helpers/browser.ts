// Chromium for the tests that use a real browser (Debian's chromium through playwright-core).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

/** The browser's executable, or `undefined` when none is installed (CI installs one). */
export const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) =>
  existsSync(p),
);

/** Where browser tests keep their screenshots (not committed). */
export const SHOTS = join(import.meta.dirname, '../../test-artifacts/screenshots');

/** Throws in CI when no browser is installed: there, a browser test must run, not skip. */
export function requireChromiumInCi(what: string): void {
  if (!CHROMIUM && process.env['CI']) {
    throw new Error(`CI must test ${what} in a browser: install chromium (see .ci/run)`);
  }
}

/** Chromium, headless; the caller closes it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/**
 * A new page at `url` that records console errors, page errors and dialogs (an alert from a
 * stored text) in `problems`, which a test expects to stay empty.
 */
export async function openPage(
  browser: Browser,
  url: string,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(url);
  return { page, problems };
}
