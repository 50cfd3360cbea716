// Every TypeScript/JavaScript block of README.md runs as a user runs it, against the built package:
// types stripped (esbuild), written as a .mjs file into a project of its own whose node_modules
// holds `evaltrack` (this repository, so `dist/`) and the packages the snippet imports, then run
// with node in a child process (a snippet importing vitest runs under vitest). A snippet whose
// first line is `// assumes: a, b` gets a stand-in for each (PRELUDES), prepended to it. A
// ```text block after the marker `<!-- readme-outputs: the snippet above -->` is what the snippet
// above it prints. Every command output the README shows is produced again by
// scripts/readme-outputs.mjs from a fresh store and must be the README's.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_POSTGRES, postgresUrl } from '../helpers/postgres.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const OUTPUT_MARK = '<!-- readme-outputs: the snippet above -->';

interface Snippet {
  line: number;
  code: string;
  assumes: string[];
  output: string | null;
}

function snippets(): Snippet[] {
  const fences = [...README.matchAll(/^```([^\n`]*)\n([\s\S]*?)^```$/gm)];
  const found: Snippet[] = [];
  fences.forEach((m, i) => {
    if (!['ts', 'js', 'typescript', 'javascript', 'mjs'].includes((m[1] ?? '').trim())) return;
    const code = m[2] ?? '';
    const first = code.split('\n')[0] ?? '';
    const assumes = first.startsWith('// assumes:')
      ? [...first.slice('// assumes:'.length).matchAll(/(?:^|,)\s*([^\s,(]+)/g)].map((a) => a[1]!)
      : [];
    const next = fences[i + 1];
    const end = m.index + m[0].length;
    const between = next ? README.slice(end, next.index) : '';
    found.push({
      line: README.slice(0, m.index).split('\n').length,
      code,
      assumes,
      output: next && between.includes(OUTPUT_MARK) ? (next[2] ?? '') : null,
    });
  });
  return found;
}

/** What a snippet may assume, and the stand-in the test gives it. */
const PRELUDES: Record<string, { code?: string; files?: Record<string, string> }> = {
  myJudge: {
    code: `const myJudge = async (sample) => ({ score: 1, success: true, explanation: 'a stand-in judge for ' + sample.id });`,
  },
  './faq.jsonl': {
    files: {
      'faq.jsonl': [
        {
          id: 'q1',
          input: 'How long do refunds take?',
          actual_output: 'Five days.',
          expected_output: 'Refunds take five business days.',
        },
        {
          id: 'q2',
          input: 'Do you ship to Norway?',
          actual_output: 'Yes.',
          expected_output: 'Yes, in 4 to 6 days.',
        },
      ]
        .map((s) => JSON.stringify(s) + '\n')
        .join(''),
    },
  },
  results: {
    code: `const results = [{ generation: { score: 1, success: true, aggregate_score: 1, aggregate_success: true } }];`,
  },
  EVALTRACK_PG_URL: {}, // the tests' server (test/global-setup.ts), in the environment
  samples: { code: `const samples = [{ id: 'q1', input: 'How long do refunds take?' }];` },
  MyTracker: {
    code: `
import * as __evaltrack from 'evaltrack';
class __MemoryStore {
  results = [];
  runs = new Map();
  constructor(key) { this.key = key; }
  append(results) {
    for (const r of results) {
      this.results.push(r);
      this.runs.set(r.runId, __evaltrack.foldResult(this.runs.get(r.runId), r, this.key));
    }
  }
  patchRun(runId, patch) {
    const run = this.runs.get(runId) ?? __evaltrack.emptyAggregate(runId, patch.datasetName, patch.projectName);
    this.runs.set(runId, __evaltrack.applyPatch(run, patch));
  }
  async sync() {}
  async listRuns() { return [...this.runs.values()].map(__evaltrack.toRunSummary); }
  async *readRun(runId) {
    for (const r of this.results) {
      if (r.runId !== runId) continue;
      yield structuredClone(__evaltrack.recordOf(r));
    }
  }
  async close() {}
}
class MyTracker extends __evaltrack.BaseExperimentTracker {
  constructor(projectName, store, options) { super(projectName, { ...options, store }); }
}`,
  },
  openStore: {
    code: `
const __stores = new Map();
const openStore = (location, options) => {
  if (!__stores.has(location)) __stores.set(location, new __MemoryStore(options?.leaderboardScoreKey ?? 'aggregate_success'));
  return __stores.get(location);
};`,
  },
};

/** Run ids, result ids and times change from one run to the next; nothing else may. */
const normalise = (text: string): string =>
  text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/_[0-9a-f]{8}\b/g, '_<hex8>');

const work = mkdtempSync(join(tmpdir(), 'evaltrack-readme-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A project folder for one snippet: node_modules with evaltrack and what the snippet imports. */
function project(name: string, code: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'evaltrack'));
  const packages = new Set(
    [...code.matchAll(/from '([^'./][^']*)'/g)]
      .map((m) => m[1]!)
      .filter((p) => !p.startsWith('node:') && !p.startsWith('evaltrack'))
      .map((p) => p.split('/')[0]!),
  );
  for (const p of packages)
    symlinkSync(join(ROOT, 'node_modules', p), join(dir, 'node_modules', p));
  return dir;
}

const SNIPPETS = snippets();
const pg = postgresUrl();

describe('README.md', () => {
  it('has its snippets where this test finds them, none using `await using` (Node 20)', () => {
    expect(SNIPPETS.length).toBe(README.match(/^```(?:ts|js)$/gm)?.length);
    expect(SNIPPETS.length).toBe(8);
    expect(README).not.toMatch(/await using/);
    for (const s of SNIPPETS) for (const a of s.assumes) expect(Object.keys(PRELUDES)).toContain(a);
  });

  it('shows no path of the machine that produced it', () => {
    expect(README.match(/(?:\/work\/|\/home\/|\/tmp\/|\/Users\/|[A-Z]:\\)[^\s`]*/g)).toBeNull();
  });

  for (const snippet of SNIPPETS) {
    const needsPg = snippet.code.includes('EVALTRACK_PG_URL');
    it.skipIf(needsPg && pg === null)(
      `runs the snippet at line ${snippet.line}${needsPg && pg === null ? ` (skipped: ${NO_POSTGRES})` : ''}`,
      async () => {
        const prelude = snippet.assumes.map((a) => PRELUDES[a]!);
        const source = [...prelude.map((p) => p.code ?? ''), snippet.code].join('\n');
        const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20' });
        const dir = project(`line-${snippet.line}`, source);
        for (const p of prelude)
          for (const [file, text] of Object.entries(p.files ?? {}))
            writeFileSync(join(dir, file), text);
        const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
        delete env['EVALTRACK_STORE'];
        if (needsPg) {
          env['EVALTRACK_PG_URL'] = pg!;
          env['EVALTRACK_JOURNAL_DIR'] = join(dir, 'journal');
        }
        const usesVitest = /from 'vitest'/.test(source);
        const file = join(dir, usesVitest ? 'snippet.test.mjs' : 'snippet.mjs');
        writeFileSync(file, code);
        const r = usesVitest
          ? spawnSync(
              process.execPath,
              [
                join(ROOT, 'node_modules/vitest/vitest.mjs'),
                'run',
                '--root',
                dir,
                '--reporter',
                'dot',
              ],
              { cwd: dir, env, encoding: 'utf8', timeout: 50_000 },
            )
          : spawnSync(process.execPath, [file], {
              cwd: dir,
              env,
              encoding: 'utf8',
              timeout: 50_000,
            });
        if (usesVitest) {
          expect({ code: r.status, failed: /failed/i.test(r.stdout) }, r.stdout + r.stderr).toEqual(
            {
              code: 0,
              failed: false,
            },
          );
          expect(r.stdout).toMatch(/Tests {2}\d+ passed \(\d+\)/);
          return;
        }
        // evaluate() ends its progress with one line on stderr (not a terminal: no bar).
        const stderr = r.stderr.replace(/[\d.]+\/s/g, '<rate>/s');
        expect({ code: r.status, stderr }).toEqual({
          code: 0,
          stderr: /\bevaluate\(/.test(source)
            ? 'evaluating 2/2 samples (100%), <rate>/s, ETA 0 s, 0 failed\n'
            : '',
        });
        if (snippet.output !== null) expect(normalise(r.stdout)).toEqual(normalise(snippet.output));
      },
    );
  }

  it('shows the command outputs scripts/readme-outputs.mjs produces from a fresh store', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/readme-outputs.mjs'), '--json'], {
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(r.stderr).toBe('');
    const blocks = JSON.parse(r.stdout) as { block: string; readme: string; produced: string }[];
    expect(blocks.map((b) => b.block)).toEqual(OUTPUT_BLOCKS);
    for (const b of blocks) expect(b.produced, b.block).toEqual(b.readme);
  });
});

/** The README's command-output blocks, by the commands in them. */
const OUTPUT_BLOCKS = [
  'npm start',
  'evaltrack runs && evaltrack show latest --failures && evaltrack compare latest~1 latest && evaltrack gate latest~1 latest --max-regressions 0 --no-significant-drop; echo "exit code $?"',
  'node examples/measured-runs.mjs && evaltrack runs --store measured && evaltrack show latest --failures --columns generation.aggregate_score --store measured && evaltrack compare latest~1 latest --store measured | head -n 15 && evaltrack gate latest~1 latest --max-cost 0.04 --max-p95-latency 3000 --store measured; echo "exit code $?"',
];
