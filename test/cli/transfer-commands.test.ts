// export, import and copy as a user runs them: the built binary in a child process, real files, a
// real SQLite store; exact exit codes and messages, and the store's results counted around each
// refusal.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { BaseExperimentTracker, ResultRecord } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { folderBytes, tempDir } from '../helpers/temp-dir.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const BIN = join(ROOT, 'dist/cli/bin.js');

/** The binary, run in `cwd` (optionally under a shell `ulimit -f` in 512-byte blocks). */
function evaltrack(cwd: string, args: string[], fileLimitBlocks?: number) {
  const r =
    fileLimitBlocks === undefined
      ? spawnSync(process.execPath, [BIN, ...args], {
          cwd,
          encoding: 'utf8',
          env: { ...process.env, NO_COLOR: '1' },
        })
      : spawnSync(
          'sh',
          ['-c', `ulimit -f ${fileLimitBlocks} && exec "$0" "$@"`, process.execPath, BIN, ...args],
          { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
        );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Progress lines (stderr is not a terminal here) are not what these tests are about. */
const withoutProgress = (stderr: string): string =>
  stderr
    .split('\n')
    .filter((l) => !/^(exporting|importing|checking|copying) \d+\/\d+ /.test(l))
    .join('\n');

const result = (i: number) => ({
  judge: {
    aggregate_success: i % 3 !== 0,
    aggregate_score: (i % 7) / 7,
    verdict: {
      score: i % 2,
      // Text in the evaluator output that reads like a number or a formula, and text beyond
      // ASCII: each comes back exactly.
      explanation: i % 5 === 0 ? '0.5' : i % 5 === 1 ? '=1+1' : i % 5 === 2 ? `ok ✓ ${i}` : '',
    },
  },
});

/** `n` results in each of two runs, `a` and `b`. */
async function seed(store: BaseExperimentTracker, n = 30): Promise<void> {
  for (const runId of ['a', 'b']) {
    // b later than a, so that history (newest first) and export --all (oldest first) are fixed.
    if (runId === 'b') await new Promise((r) => setTimeout(r, 5));
    await store.logBatch(
      Array.from({ length: n }, (_, i) => result(i)),
      'faq',
      Array.from({ length: n }, (_, i) => ({
        id: `${runId}${i}`,
        input: `question ${i}, "quoted"\nsecond line`,
      })),
      { runId, metadata: { model_name: `m-${runId}` } },
    );
  }
}

/** Every result of a store, run by run (as `getRunResults` gives them). */
async function everything(store: BaseExperimentTracker): Promise<Record<string, ResultRecord[]>> {
  const out: Record<string, ResultRecord[]> = {};
  for (const run of await store.getExperimentHistory()) {
    out[run.runId] = await store.getRunResults(run.runId);
  }
  return out;
}

const countSqlite = (file: string): number => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

async function countCsv(dir: string): Promise<number> {
  const store = new CSVExperimentTracker('p', { outputDir: dir });
  try {
    return Object.values(await everything(store)).flat().length;
  } finally {
    await store.close();
  }
}

async function sqliteStore(dir: string, n = 30): Promise<string> {
  const file = join(dir, 'evals.sqlite');
  const store = new SqliteExperimentTracker('p', { file });
  await seed(store, n);
  await store.close();
  return file;
}

const leftovers = (dir: string): string[] =>
  readdirSync(dir).filter((f) => f.includes('evaltrack-tmp'));

describe('evaltrack export: never over a store, never a half file (issue 12.6)', () => {
  it("refuses the SQLite store's own files, even with --force, and the store keeps its 60 results", async () => {
    using dir = tempDir();
    const db = await sqliteStore(dir.path);
    symlinkSync(db, join(dir.path, 'link.jsonl'));
    linkSync(db, join(dir.path, 'hard.jsonl'));
    symlinkSync(dir.path, join(dir.path, 'via'));
    // Closed cleanly, the database has no WAL file: the name alone must be recognised.
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(countSqlite(db)).toBe(60);
    const attempts: [string, string, string[]][] = [
      ['evals.sqlite', 'jsonl', []], // the report's case: it destroyed the database
      ['evals.sqlite', 'jsonl', ['--force']],
      ['evals.sqlite', 'csv', ['--force']],
      ['evals.sqlite-wal', 'jsonl', ['--force']],
      ['evals.sqlite-shm', 'jsonl', ['--force']],
      ['link.jsonl', 'jsonl', ['--force']], // a symbolic link to the database
      ['hard.jsonl', 'jsonl', ['--force']], // a hard link to it
      ['via/evals.sqlite-wal', 'jsonl', ['--force']], // its WAL, not there, through a linked folder
    ];
    for (const [out, format, force] of attempts) {
      const args = ['export', '--all', '--format', format, '--out', out, ...force];
      expect(evaltrack(dir.path, [...args, '--store', 'sqlite:evals.sqlite'])).toEqual({
        code: 2,
        stdout: '',
        stderr: `evaltrack export: ${out} is a file of the store being exported; export never writes there, even with --force\n`,
      });
    }
    expect(countSqlite(db)).toBe(60);
    const check = new Database(db, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    check.close();
    expect(leftovers(dir.path)).toEqual([]);
  });

  it("refuses the CSV store's files and its folder, even with --force; 60 results before and after", async () => {
    using dir = tempDir();
    const store = new CSVExperimentTracker('p', { outputDir: join(dir.path, 'store') });
    await seed(store);
    await store.close();
    symlinkSync(join(dir.path, 'store'), join(dir.path, 'via'));
    const before = folderBytes(join(dir.path, 'store'));
    expect(await countCsv(join(dir.path, 'store'))).toBe(60);
    // The command of the report, which said "exported 0 results" and destroyed all 60.
    const attempts: [string, string[]][] = [
      ['store/experiment_results.csv', []], // the report's case: "exported 0 results", 60 lost
      ['store/experiment_results.csv', ['--force']],
      ['store/leaderboard.csv', ['--force']],
      ['./store/../store/.evaltrack-state.json', ['--force']],
      // The lock file, there only while held, through a linked folder: the name must be recognised.
      ['via/.evaltrack.lock', ['--force']],
    ];
    for (const [out, force] of attempts) {
      const r = evaltrack(dir.path, [
        'export',
        '--all',
        '--format',
        'csv',
        '--out',
        out,
        ...force,
        '--store',
        'store',
      ]);
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr: `evaltrack export: ${out} is a file of the store being exported; export never writes there, even with --force\n`,
      });
    }
    for (const force of [[], ['--force']]) {
      const r = evaltrack(dir.path, [
        'export',
        '--all',
        '--format',
        'gllm-csv',
        '--out',
        'store/',
        ...force,
        '--store',
        'store',
      ]);
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'evaltrack export: store/ is the folder of the store being exported; export never writes there, even with --force\n',
      });
    }
    expect(folderBytes(join(dir.path, 'store'))).toEqual(before);
    expect(await countCsv(join(dir.path, 'store'))).toBe(60);
  });

  it('refuses an existing file unless --force, and then replaces it whole', async () => {
    using dir = tempDir();
    await sqliteStore(dir.path);
    writeFileSync(join(dir.path, 'out.jsonl'), 'precious\n');
    const args = ['export', '--all', '--out', 'out.jsonl', '--store', 'sqlite:evals.sqlite'];
    expect(evaltrack(dir.path, args)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'evaltrack export: out.jsonl exists; --force replaces it\n',
    });
    expect(readFileSync(join(dir.path, 'out.jsonl'), 'utf8')).toBe('precious\n');
    const forced = evaltrack(dir.path, [...args, '--force']);
    expect([forced.code, forced.stdout]).toEqual([
      0,
      'exported 60 results of 2 runs to out.jsonl\n',
    ]);
    const lines = readFileSync(join(dir.path, 'out.jsonl'), 'utf8').split('\n');
    expect(lines).toHaveLength(61);
    expect(lines.slice(0, 60).map((l) => (JSON.parse(l) as ResultRecord).sampleId)).toEqual([
      ...Array.from({ length: 30 }, (_, i) => `a${i}`),
      ...Array.from({ length: 30 }, (_, i) => `b${i}`),
    ]);
    expect(leftovers(dir.path)).toEqual([]);
  });

  it('reports a folder, a missing folder and a file in the path as one line, exit 2 or 1', async () => {
    using dir = tempDir();
    await sqliteStore(dir.path);
    mkdirSync(join(dir.path, 'folder'));
    writeFileSync(join(dir.path, 'plain.txt'), 'x');
    const exportTo = (out: string, ...more: string[]) =>
      evaltrack(dir.path, [
        'export',
        '--all',
        '--out',
        out,
        ...more,
        '--store',
        'sqlite:evals.sqlite',
      ]);
    expect(exportTo('folder', '--force')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'evaltrack export: folder is a folder; --format jsonl writes a file\n',
    });
    expect(exportTo('missing/out.jsonl')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'evaltrack export: cannot write missing/out.jsonl: its folder does not exist (ENOENT)\n',
    });
    expect(exportTo('plain.txt/out.jsonl')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'evaltrack export: cannot write plain.txt/out.jsonl: a part of its path is not a folder (ENOTDIR)\n',
    });
    expect(exportTo('plain.txt', '--format', 'gllm-csv', '--force')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'evaltrack export: plain.txt is a file; --format gllm-csv writes a folder\n',
    });
    expect(existsSync(join(dir.path, 'missing'))).toBe(false);
    expect(leftovers(dir.path)).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)(
    'reports a folder it may not write to (skipped as root, who may write anywhere)',
    async () => {
      using dir = tempDir();
      await sqliteStore(dir.path);
      mkdirSync(join(dir.path, 'locked'), { mode: 0o555 });
      expect(
        evaltrack(dir.path, [
          'export',
          '--all',
          '--out',
          'locked/out.jsonl',
          '--store',
          'sqlite:evals.sqlite',
        ]),
      ).toEqual({
        code: 1,
        stdout: '',
        stderr: 'evaltrack export: cannot write locked/out.jsonl: permission denied (EACCES)\n',
      });
    },
  );

  it('leaves no half file when a write fails midway, and an older file as it was', async () => {
    using dir = tempDir();
    // About 400 KB of JSONL: more than the 100 KB the shell's file size limit allows.
    await sqliteStore(dir.path, 500);
    writeFileSync(join(dir.path, 'old.jsonl'), 'the previous export\n');
    for (const [out, force] of [
      ['new.jsonl', []],
      ['old.jsonl', ['--force']],
      ['new.csv', []],
    ] as const) {
      const format = out.endsWith('.csv') ? 'csv' : 'jsonl';
      const r = evaltrack(
        dir.path,
        [
          'export',
          '--all',
          '--format',
          format,
          '--out',
          out,
          ...force,
          '--store',
          'sqlite:evals.sqlite',
        ],
        200,
      );
      expect([r.code, r.stdout, withoutProgress(r.stderr)]).toEqual([
        1,
        '',
        `evaltrack export: cannot write ${out}: larger than the file size limit allows (EFBIG)\n`,
      ]);
    }
    expect(readdirSync(dir.path).sort()).toEqual(['evals.sqlite', 'old.jsonl']);
    expect(readFileSync(join(dir.path, 'old.jsonl'), 'utf8')).toBe('the previous export\n');
    expect(countSqlite(join(dir.path, 'evals.sqlite'))).toBe(1000);
  });

  it('refuses a gllm-evals folder with something in it unless --force, which adds, never doubling', async () => {
    using dir = tempDir();
    await sqliteStore(dir.path);
    const to = (...more: string[]) =>
      evaltrack(dir.path, [
        'export',
        ...more,
        '--format',
        'gllm-csv',
        '--out',
        'gllm',
        '--store',
        'sqlite:evals.sqlite',
      ]);
    expect(to('a').code).toBe(0);
    expect([to('a').code, to('a').stdout, to('a').stderr]).toEqual([
      2,
      '',
      'evaltrack export: gllm is not empty; --force adds the results to the store in it (none is doubled)\n',
    ]);
    expect(await countCsv(join(dir.path, 'gllm'))).toBe(30);
    expect(to('--all', '--force').code).toBe(0);
    expect(await countCsv(join(dir.path, 'gllm'))).toBe(60);
    expect(leftovers(dir.path)).toEqual([]);
  });
});

