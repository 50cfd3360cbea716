import { createRequire } from 'node:module';
import { EvaltrackError } from '../errors.js';

const require = createRequire(import.meta.url);

/**
 * A driver that is an optional peer dependency, loaded when its store is opened, not when
 * evaltrack is imported: only the users of that store install it. Missing, it is a clear
 * `E_DRIVER_MISSING` saying what to install.
 */
export function loadPeer<T>(name: string, store: string, install: string): T {
  try {
    return require(name) as T;
  } catch (cause) {
    throw new EvaltrackError(
      'E_DRIVER_MISSING',
      `the ${store} store needs ${install.replace(/@(\d+)$/, ' $1')}: run \`npm install ${install}\``,
      { cause },
    );
  }
}
