import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

const run = (cwd: string, code: string): string =>
  execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd, encoding: 'utf8' });

describe('better-sqlite3 is an optional peer dependency', () => {
  it('is not loaded by importing evaltrack, evaltrack/csv or even evaltrack/sqlite', () => {
    const loaded = run(
      ROOT,
      `import { createRequire } from 'node:module';
       await import('evaltrack'); await import('evaltrack/csv'); await import('evaltrack/sqlite');
       const cache = createRequire(import.meta.url).cache;
       console.log(Object.keys(cache).filter((k) => k.includes('better-sqlite3')).length);`,
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
    writeFileSync(join(dir.path, 'package.json'), '{"type":"module"}');
    const out = run(
      dir.path,
      `import { CSVExperimentTracker } from 'evaltrack/csv';
       import { SqliteExperimentTracker } from 'evaltrack/sqlite';
       new CSVExperimentTracker('p', { outputDir: 'out' }).log({ m: { score: 1 } }, 'd', { id: 1 });
       try { new SqliteExperimentTracker('p', { file: 'x.sqlite' }); }
       catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    );
    expect(JSON.parse(out)).toEqual({
      code: 'E_DRIVER_MISSING',
      message:
        '[evaltrack] the SQLite store needs better-sqlite3 12: run `npm install better-sqlite3@12`',
    });
  });
});
