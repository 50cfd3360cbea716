// Child process of the benchmark: reads one run and reports time and peak memory, so that the
// memory figure is this read's alone.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CSVExperimentTracker } from 'evaltrack/csv';

const [dir, runId] = process.argv.slice(2);
const tracker = new CSVExperimentTracker('bench', { outputDir: dir });
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;
const start = process.hrtime.bigint();
const records = await tracker.getRunResults(runId);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const maxRss = process.resourceUsage().maxRSS * 1024;
await tracker.close();
process.stdout.write(
  JSON.stringify({
    ms,
    rows: records.length,
    fileBytes: statSync(join(dir, 'experiment_results.csv')).size,
    rssBefore,
    peakAbove: maxRss - rssBefore,
  }),
);
