#!/usr/bin/env node
// Produces every command output the README shows, from a fresh store, so that none can drift.
//
//   node scripts/readme-outputs.mjs          prints what differs from the README; exit 1 if anything does
//   node scripts/readme-outputs.mjs --write  writes the outputs into README.md
//   node scripts/readme-outputs.mjs --json   prints [{ block, readme, produced }] (both normalised),
//                                            as test/e2e/readme.test.ts compares them
//
// Which blocks: a fenced block whose first line starts with `$ ` (every `$ ` line in it is a shell
// command, followed by what it prints, stdout and stderr together), and the block right after the
// line `<!-- readme-outputs: npm start -->` (what the quickstart prints). They are produced in a new
// temporary folder: first `node examples/quickstart.mjs --fixed-run-ids` (run ids made from the model
// names, so that `compare`'s bootstrap, seeded from the run ids, gives the same figures every time),
// then each command, in README order, with the built `dist/cli/bin.js` as `evaltrack` on PATH,
// the repository's `examples` linked into the folder, and NO_COLOR=1. The only parts that still
// change from one run to the next are times: timestamps (`2026-11-29T10:55:35.105Z`) are compared
// as `<time>`, and so are the latencies the quickstart's task measured, in what it prints and in
// the blocks that read its store (`47 ms` as `<n> ms`, a latency column's cells as `<n>`); --write
// keeps those of the run it made.
// Needs `npm run build` first.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const README = join(ROOT, 'README.md');
const QUICKSTART_MARK = '<!-- readme-outputs: npm start -->';
const FENCE = /^```([^\n`]*)\n([\s\S]*?)^```$/gm;

/**
 * Latencies measured in this run (the quickstart's task waits on real timers), masked: `47 ms` in
 * a line, and in a table every cell of a column headed `… ms` (`mean ms`, `latency ms`) or of a
 * row labelled `… ms` (`task latency, ms`), whatever the digits, at the column's width.
 */
function maskLatencies(text) {
  const lines = text.replace(/\b\d[\d,]*(?:\.\d+)? ms\b/g, '<n> ms').split('\n');
  for (let i = 1; i < lines.length; i++) {
    // The rule under a table's header gives its columns.
    if (!/^-+(?: +-+)+$/.test(lines[i])) continue;
    const spans = [...lines[i].matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length]);
    const isMs = ([a, b], line) => /\bms$/.test(line.slice(a, b).trim());
    const columns = spans.filter((span) => isMs(span, lines[i - 1]));
    for (let j = i + 1; j < lines.length && lines[j].trim() !== ''; j++) {
      const cells = isMs(spans[0], lines[j]) ? spans.slice(1) : columns;
      for (const [a, b] of cells)
        lines[j] = lines[j].slice(0, a) + '<n>'.padStart(b - a) + lines[j].slice(b);
    }
  }
  return lines.join('\n');
}

/**
 * Times are the one volatile part of the outputs: timestamps, and in a block produced from the
 * quickstart's store (`timed`), the latencies its task measured.
 */
export const normalise = (text, timed = false) => {
  const timeless = text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>');
  return timed ? maskLatencies(timeless) : timeless;
};

const commandsOf = (body) =>
  body
    .split('\n')
    .filter((l) => l.startsWith('$ '))
    .map((l) => l.slice(2));

/** The README's output blocks: where each one's content starts and ends, and what makes it. */
export function outputBlocks(readme) {
  const blocks = [];
  for (const m of readme.matchAll(FENCE)) {
    const body = m[2] ?? '';
    const start = m.index + m[0].indexOf('\n') + 1;
    const end = start + body.length;
    const before = readme.slice(0, m.index).trimEnd();
    if (before.endsWith(QUICKSTART_MARK))
      blocks.push({ start, end, body, quickstart: true, timed: true });
    else if (body.startsWith('$ ')) {
      // Commands without --store read the quickstart's store, and its measured latencies.
      const timed = commandsOf(body).every((c) => !c.includes('--store'));
      blocks.push({ start, end, body, quickstart: false, timed });
    }
  }
  return blocks;
}

function run(command, args, cwd, env) {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return r;
}

/** The outputs, produced from a fresh store, in the order of `outputBlocks(readme)`. */
export function produce(readme) {
  const dir = mkdtempSync(join(tmpdir(), 'evaltrack-readme-'));
  try {
    const bin = join(dir, '.bin');
    mkdirSync(bin);
    const shim = join(bin, 'evaltrack');
    const cli = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin.evaltrack;
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, cli)}" "$@"\n`);
    chmodSync(shim, 0o755);
    // `node examples/…` in a block runs the repository's example, as from its root.
    symlinkSync(join(ROOT, 'examples'), join(dir, 'examples'));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1' };
    delete env.EVALTRACK_STORE;
    delete env.FORCE_COLOR;
    const qs = run(
      process.execPath,
      [join(ROOT, 'examples/quickstart.mjs'), '--fixed-run-ids'],
      dir,
      env,
    );
    if (qs.status !== 0) throw new Error(`the quickstart failed (${qs.status}): ${qs.stderr}`);
    return outputBlocks(readme).map((block) => {
      if (block.quickstart) return qs.stdout.trimEnd() + '\n';
      const parts = commandsOf(block.body).map((command) => {
        const r = run('/bin/sh', ['-c', `${command} 2>&1`], dir, env);
        return `$ ${command}\n${r.stdout.trimEnd()}`.trimEnd();
      });
      return parts.join('\n\n') + '\n';
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(README, 'utf8');
  const blocks = outputBlocks(readme);
  const produced = produce(readme);
  if (process.argv.includes('--write')) {
    let out = readme;
    for (let i = blocks.length - 1; i >= 0; i--) {
      const b = blocks[i];
      out = out.slice(0, b.start) + produced[i] + out.slice(b.end);
    }
    writeFileSync(README, out);
    console.log(`README.md: ${blocks.length} output blocks written`);
  } else if (process.argv.includes('--json')) {
    const pairs = blocks.map((b, i) => ({
      block: b.quickstart ? 'npm start' : commandsOf(b.body).join(' && '),
      readme: normalise(b.body, b.timed),
      produced: normalise(produced[i] ?? '', b.timed),
    }));
    console.log(JSON.stringify(pairs));
  } else {
    let differ = 0;
    blocks.forEach((b, i) => {
      if (normalise(b.body, b.timed) === normalise(produced[i] ?? '', b.timed)) return;
      differ++;
      console.log(`README block at offset ${b.start} differs; produced:\n${produced[i]}`);
    });
    console.log(`${blocks.length} output blocks, ${differ} differ`);
    process.exitCode = differ === 0 ? 0 : 1;
  }
}
