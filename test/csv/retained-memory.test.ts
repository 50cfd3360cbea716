// A result read from a CSV folder holds its own strings, not views of its record's text: a cell
// cut out of a record (V8's sliced string) would keep the whole 4 KB row alive as long as the result
// lives, which doubled the memory of every read that returns a run whole.
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import type { ResultRecord } from 'evaltrack';
import { retained } from '../helpers/retained-heap.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('results read from a CSV folder', () => {
  it('hold about what the same results hold when built afresh, not their rows besides', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const n = 2000;
    const context = 'a retrieved passage that the row carries along. '.repeat(80);
    await t.logBatch(
      Array.from({ length: n }, (_, i) => ({
        judge: {
          aggregate_score: (i % 4) / 4,
          aggregate_success: i % 2 === 0,
          label: `l-${i % 7}-long-enough`,
        },
      })),
      'dataset-with-a-long-name',
      Array.from({ length: n }, (_, i) => ({ id: `sample-${i}-with-a-long-id`, context })),
      {
        runId: 'a-run-id-long-enough-to-be-sliced',
        metadata: { model_name: 'a-model-name-long-enough' },
      },
    );
    const read = await retained(() => t.getRunResults('a-run-id-long-enough-to-be-sliced'));
    const records = read.value as ResultRecord[];
    expect(records).toHaveLength(n);
    // The same results as fresh objects: structuredClone copies every string whole.
    const fresh = await retained(async () => structuredClone(records));
    await t.close();
    // Each result holds about 5 KB (its own copy of the context); a view of its 4.4 KB row kept
    // besides would nearly double that.
    expect(fresh.bytes / n).toBeGreaterThan(4_000);
    expect(read.bytes / fresh.bytes).toBeLessThan(1.2);
  });
});