describe('evaltrack export to stdout, and back with import (issue 13)', () => {
  it('writes jsonl and csv to stdout with --out - or no --out, the summary on stderr', async () => {
    using dir = tempDir();
    const db = await sqliteStore(dir.path);
    const store = new SqliteExperimentTracker('p', { file: db });
    const byRun = await everything(store);
    const all = [...(byRun['a'] ?? []), ...(byRun['b'] ?? [])]; // --all: oldest run first
    await store.close();
    for (const out of [[], ['--out', '-']]) {
      const r = evaltrack(dir.path, ['export', '--all', ...out, '--store', 'sqlite:evals.sqlite']);
      expect(r.code).toBe(0);
      expect(
        r.stdout
          .split('\n')
          .slice(0, -1)
          .map((l) => JSON.parse(l) as unknown),
      ).toEqual(all);
      expect(withoutProgress(r.stderr)).toBe('exported 60 results of 2 runs to stdout\n');
    }
    expect(
      evaltrack(dir.path, [
        'export',
        '--all',
        '--format',
        'csv',
        '--out',
        'flat.csv',
        '--store',
        'sqlite:evals.sqlite',
      ]).code,
    ).toBe(0);
    const csv = evaltrack(dir.path, [
      'export',
      '--all',
      '--format',
      'csv',
      '--out',
      '-',
      '--store',
      'sqlite:evals.sqlite',
    ]);
    expect(csv.stdout).toBe(readFileSync(join(dir.path, 'flat.csv'), 'utf8'));
    expect(existsSync(join(dir.path, '-'))).toBe(false);
    expect(
      evaltrack(dir.path, [
        'export',
        '--all',
        '--format',
        'gllm-csv',
        '--store',
        'sqlite:evals.sqlite',
      ]).code,
    ).toBe(2);
  });

  for (const [format, out] of [
    ['jsonl', 'all.jsonl'],
    ['csv', 'all.csv'],
    ['gllm-csv', 'gllm'],
  ] as const) {
    it(`imports back what it exports as ${format}, exactly, once`, async () => {
      using dir = tempDir();
      const db = await sqliteStore(dir.path);
      const source = new SqliteExperimentTracker('p', { file: db });
      const original = await everything(source);
      await source.close();
      expect(
        evaltrack(dir.path, [
          'export',
          '--all',
          '--format',
          format,
          '--out',
          out,
          '--store',
          'sqlite:evals.sqlite',
        ]).stdout,
      ).toBe(`exported 60 results of 2 runs to ${out}\n`);
      const first = evaltrack(dir.path, ['import', out, '--store', 'sqlite:back.sqlite']);
      expect([first.code, first.stdout]).toEqual([0, 'imported 60 results, 0 already there\n']);
      const again = evaltrack(dir.path, ['import', out, '--store', 'sqlite:back.sqlite']);
      expect([again.code, again.stdout]).toEqual([0, 'imported 0 results, 60 already there\n']);
      const back = new SqliteExperimentTracker('p', { file: join(dir.path, 'back.sqlite') });
      expect(await everything(back)).toEqual(original);
      await back.close();
    });
  }
});

