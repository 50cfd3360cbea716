// Builds the browser assets: the dashboard's (dist/ui/assets: one bundle of the Preact app with its
// CSS, uPlot's included, and the page shell) and the HTML report's (dist/report/report-client.js
// and .css, which `htmlReport` inlines into each report). Shipped in the package: neither loads
// anything from the network.
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const src = (path) => new URL(`../src/${path}`, import.meta.url).pathname;
const dist = (path) => new URL(`../dist/${path}`, import.meta.url).pathname;
const common = {
  bundle: true,
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
};

mkdirSync(dist('ui/assets'), { recursive: true });
await build({
  ...common,
  entryPoints: [src('ui/client/main.tsx')],
  outfile: dist('ui/assets/app.js'),
  format: 'esm',
});
copyFileSync(src('ui/client/index.html'), dist('ui/assets/index.html'));

// A classic script (not a module): it runs inline, from file://, under the report's CSP.
await build({
  ...common,
  entryPoints: [src('report/client/report-client.tsx')],
  outfile: dist('report/report-client.js'),
  format: 'iife',
});
