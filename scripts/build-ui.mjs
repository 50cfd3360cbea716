// Builds the dashboard's browser assets into dist/ui/assets: one bundle of the Preact app with its
// CSS (uPlot's included), and the page shell. Shipped in the package: the dashboard loads nothing
// from the network.
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const out = new URL('../dist/ui/assets/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL('../src/ui/client/main.tsx', import.meta.url).pathname],
  outfile: `${out}app.js`,
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
});
copyFileSync(new URL('../src/ui/client/index.html', import.meta.url).pathname, `${out}index.html`);