describe('evaltrack import checks the whole file first (issue 12.11)', () => {
  async function badFile(dir: string, format: 'jsonl' | 'csv', damage: (line: string) => string) {
    await sqliteStore(dir, 600);
    const out = `all.${format}`;
    expect(
      evaltrack(dir, [
        'export',
        '--all',
        '--format',
        format,
        '--out',
        out,
        '--store',
        'sqlite:evals.sqlite',
      ]).code,
    ).toBe(0);
    const eol = format === 'csv' ? '\r\n' : '\n';
    const lines = readFileSync(join(dir, out), 'utf8').split(eol);
    // Line 1,101 of 1,200 results (of 1,201 lines with the CSV header).
    lines[1100] = damage(lines[1100] ?? '');
    writeFileSync(join(dir, out), lines.join(eol));
    return out;
  }

  it('stores nothing from a JSONL file with a line cut short, and names the line', async () => {
    using dir = tempDir();
    const file = await badFile(dir.path, 'jsonl', (l) => l.slice(0, 50));
    const r = evaltrack(dir.path, ['import', file, '--store', 'sqlite:target.sqlite']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(withoutProgress(r.stderr)).toMatch(
      /^evaltrack import: all\.jsonl line 1101: not JSON \([^)]+\); nothing was imported\n$/,
    );
    expect(countSqlite(join(dir.path, 'target.sqlite'))).toBe(0);
  });

  it('stores nothing from a JSONL file with a record the tracker refuses', async () => {
    using dir = tempDir();
    const file = await badFile(dir.path, 'jsonl', (l) =>
      JSON.stringify({ ...(JSON.parse(l) as object), runId: 5 }),
    );
    const r = evaltrack(dir.path, ['import', file, '--store', 'sqlite:target.sqlite']);
    expect([r.code, withoutProgress(r.stderr)]).toEqual([
      1,
      'evaltrack import: all.jsonl line 1101: runId must be a non-empty string, got a number; nothing was imported\n',
    ]);
    expect(countSqlite(join(dir.path, 'target.sqlite'))).toBe(0);
  });

  it('stores nothing from a flat CSV with a bad row, and names its line', async () => {
    using dir = tempDir();
    const file = await badFile(dir.path, 'csv', (l) => l.slice(0, l.indexOf(',', 40)));
    const r = evaltrack(dir.path, ['import', file, '--store', 'sqlite:target.sqlite']);
    expect(r.code).toBe(1);
    expect(withoutProgress(r.stderr)).toMatch(
      /^evaltrack import: all\.csv line 1101: \d+ cells where the header has 14; nothing was imported\n$/,
    );
    expect(countSqlite(join(dir.path, 'target.sqlite'))).toBe(0);
  });
});

