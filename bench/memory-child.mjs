// Child process of bench/memory-only.mjs: one read of run `big`, its time and peak memory.
import { openTracker } from 'evaltrack';

const [store, how] = process.argv.slice(2);
const tracker = await openTracker('bench', { store, create: false });
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
const start = process.hrtime.bigint();
let rows = 0;
let retainedMB = null;
if (how === 'getRunResults') {
  const records = await tracker.getRunResults('big');
  rows = records.length;
  globalThis.gc?.();
  retainedMB = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
} else {
  for await (const r of tracker.iterateRunResults('big')) if (r.runId === 'big') rows++;
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const peakAboveMB = (process.resourceUsage().maxRSS * 1024 - rssBefore) / 1e6;
await tracker.close();
process.stdout.write(JSON.stringify({ ms, rows, peakAboveMB, retainedMB }));
