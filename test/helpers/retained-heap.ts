// What a value holds on the heap, for tests of memory: V8's collector is run before and after.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The heap that `make()`'s value holds once garbage is collected. */
export async function retained(
  make: () => Promise<unknown>,
): Promise<{ bytes: number; value: unknown }> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const value = await make();
  gc();
  return { bytes: process.memoryUsage().heapUsed - before, value };
}