describe('a missing source exits 2 and creates nothing (issue 13)', () => {
  it('import and copy name the missing store or file', async () => {
    using dir = tempDir();
    mkdirSync(join(dir.path, 'empty'));
    const cases: [string[], string][] = [
      [['import', 'typo', '--store', 'sqlite:t.sqlite'], 'evaltrack import: no store at typo\n'],
      [['import', 'empty', '--store', 'sqlite:t.sqlite'], 'evaltrack import: no store at empty\n'],
      [
        ['import', 'typo.jsonl', '--store', 'sqlite:t.sqlite'],
        'evaltrack import: no file at typo.jsonl\n',
      ],
      [
        ['import', 'typo.csv', '--store', 'sqlite:t.sqlite'],
        'evaltrack import: no file at typo.csv\n',
      ],
      [
        ['import', 'sqlite:typo.db', '--store', 'sqlite:t.sqlite'],
        'evaltrack import: no store at sqlite:typo.db\n',
      ],
      [['copy', '--from', 'typo', '--to', 'sqlite:t.sqlite'], 'evaltrack copy: no store at typo\n'],
      [
        ['copy', '--from', 'typo.sqlite', '--to', 'sqlite:t.sqlite'],
        'evaltrack copy: no store at typo.sqlite\n',
      ],
      [
        ['copy', '--from', 'sqlite:new/typo.db', '--to', 'out'],
        'evaltrack copy: no store at sqlite:new/typo.db\n',
      ],
    ];
    for (const [args, stderr] of cases) {
      expect(evaltrack(dir.path, args)).toEqual({ code: 2, stdout: '', stderr });
    }
    // The sources were not created; `copy` did not create its target either, failing first.
    expect(
      readdirSync(dir.path).filter((f) => f.startsWith('typo') || f === 'new' || f === 'out'),
    ).toEqual([]);
    expect(readdirSync(join(dir.path, 'empty'))).toEqual([]);
  });

  it('copy --to creates its target', async () => {
    using dir = tempDir();
    await sqliteStore(dir.path);
    const r = evaltrack(dir.path, ['copy', '--from', 'evals.sqlite', '--to', 'sqlite:made/new.db']);
    expect([r.code, r.stdout]).toEqual([0, 'copied 2 runs: 60 results, 0 already there\n']);
    expect(countSqlite(join(dir.path, 'made/new.db'))).toBe(60);
  });
});
