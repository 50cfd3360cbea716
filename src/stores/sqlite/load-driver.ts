import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { EvaltrackError } from '../../errors.js';

const require = createRequire(import.meta.url);

/**
 * better-sqlite3, loaded when a SQLite store is opened, not when evaltrack is imported: it is an
 * optional peer dependency, and a native module.
 */
export function loadBetterSqlite3(): typeof BetterSqlite3 {
  try {
    return require('better-sqlite3') as typeof BetterSqlite3;
  } catch (cause) {
    throw new EvaltrackError(
      'E_DRIVER_MISSING',
      'the SQLite store needs better-sqlite3 12: run `npm install better-sqlite3@12`',
      { cause },
    );
  }
}
