// The JSON Lines store under several processes, kill -9 and damage, as users run it.
import { spawn } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JsonlExperimentTracker } from 'evaltrack/jsonl';
import { gllmResult } from 'evaltrack/testing';
import { expectLeaderboardToEqualRefold } from '../helpers/refold.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runWriter, WRITER } from '../helpers/writer-process.js';

const SAME_FILE_WRITER = fileURLToPath(new URL('../helpers/jsonl-writer.mjs', import.meta.url));

function runSameFileWriter(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SAME_FILE_WRITER, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`)),
    );
  });
}

function collectWarnings(): { codes: string[] } & Disposable {
  const codes: string[] = [];
  const onWarning = (w: Error & { code?: string }) => codes.push(w.code ?? w.name);
  process.on('warning', onWarning);
  return { codes, [Symbol.dispose]: () => process.off('warning', onWarning) };
}
const settle = () => new Promise((r) => setImmediate(r));
const linesOf = (file: string) => readFileSync(file, 'utf8').split('\n');

describe('jsonl: several processes and crashes', () => {
  it('4 processes x 2,000 results into one folder lose, tear, duplicate and mix nothing', async () => {
    using dir = tempDir();
    const writers = ['0', '1', '2', '3'];
    await Promise.all(writers.map((w) => runWriter([`jsonl:${dir.path}`, w, '2000'])));

    const t = new JsonlExperimentTracker('check', { outputDir: dir.path });
    for (const w of writers) {
      const records = await t.getRunResults(`run-${w}`);
      expect(records.map((r) => r.data['id'])).toEqual(
        Array.from({ length: 2000 }, (_, i) => `${w}-${i}`),
      );
      records.forEach((r, i) => {
        // Types come back as stored: booleans stay booleans (the CSV store's text gives 1/0 for
        // the tracker's aggregate_success column, and so does this one, as the tracker hands it).
        expect(r.values[`ev.m${w}.score`]).toBe(i / 2000);
        expect(r.values[`ev.m${w}.success`]).toBe(i % 3 === 0);
        expect(r.values[`ev.late${w}.score`]).toBe(i >= 1000 ? 0.25 : undefined);
        expect(r.values['ev.aggregate_success']).toBe(i % 2 === 0 ? 1 : 0);
        expect(
          (r.evaluationResult as { ev: { aggregate_success: boolean } }).ev.aggregate_success,
        ).toBe(i % 2 === 0);
      });
      // One file per project, one whole JSON line per result.
      const lines = linesOf(join(dir.path, `w${w}.results.jsonl`));
      expect(lines).toHaveLength(2001);
      expect(lines.pop()).toBe('');
      expect(new Set(lines.map((l) => (JSON.parse(l) as { resultId: string }).resultId)).size).toBe(
        2000,
      );
    }
    const history = await t.getExperimentHistory();
    await t.close();
    expect(
      history.map((r) => [r.runId, r.totalData, r.averageScore, r.summaryResult]).sort(),
    ).toEqual(writers.map((w) => [`run-${w}`, 2000, 0.5, { accuracy: 0.5 }]));
    expect(readdirSync(dir.path).sort()).toEqual(
      writers.flatMap((w) => [`w${w}.leaderboard.json`, `w${w}.results.jsonl`]).sort(),
    );
  });

  it('4 processes x 1,000 results into one project file: every line whole, exact totals', async () => {
    using dir = tempDir();
    const writers = ['0', '1', '2', '3'];
    await Promise.all(writers.map((w) => runSameFileWriter([dir.path, w, '1000'])));
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

  it('2 processes logging into the same runs: the leaderboard equals a refold of the results', async () => {
    using dir = tempDir();
    await Promise.all(['0', '1'].map((w) => runWriter([`jsonl:${dir.path}`, w, '1000', 'shared'])));
    const t = new JsonlExperimentTracker('check', { outputDir: dir.path });
    const ids = [
      ...(await t.getRunResults('shared-0')),
      ...(await t.getRunResults('shared-1')),
    ].map((r) => r.data['id']);
    expect(ids).toHaveLength(2000);
    expect(new Set(ids)).toEqual(
      new Set(['0', '1'].flatMap((w) => [...Array(1000).keys()].map((i) => `${w}-${i}`))),
    );
    await expectLeaderboardToEqualRefold(t, ['shared-0', 'shared-1']);
    expect((await t.getExperimentHistory()).map((r) => [r.runId, r.totalData]).sort()).toEqual([
      ['shared-0', 1000],
      ['shared-1', 1000],
    ]);
    await t.close();
  });

  it('keeps every result whose log() returned when the process is killed with SIGKILL', async () => {
    using dir = tempDir();
    const child = spawn(
      process.execPath,
      [WRITER, `jsonl:${dir.path}`, '9', '100000', 'report', '100000'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').length > 400 && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    const returned = out.split('\n').slice(0, -1).map(Number);
    expect(returned.length).toBeGreaterThanOrEqual(400);

    using warnings = collectWarnings();
    const reader = new JsonlExperimentTracker('check', { outputDir: dir.path });
    const ids = new Set((await reader.getRunResults('run-9')).map((r) => r.data['id']));
    for (const i of returned) expect(ids.has(`9-${i}`)).toBe(true);
    expect((await reader.getExperimentHistory())[0]?.totalData).toBe(ids.size);
    await reader.close();

    // Logging into the killed writer's file works again, and whatever the kill tore is set
    // aside, not lost.
    const again = new JsonlExperimentTracker('w9', { outputDir: dir.path });
    await again.logBatch([gllmResult(1, 1, 0)], 'after', [{ id: 'after' }], { runId: 'run-after' });
    expect(await again.getRunResults('run-after')).toHaveLength(1);
    expect((await again.getRunResults('run-9')).length).toBe(ids.size);
    await again.close();
    await settle();
    const torn = warnings.codes.includes('EVALTRACK_TORN_RECORD');
    const aside = readdirSync(dir.path).filter((f) => f.includes('.corrupt-'));
    expect(aside).toHaveLength(torn ? 1 : 0);
    const lines = linesOf(join(dir.path, 'w9.results.jsonl')).filter((l) => l !== '');
    expect(lines).toHaveLength(ids.size + 1 + (torn ? 1 : 0));
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
