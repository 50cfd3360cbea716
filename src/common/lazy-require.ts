/**
 * CommonJS packages loaded the first time they are used rather than when the module that needs
 * them loads: most commands never compute a t quantile or a latency sketch, and each such package
 * costs a command's start 20 to 40 ms.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The package `name`, required on the first call, then the same object. */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(name) as T);
}
