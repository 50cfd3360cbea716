#!/usr/bin/env node
// Fails (exit 1) on any reference to a path outside the repository in src/, test/, bench/,
// scripts/, docs/ and README.md: the repository must stand on its own, so tests, benchmarks,
// scripts and comments may not read or cite files beside it. It looks for
//   - a relative path (`../x`, `../../x`) that, taken from the file's folder (README.md: the
//     repository's root), leads out of the repository;
//   - the specs' folder names (`shared/spec`, `shared/research`, `shared/fixtures`);
//   - absolute paths of a machine: `/work/…`, `/home/…`, `/Users/…`.
// Part of `npm run lint`. Prints `file:line: reference` for each.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const SCANNED = ['src', 'test', 'bench', 'scripts', 'docs', 'README.md'];
const SKIPPED_DIRS = new Set(['node_modules', '.data', '.python-env', 'dist']);
const BINARY = /\.(png|jpe?g|gif|webp|ico|sqlite|db|gz|tgz|zip|woff2?)$/i;
// Other tools' output kept byte for byte as they wrote it (evalite records the absolute path of
// the eval file it ran): data, not a reference this repository makes.
const VERBATIM = join('test', 'fixtures', 'peers') + sep;

const RELATIVE = /(?<![\w./-])((?:\.\.\/)+)([\w.@-]*)/g;
const NAMED = [
  /\bshared\/(?:spec|research|fixtures)\b/g,
  /(?<![\w.-])\/(?:work|home|Users)\/[\w.@-]*/g,
];

function* files(path) {
  const full = join(ROOT, path);
  let entries;
  try {
    entries = readdirSync(full, { withFileTypes: true });
  } catch (e) {
    if (e.code === 'ENOTDIR') return yield path;
    if (e.code === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) {
    if (e.isDirectory() && !SKIPPED_DIRS.has(e.name)) yield* files(join(path, e.name));
    else if (e.isFile()) yield join(path, e.name);
  }
}

/** Every reference outside the repository in `text` of the file at `path` (relative to ROOT). */
export function outsideReferences(path, text) {
  const base = path === 'README.md' ? ROOT : dirname(join(ROOT, path));
  const found = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(RELATIVE)) {
      const target = relative(ROOT, resolve(base, m[1] + m[2]));
      if (target === '..' || target.startsWith(`..${sep}`)) found.push({ line: i + 1, ref: m[0] });
    }
    for (const re of NAMED)
      for (const m of line.matchAll(re)) found.push({ line: i + 1, ref: m[0] });
  });
  return found;
}

const self = relative(ROOT, fileURLToPath(import.meta.url));
let bad = 0;
for (const top of SCANNED) {
  for (const path of files(top)) {
    if (path === self || BINARY.test(path) || path.startsWith(VERBATIM)) continue;
    const bytes = readFileSync(join(ROOT, path));
    if (bytes.includes(0)) continue;
    for (const { line, ref } of outsideReferences(path, bytes.toString('utf8'))) {
      console.log(`${path}:${line}: ${ref}`);
      bad++;
    }
  }
}
if (bad > 0) {
  console.log(`check-repo-paths: ${bad} reference(s) to paths outside the repository`);
  process.exitCode = 1;
}
