import { createRequire } from 'node:module';
import type Pg from 'pg';
import { EvaltrackError } from '../../errors.js';

const require = createRequire(import.meta.url);

/**
 * node-postgres, loaded when a PostgreSQL store is opened, not when evaltrack is imported: it is an
 * optional peer dependency, needed only by teams that use this store.
 */
export function loadPg(): typeof Pg {
  try {
    return require('pg') as typeof Pg;
  } catch (cause) {
    throw new EvaltrackError(
      'E_DRIVER_MISSING',
      'the PostgreSQL store needs pg 8: run `npm install pg@8`',
      { cause },
    );
  }
}
