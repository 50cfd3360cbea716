// The JSON Lines store under several processes into one file, and damage, as users run it.
// Several processes and kill -9 against every store: test/conformance/processes.test.ts.
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JsonlExperimentTracker } from 'evaltrack/jsonl';
import { gllmResult } from 'evaltrack/testing';
import { tempDir } from '../helpers/temp-dir.js';
import { collectWarnings, settle } from '../helpers/warnings.js';
import { runScript } from '../helpers/writer-process.js';

const SAME_FILE_WRITER = fileURLToPath(new URL('../helpers/jsonl-writer.mjs', import.meta.url));

const linesOf = (file: string) => readFileSync(file, 'utf8').split('\n');

describe('jsonl: one project file, damage and exact values', () => {
  it('4 processes x 1,000 results into one project file: every line whole, exact totals', async () => {
    using dir = tempDir();
    const writers = ['0', '1', '2', '3'];
    await Promise.all(writers.map((w) => runScript(SAME_FILE_WRITER, [dir.path, w, '1000'])));
    using warnings = collectWarnings();
    const t = new JsonlExperimentTracker('check', { outputDir: dir.path });
    for (const w of writers) {
      const records = await t.getRunResults(`run-${w}`);
      expect(records.map((r) => r.data['id'])).toEqual(
        Array.from({ length: 1000 }, (_, i) => `${w}-${i}`),
      );
      expect(records.every((r) => r.data['input'] === w.repeat(6000))).toBe(true);
    }
    const history = await t.getExperimentHistory();
    await t.close();
    expect(history.map((r) => [r.runId, r.totalData, r.averageScore]).sort()).toEqual(
      writers.map((w) => [`run-${w}`, 1000, 0.5]),
    );
    const lines = linesOf(join(dir.path, 'shared.results.jsonl'));
    expect(lines).toHaveLength(4001);
    expect(lines.slice(0, -1).every((l) => (JSON.parse(l) as { runId: string }).runId)).toBe(true);
    await settle();
    expect(warnings.codes).toEqual([]);
  });

  it('reports a torn last line, sets it aside at the next write, and logs on', async () => {
    using dir = tempDir();
    const t = new JsonlExperimentTracker('p', { outputDir: dir.path });
    const runId = await t.logBatch([gllmResult(1, 1, 0), gllmResult(0, 1, 0)], 'd', [
      { id: 1 },
      { id: 2 },
    ]);
    await t.close();
    const file = join(dir.path, 'p.results.jsonl');
    const size = readFileSync(file).length;
    const tornBytes = linesOf(file)[1]!.slice(0, 120);
    appendFileSync(file, tornBytes);

    using warnings = collectWarnings();
    const reader = new JsonlExperimentTracker('p', { outputDir: dir.path });
    expect((await reader.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 2]);
    expect((await reader.getExperimentHistory())[0]?.totalData).toBe(2);
    await reader.close();
    await settle();
    expect(warnings.codes).toEqual(['EVALTRACK_TORN_RECORD']);

    const writer = new JsonlExperimentTracker('p', { outputDir: dir.path });
    writer.log(gllmResult(1, 1, 0), 'd', { id: 3 }, { runId });
    expect((await writer.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 2, 3]);
    expect((await writer.getExperimentHistory())[0]?.totalData).toBe(3);
    expect(await writer.rebuild()).toEqual({ setAside: 0 });
    await writer.close();
    await settle();
    expect(warnings.codes).toEqual(['EVALTRACK_TORN_RECORD', 'EVALTRACK_TORN_RECORD']);
    const aside = readdirSync(dir.path).filter((f) => f.includes('.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir.path, aside[0]!), 'utf8')).toBe(tornBytes);
    // Ended with a line feed where it was: the lines after it are whole.
    expect(readFileSync(file, 'utf8').slice(size, size + tornBytes.length + 1)).toBe(
      `${tornBytes}\n`,
    );

    // A set-aside line is read past in silence, even by a process that never saw it torn.
    const later = new JsonlExperimentTracker('other', { outputDir: dir.path });
    expect((await later.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 2, 3]);
    await later.close();
    await settle();
    expect(warnings.codes).toHaveLength(2);
  });

  it('writes again a line that landed on the end of a line torn while the file was open', async () => {
    using dir = tempDir();
    const t = new JsonlExperimentTracker('p', { outputDir: dir.path });
    const runId = await t.logBatch([gllmResult(1, 1, 0)], 'd', [{ id: 1 }]);
    // Another writer, killed mid-line after this one opened the file: no repair ran before us.
    const file = join(dir.path, 'p.results.jsonl');
    const torn = linesOf(file)[0]!.slice(0, 100);
    appendFileSync(file, torn);
    using warnings = collectWarnings();
    await t.logBatch([gllmResult(0, 1, 0), gllmResult(1, 1, 0)], 'd', [{ id: 2 }, { id: 3 }], {
      runId,
    });
    expect((await t.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 3, 2]);
    expect((await t.getExperimentHistory())[0]?.totalData).toBe(3);
    await t.close();
    await settle();
    expect(warnings.codes).toEqual(['EVALTRACK_DAMAGED_RECORD']);
    const lines = linesOf(file);
    expect(lines).toHaveLength(5);
    expect(lines[1]!.startsWith(torn)).toBe(true);
    expect(lines[1]!.slice(torn.length)).toBe(lines[3]);
  });

  it('skips a line glued to a torn one without losing the lines after it; rebuild sets it aside', async () => {
    using dir = tempDir();
    const t = new JsonlExperimentTracker('p', { outputDir: dir.path });
    const runId = await t.logBatch(
      [gllmResult(1, 1, 0), gllmResult(0, 1, 0), gllmResult(1, 1, 0)],
      'd',
      [{ id: 1 }, { id: 2 }, { id: 3 }],
    );
    await t.close();
    // A writer killed mid-line while another appended line 2 on the end of it.
    const file = join(dir.path, 'p.results.jsonl');
    const [l1, l2, l3] = linesOf(file);
    const torn = l1!.slice(0, 80);
    writeFileSync(file, [l1, torn + l2!, l3, ''].join('\n'));
    rmSync(join(dir.path, 'p.leaderboard.json'));

    using warnings = collectWarnings();
    const reader = new JsonlExperimentTracker('p', { outputDir: dir.path });
    expect((await reader.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 3]);
    expect((await reader.getExperimentHistory())[0]?.totalData).toBe(2);
    await settle();
    expect(warnings.codes).toEqual(['EVALTRACK_DAMAGED_RECORD']);
    expect(await reader.rebuild()).toEqual({ setAside: 1 });
    await reader.close();
    await settle();
    expect(warnings.codes).toEqual(['EVALTRACK_DAMAGED_RECORD', 'EVALTRACK_SET_ASIDE']);
    const aside = readdirSync(dir.path).filter((f) => f.includes('.corrupt-'));
    expect(aside.map((f) => readFileSync(join(dir.path, f), 'utf8'))).toEqual([`${torn}${l2}\n`]);

    const later = new JsonlExperimentTracker('p', { outputDir: dir.path });
    expect((await later.getRunResults(runId)).map((r) => r.data['id'])).toEqual([1, 3]);
    expect(await later.rebuild()).toEqual({ setAside: 0 });
    await later.close();
    await settle();
    expect(warnings.codes).toHaveLength(2);
  });

  it('gives back exactly what was logged: numbers, booleans, texts, nested objects, key order', async () => {
    using dir = tempDir();
    const t = new JsonlExperimentTracker('p', { outputDir: dir.path });
    const data = {
      id: '007',
      n: 0.1 + 0.2,
      big: 1e21,
      neg: -1.5e-7,
      flag: false,
      text: '1.0',
      nested: { '10': [1, '1', true, null, { deep: 'é\u2028' }], '2': {}, a: [] },
    };
    const result = {
      judge: { exact: { score: 0.30000000000000004, success: true, note: 'true' } },
    };
    const runId = await t.logBatch([result], 'd', [data], { metadata: { tags: ['x'], at: 3 } });
    await t.close();
    const again = new JsonlExperimentTracker('p', { outputDir: dir.path });
    const [r] = await again.getRunResults(runId);
    await again.close();
    expect(r?.data).toEqual(data);
    expect(JSON.stringify(r?.data)).toBe(JSON.stringify(data));
    expect(r?.evaluationResult).toEqual(result);
    expect(r?.values).toEqual({
      'judge.exact.score': 0.30000000000000004,
      'judge.exact.success': true,
    });
    expect(r?.metadata).toMatchObject({ tags: ['x'], at: 3 });
  });
});
