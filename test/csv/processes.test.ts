import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { gllmResult } from 'evaltrack/testing';
import { readWithPython } from '../helpers/python.js';
import { tempDir } from '../helpers/temp-dir.js';
import { collectWarnings, settle } from '../helpers/warnings.js';

// Several processes and kill -9 against every store: test/conformance/processes.test.ts.
describe('a torn last record', () => {
  it('reports a torn last record, sets it aside at the next write, and logs on', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const runId = await t.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'd', [
      { id: 1 },
      { id: 2 },
    ]);
    await t.close();
    const file = join(dir.path, 'experiment_results.csv');
    const lines = readFileSync(file, 'utf8').split('\r\n');
    const tornBytes = `${lines[2]!.slice(0, 120)}`;
    appendFileSync(file, tornBytes);

    using warnings = collectWarnings();
    const reader = new CSVExperimentTracker('p', { outputDir: dir.path });
    expect(await reader.getRunResults(runId)).toHaveLength(2);
    expect((await reader.getExperimentHistory())[0]?.totalData).toBe(2);
    await reader.close();
    await settle();
    expect(warnings.codes).toContain('EVALTRACK_TORN_RECORD');

    const writer = new CSVExperimentTracker('p', { outputDir: dir.path });
    writer.log(gllmResult(1, 1, 0), 'd', { id: 3 }, { runId });
    expect((await writer.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 2, 3]);
    await writer.close();
    const aside = readdirSync(dir.path).filter((f) => f.includes('.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir.path, aside[0]!), 'utf8')).toBe(tornBytes);
    expect(readFileSync(file, 'utf8').endsWith('\r\n')).toBe(true);
    expect(readWithPython(dir.path).rows).toHaveLength(3);
  });
});

describe('damage in the middle of the file', () => {
  it('skips a record torn inside a quote without losing the records after it', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const runId = await t.logBatch(
      [gllmResult(1, 1, 0), gllmResult(0, 1, 0), gllmResult(1, 1, 0)],
      'd',
      [{ id: 1 }, { id: 2, input: 'q' }, { id: 3 }],
    );
    await t.close();
    // A writer killed inside a quoted cell (an open quote) while another appended row 2 and 3:
    // row 2 is glued to the torn bytes, and the quote would swallow row 3 and all after it.
    const file = join(dir.path, 'experiment_results.csv');
    const [header, row1, row2, row3] = readFileSync(file, 'utf8').split('\r\n');
    const torn = row1!.slice(0, row1!.indexOf('""id') + 8);
    writeFileSync(file, [header, row1, torn + row2!, row3, ''].join('\r\n'));
    rmSync(join(dir.path, '.evaltrack-state.json'));

    using warnings = collectWarnings();
    const reader = new CSVExperimentTracker('p', { outputDir: dir.path });
    expect((await reader.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 3]);
    expect((await reader.getExperimentHistory())[0]?.totalData).toBe(2);
    await reader.close();
    await settle();
    expect(warnings.codes).toContain('EVALTRACK_DAMAGED_RECORD');

    // A header rewrite sets the damaged bytes aside, where they can still be read by hand.
    const writer = new CSVExperimentTracker('p', { outputDir: dir.path });
    writer.log({ generation: { fresh: { score: 1 } } }, 'd', { id: 4 }, { runId });
    expect((await writer.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 3, 4]);
    await writer.close();
    expect(readWithPython(dir.path).rows.map((r) => (r['data'] as { id: number }).id)).toEqual([
      1, 3, 4,
    ]);
    const aside = readdirSync(dir.path).filter((f) => f.includes('.corrupt-'));
    expect(aside.map((f) => readFileSync(join(dir.path, f), 'utf8')).join('')).toBe(
      `${torn}${row2}\r\n`,
    );
  });
});

describe('recovery', () => {
  it('finishes a rewrite whose process was killed between the rename and the copy of late rows', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'experiment_results.csv');
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const runId = await t.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'd', [
      { id: 1 },
      { id: 2 },
    ]);
    await t.close();
    // What the killed rewriter left: the old file under its second name, holding a row (id 2)
    // that reached it after the copy, and the new file without it; and a copy never renamed.
    const text = readFileSync(file, 'utf8');
    const [header, row1] = text.split('\r\n');
    const copied = `${header}\r\n${row1}\r\n`;
    writeFileSync(
      join(dir.path, `experiment_results.csv.rewrite-${Buffer.byteLength(copied)}-4242-cafe`),
      text,
    );
    writeFileSync(file, copied);
    writeFileSync(join(dir.path, 'experiment_results.csv.tmp-4242-beef'), 'half a copy');
    rmSync(join(dir.path, '.evaltrack-state.json'));

    using warnings = collectWarnings();
    const again = new CSVExperimentTracker('p', { outputDir: dir.path });
    again.log(gllmResult(1, 1, 0), 'd', { id: 3 }, { runId });
    expect((await again.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 2, 3]);
    await again.close();
    await settle();
    expect(warnings.codes).toContain('EVALTRACK_RECOVERED');
    expect(readdirSync(dir.path).sort()).toEqual([
      '.evaltrack-index.jsonl',
      '.evaltrack-state.json',
      'experiment_results.csv',
      'leaderboard.csv',
    ]);
  });

  it('writes a row again when it landed glued to a record another writer left torn', async () => {
    using dir = tempDir();
    const file = join(dir.path, 'experiment_results.csv');
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const runId = t.log(gllmResult(1, 1, 0), 'd', { id: 1 });
    // Another writer, killed half-way through its row.
    appendFileSync(file, 'run-killed,d,2026-11-27T00:00:00.000Z,g');
    t.log(gllmResult(0, 1, 0), 'd', { id: 2 }, { runId });
    using warnings = collectWarnings();
    expect((await t.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 2]);
    expect((await t.getExperimentHistory())[0]?.totalData).toBe(2);
    await t.close();
    await settle();
    expect(warnings.codes).toContain('EVALTRACK_DAMAGED_RECORD');
  });
});
