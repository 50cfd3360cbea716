import { spawn } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { gllmResult } from 'evaltrack/testing';
import { readWithPython } from '../helpers/python.js';
import { expectLeaderboardToEqualRefold } from '../helpers/refold.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runWriter, WRITER } from '../helpers/writer-process.js';

function collectWarnings(): { codes: string[] } & Disposable {
  const codes: string[] = [];
  const onWarning = (w: Error & { code?: string }) => codes.push(w.code ?? w.name);
  process.on('warning', onWarning);
  return { codes, [Symbol.dispose]: () => process.off('warning', onWarning) };
}

describe('several processes and crashes', () => {
  it('4 processes x 2,000 results into one folder lose, tear, duplicate and mix nothing', async () => {
    using dir = tempDir();
    const writers = ['0', '1', '2', '3'];
    await Promise.all(writers.map((w) => runWriter([dir.path, w, '2000'])));

    const t = new CSVExperimentTracker('check', { outputDir: dir.path });
    for (const w of writers) {
      const records = await t.getRunResults(`run-${w}`);
      expect(records).toHaveLength(2000);
      expect(records.map((r) => r.data['id'])).toEqual(
        Array.from({ length: 2000 }, (_, i) => `${w}-${i}`),
      );
      records.forEach((r, i) => {
        expect(r.values[`ev.m${w}.score`]).toBe(i / 2000);
        expect(r.values[`ev.m${w}.success`]).toBe(i % 3 === 0);
        expect(r.values[`ev.late${w}.score`]).toBe(i >= 1000 ? 0.25 : undefined);
        expect(r.values['ev.aggregate_success']).toBe(i % 2 === 0 ? 1 : 0);
      });
    }
    const history = await t.getExperimentHistory();
    await t.close();
    expect(
      history.map((r) => [r.runId, r.totalData, r.averageScore, r.summaryResult]).sort(),
    ).toEqual(writers.map((w) => [`run-${w}`, 2000, 0.5, { accuracy: 0.5 }]));

    const view = readWithPython(dir.path);
    expect(view.rows).toHaveLength(8000);
    const ids = new Set(view.rows.map((r) => (r['data'] as { id: string }).id));
    expect(ids.size).toBe(8000);
    for (const row of view.rows) {
      const [w, i] = String((row['data'] as { id: string }).id)
        .split('-')
        .map(Number) as [number, number];
      expect(row['run_id']).toBe(`run-${w}`);
      expect(Number(row[`ev.m${w}.score`])).toBe(i / 2000);
      expect(row[`ev.late${w}.score`]).toBe(i >= 1000 ? '0.25' : '');
      for (const other of writers.filter((x) => Number(x) !== w))
        expect(row[`ev.m${other}.score`]).toBe('');
    }
    expect(view.leaderboard).toHaveLength(4);
  });

  it('2 processes logging into the same runs: the leaderboard equals a refold of the results', async () => {
    using dir = tempDir();
    await Promise.all(['0', '1'].map((w) => runWriter([dir.path, w, '1000', 'shared'])));
    const t = new CSVExperimentTracker('check', { outputDir: dir.path });
    const ids = [
      ...(await t.getRunResults('shared-0')),
      ...(await t.getRunResults('shared-1')),
    ].map((r) => r.data['id']);
    expect(ids).toHaveLength(2000);
    expect(new Set(ids)).toEqual(
      new Set(['0', '1'].flatMap((w) => [...Array(1000).keys()].map((i) => `${w}-${i}`))),
    );
    await expectLeaderboardToEqualRefold(t, ['shared-0', 'shared-1']);
    await t.close();
    // leaderboard.csv, as Python reads it, says the same.
    const board = readWithPython(dir.path).leaderboard ?? [];
    expect(board.map((r) => [r['run_id'], r['total_data'], r['average_score']]).sort()).toEqual([
      ['shared-0', '1000', '0.5'],
      ['shared-1', '1000', '0.5'],
    ]);
  });

  it('keeps every result whose log() returned when the process is killed with SIGKILL', async () => {
    using dir = tempDir();
    const child = spawn(process.execPath, [WRITER, dir.path, '9', '100000', 'report', '100000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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
    const reader = new CSVExperimentTracker('check', { outputDir: dir.path });
    const ids = new Set((await reader.getRunResults('run-9')).map((r) => r.data['id']));
    for (const i of returned) expect(ids.has(`9-${i}`)).toBe(true);
    expect((await reader.getExperimentHistory())[0]?.totalData).toBe(ids.size);
    await reader.close();

    // Logging works again afterwards, and whatever the kill tore is set aside, not lost.
    const again = new CSVExperimentTracker('again', { outputDir: dir.path });
    await again.logBatch([gllmResult(1, 1, 0)], 'after', [{ id: 'after' }], { runId: 'run-after' });
    expect(await again.getRunResults('run-after')).toHaveLength(1);
    expect((await again.getRunResults('run-9')).length).toBe(ids.size);
    await again.close();
    const torn = warnings.codes.includes('EVALTRACK_TORN_RECORD');
    expect(readdirSync(dir.path).some((f) => f.includes('.corrupt-'))).toBe(torn);
    expect(readWithPython(dir.path).rows).toHaveLength(ids.size + 1);
  });

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
    await new Promise((r) => setImmediate(r));
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
    await new Promise((r) => setImmediate(r));
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
    await new Promise((r) => setImmediate(r));
    expect(warnings.codes).toContain('EVALTRACK_RECOVERED');
    expect(readdirSync(dir.path).sort()).toEqual([
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
    await new Promise((r) => setImmediate(r));
    expect(warnings.codes).toContain('EVALTRACK_DAMAGED_RECORD');
  });
});
