import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

const run = (cwd: string, code: string): string =>
  execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd, encoding: 'utf8' });

describe('better-sqlite3 and pg are optional peer dependencies', () => {
  it('are not loaded by importing evaltrack, evaltrack/csv, or even their own entry points', () => {
    const loaded = run(
      ROOT,
      `import { createRequire } from 'node:module';
       await import('evaltrack'); await import('evaltrack/csv');
       await import('evaltrack/sqlite'); await import('evaltrack/postgres');
       const cache = createRequire(import.meta.url).cache;
       console.log(Object.keys(cache).filter((k) => /better-sqlite3|node_modules.pg./.test(k)).length);`,
    );
    expect(loaded.trim()).toBe('0');
  });

  it('says what to install when it is missing', () => {
    // The built package installed alone, as in a project that did not add better-sqlite3.
    using dir = tempDir();
    const pkg = join(dir.path, 'node_modules', 'evaltrack');
    mkdirSync(pkg, { recursive: true });
    cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    // A dependency of the trackers' rules, which npm installs with evaltrack.
    const sketches = join('node_modules', '@datadog', 'sketches-js');
    cpSync(join(ROOT, sketches), join(dir.path, sketches), { recursive: true });
    writeFileSync(join(dir.path, 'package.json'), '{"type":"module"}');
    const out = run(
      dir.path,
      `import { CSVExperimentTracker } from 'evaltrack/csv';
       import { SqliteExperimentTracker } from 'evaltrack/sqlite';
       import { PostgresExperimentTracker } from 'evaltrack/postgres';
       new CSVExperimentTracker('p', { outputDir: 'out' }).log({ m: { score: 1 } }, 'd', { id: 1 });
       for (const open of [
         () => new SqliteExperimentTracker('p', { file: 'x.sqlite' }),
         () => new PostgresExperimentTracker('p'),
       ]) {
         try { open(); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
       }`,
    );
    expect(
      out
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([
      {
        code: 'E_DRIVER_MISSING',
        message:
          '[evaltrack] the SQLite store needs better-sqlite3 12: run `npm install better-sqlite3@12`',
      },
      {
        code: 'E_DRIVER_MISSING',
        message: '[evaltrack] the PostgreSQL store needs pg 8: run `npm install pg@8`',
      },
    ]);
  });
});
