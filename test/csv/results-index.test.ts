// The index of the results file (.evaltrack-index.jsonl): whatever state it is in (missing a line
// after kill -9, behind rows Python appended, stale after a header rewrite, torn, garbage, lying),
// a read gives exactly what a scan of the whole file gives.
import {
  appendFileSync,
  copyFileSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import type { ResultRecord } from 'evaltrack';
import { tempDir } from '../helpers/temp-dir.js';
import { collectWarnings, settle } from '../helpers/warnings.js';
import { killWriter, runWriter } from '../helpers/writer-process.js';

const RESULTS = 'experiment_results.csv';
const INDEX = '.evaltrack-index.jsonl';

const result = (i: number) => ({
  judge: { aggregate_score: (i % 4) / 4, aggregate_success: i % 2 === 0, m: { score: i % 3 } },
});

/** What a scan of the whole file gives: a copy of the results file alone, without an index. */
async function scanned(dir: string, runId: string): Promise<ResultRecord[]> {
  using copy = tempDir();
  copyFileSync(join(dir, RESULTS), join(copy.path, RESULTS));
  const t = new CSVExperimentTracker('scan', { outputDir: copy.path });
  try {
    return await t.getRunResults(runId);
  } finally {
    await t.close();
  }
}

async function read(dir: string, runId: string): Promise<ResultRecord[]> {
  const t = new CSVExperimentTracker('read', { outputDir: dir });
  try {
    return await t.getRunResults(runId);
  } finally {
    await t.close();
  }
}

interface Segment {
  f: number;
  t: number;
  r: [string, number[]][];
}

/** The index's lines: its head, and its segments. */
function indexOf(dir: string): { head: { ino: number; from: number }; segments: Segment[] } {
  const [head, ...rest] = readFileSync(join(dir, INDEX), 'utf8').split('\n').filter(Boolean);
  return {
    head: JSON.parse(head ?? '') as { ino: number; from: number },
    // Lines that are not JSON (torn) are passed over, as the reader does.
    segments: rest.flatMap((l) => {
      try {
        return [JSON.parse(l) as Segment];
      } catch {
        return [];
      }
    }),
  };
}

/** How far the chain of segments reaches from the end of the header. */
function covered(dir: string): number {
  const { head, segments } = indexOf(dir);
  let at = head.from;
  for (let s = segments.find((x) => x.f === at); s; s = segments.find((x) => x.f === at)) at = s.t;
  return at;
}

const size = (dir: string) => statSync(join(dir, RESULTS)).size;

/** Logs runs a and b in turn, by logBatch and log(), in one folder. */
async function logRuns(dir: string): Promise<void> {
  const t = new CSVExperimentTracker('p', { outputDir: dir });
  for (let round = 0; round < 3; round++) {
    for (const runId of ['a', 'b']) {
      const idx = [0, 1, 2].map((k) => round * 10 + k);
      await t.logBatch(
        idx.map(result),
        'd',
        idx.map((i) => ({ id: `${runId}${i}`, input: `q${i}` })),
        { runId },
      );
      t.log(result(round), 'd', { id: `${runId}-single${round}` }, { runId });
    }
  }
  await t.close();
}

describe('the index of the results file', () => {
  it('is written by writers, covers the whole file, and reads give what a scan gives', async () => {
    using dir = tempDir();
    await logRuns(dir.path);
    // Each call's rows are one segment, chained from the header's end to the end of the file.
    const { head, segments } = indexOf(dir.path);
    expect(head.ino).toBe(statSync(join(dir.path, RESULTS)).ino);
    expect(segments).toHaveLength(12);
    expect(covered(dir.path)).toBe(size(dir.path));
    for (const runId of ['a', 'b']) {
      const records = await read(dir.path, runId);
      expect(records.map((r) => r.data['id'])).toEqual(
        [0, 1, 2].flatMap((round) => [
          ...[0, 1, 2].map((k) => `${runId}${round * 10 + k}`),
          `${runId}-single${round}`,
        ]),
      );
      expect(records).toEqual(await scanned(dir.path, runId));
    }
    expect(await read(dir.path, 'none')).toEqual([]);
  });

  it('reads only the ranges of the run: damage in other runs’ records is not read', async () => {
    using dir = tempDir();
    await logRuns(dir.path);
    const file = join(dir.path, RESULTS);
    const bytes = readFileSync(file);
    // Replace a record of run b (not at a segment's edge) by bytes a scan reports as damaged.
    const { segments } = indexOf(dir.path);
    const seg = segments.find((s) => s.r.some(([runId]) => runId === 'b') && s.t - s.f > 600);
    const [, ranges] = seg?.r.find(([runId]) => runId === 'b') ?? ['', []];
    const recordStart = bytes.indexOf('\r\nb,', (ranges[0] ?? 0) + 200) + 2;
    const recordEnd = bytes.indexOf('\r\n', recordStart);
    bytes.fill('x', recordStart, recordEnd - 2);
    bytes[recordStart + 3] = 0x0a;
    writeFileSync(file, bytes);
    using warnings = collectWarnings();
    const a = await read(dir.path, 'a');
    await settle();
    expect(a).toHaveLength(12);
    expect(warnings.codes).toEqual([]);
    // A scan reads every record, and says so.
    expect(await scanned(dir.path, 'a')).toEqual(a);
    await settle();
    expect(warnings.codes).toContain('EVALTRACK_DAMAGED_RECORD');
  });

  it('scans rows appended without the index (Python, a writer killed before its line) and indexes them', async () => {
    using dir = tempDir();
    await logRuns(dir.path);
    const file = join(dir.path, RESULTS);
    // Rows as gllm-evals appends them: no result id nor sample id (derived on reading), one of
    // them repeated; a run of their own and a run the index knows.
    const lines = readFileSync(file, 'latin1').split('\r\n');
    const header = (lines[0] ?? '').split(',');
    const idAt = header.indexOf('result_id');
    const sampleAt = header.indexOf('sample_id');
    const aRow = lines.find((l) => l.startsWith('a,')) ?? '';
    const cells = aRow.split(',');
    expect(cells[idAt]).toMatch(/./);
    const python = (runId: string) =>
      [runId, ...cells.slice(1)].map((c, i) => (i === idAt || i === sampleAt ? '' : c)).join(',');
    appendFileSync(
      file,
      Buffer.from(`${python('py')}\r\n${python('a')}\r\n${python('a')}\r\n`, 'latin1'),
    );
    const before = covered(dir.path);
    expect(before).toBeLessThan(size(dir.path));
    for (const runId of ['a', 'py']) {
      const records = await read(dir.path, runId);
      expect(records).toEqual(await scanned(dir.path, runId));
    }
    expect((await read(dir.path, 'a')).length).toBe(14);
    expect((await read(dir.path, 'py')).length).toBe(1);
    // The reader added a segment for what it scanned: the index covers the file again.
    expect(covered(dir.path)).toBe(size(dir.path));
    // And a writer after them chains on.
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    t.log(result(1), 'd', { id: 'after' }, { runId: 'a' });
    await t.close();
    expect(covered(dir.path)).toBe(size(dir.path));
    expect(await read(dir.path, 'a')).toEqual(await scanned(dir.path, 'a'));
  });

  it('a writer killed between its rows and its index line (the line missing) loses no row', async () => {
    using dir = tempDir();
    await runWriter([dir.path, '1', '300', 'batches', '200']);
    await runWriter([dir.path, '2', '300', 'batches', '200']);
    // The state kill -9 leaves between the two writes: the rows, without their last index line.
    const index = join(dir.path, INDEX);
    const text = readFileSync(index, 'utf8').split('\n').filter(Boolean);
    writeFileSync(index, text.slice(0, -1).join('\n') + '\n');
    expect(covered(dir.path)).toBeLessThan(size(dir.path));
    for (const runId of ['run-1', 'run-2']) {
      const records = await read(dir.path, runId);
      expect(records).toHaveLength(300);
      expect(records).toEqual(await scanned(dir.path, runId));
    }
    expect(covered(dir.path)).toBe(size(dir.path));
  });

  it('after kill -9 at a moment the test does not choose, and several writers at once, reads give what a scan gives', async () => {
    using dir = tempDir();
    await Promise.all([
      killWriter([dir.path, '1', '2000', 'batches', '500'], 3, 40),
      runWriter([dir.path, '2', '400', 'shared', '300']),
      runWriter([dir.path, '3', '400', 'shared', '300']),
    ]);
    for (const runId of ['run-1', 'shared-0', 'shared-1']) {
      const records = await read(dir.path, runId);
      expect(records).toEqual(await scanned(dir.path, runId));
    }
    expect(
      (await read(dir.path, 'shared-0')).length + (await read(dir.path, 'shared-1')).length,
    ).toBe(800);
    expect(covered(dir.path)).toBe(size(dir.path));
  });

  it('a writer whose index a reader replaced (a compaction) puts its lines in the new one', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const index = join(dir.path, INDEX);
    const logSome = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        t.log(result(i), 'd', { id: `s${i}` }, { runId: i % 3 === 0 ? 'b' : 'a' });
      }
    };
    try {
      logSome(0, 5);
      // What a reader's compaction does: a new file renamed over the one the writer holds open.
      // A few calls apart, so that lines go to a replaced file between the writer's checks, and
      // just before it closes.
      for (const [from, to] of [
        [5, 12],
        [12, 50],
        [50, 53],
      ] as const) {
        writeFileSync(`${index}.tmp`, readFileSync(index));
        renameSync(`${index}.tmp`, index);
        logSome(from, to);
      }
    } finally {
      await t.close();
    }
    expect(indexOf(dir.path).head.ino).toBe(statSync(join(dir.path, RESULTS)).ino);
    expect(covered(dir.path)).toBe(size(dir.path));
    for (const runId of ['a', 'b']) {
      expect(await read(dir.path, runId)).toEqual(await scanned(dir.path, runId));
    }
  });

  it('is started anew by a header rewrite, and a stale one is rebuilt by its next reader', async () => {
    using dir = tempDir();
    await logRuns(dir.path);
    const oldIndex = readFileSync(join(dir.path, INDEX));
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    // A new metric: a new header, every record moved.
    t.log({ judge: { fresh: { score: 1 } } }, 'd', { id: 'fresh' }, { runId: 'b' });
    await t.close();
    expect(indexOf(dir.path).head.ino).toBe(statSync(join(dir.path, RESULTS)).ino);
    for (const runId of ['a', 'b'])
      expect(await read(dir.path, runId)).toEqual(await scanned(dir.path, runId));
    expect(covered(dir.path)).toBe(size(dir.path));
    // The index of the old file put back (a rewrite by a process that died before starting the
    // new index): its head does not match, and the next reader writes it anew.
    writeFileSync(join(dir.path, INDEX), oldIndex);
    for (const runId of ['a', 'b'])
      expect(await read(dir.path, runId)).toEqual(await scanned(dir.path, runId));
    expect(indexOf(dir.path).head.ino).toBe(statSync(join(dir.path, RESULTS)).ino);
    expect(covered(dir.path)).toBe(size(dir.path));
  });

  it('a torn, garbage or lying index is never trusted', async () => {
    using dir = tempDir();
    await logRuns(dir.path);
    const index = join(dir.path, INDEX);
    const good = readFileSync(index, 'utf8');
    const expected = { a: await scanned(dir.path, 'a'), b: await scanned(dir.path, 'b') };
    const check = async () => {
      expect(await read(dir.path, 'a')).toEqual(expected.a);
      expect(await read(dir.path, 'b')).toEqual(expected.b);
    };
    // Torn in the middle of a line.
    truncateSync(index, Math.floor(good.length / 2));
    await check();
    expect(covered(dir.path)).toBe(size(dir.path));
    // Garbage.
    writeFileSync(index, 'not an index\n\u0000\u0001{"f":');
    await check();
    expect(covered(dir.path)).toBe(size(dir.path));
    // Valid lines that lie: run a's ranges said to be b's, and b's to be a's.
    writeFileSync(
      index,
      good
        .replaceAll('["a",', '["tmp",')
        .replaceAll('["b",', '["a",')
        .replaceAll('["tmp",', '["b",'),
    );
    await check();
    // Ranges shifted into the middle of records (the edges then differ too).
    const shifted = good
      .split('\n')
      .map((l, k) =>
        k === 0 || l === ''
          ? l
          : JSON.stringify({
              ...(JSON.parse(l) as Segment),
              r: (JSON.parse(l) as Segment).r.map(([id, rs]) => [id, rs.map((x) => x + 7)]),
            }),
      )
      .join('\n');
    writeFileSync(index, shifted);
    await check();
    // A line changed and still valid JSON, each of its ranges still records of its run: run a
    // left out of a segment (its digest of the edges unchanged). Without the line's own digest
    // the reader would drop that segment's records of a.
    const lines = good.split('\n');
    const k = lines.findIndex((l, n) => n > 0 && l.startsWith('{') && l.includes('["a",'));
    const dropped = JSON.parse(lines[k] ?? '') as Segment;
    lines[k] = JSON.stringify({ ...dropped, r: dropped.r.filter(([id]) => id !== 'a') });
    writeFileSync(index, lines.join('\n'));
    await check();
    expect(covered(dir.path)).toBe(size(dir.path));
    // An empty file.
    writeFileSync(index, '');
    await check();
    expect(covered(dir.path)).toBe(size(dir.path));
  });

  it('passes over segments whose bytes changed (a file cut back and appended to again)', async () => {
    using dir = tempDir();
    await logRuns(dir.path);
    const { segments } = indexOf(dir.path);
    // Cut the file back to the end of its 4th segment (as a full disk's take-back does) and have
    // other rows land where the old ones were: the old segments' offsets now point into them.
    const cut = (segments[3] as Segment).t;
    truncateSync(join(dir.path, RESULTS), cut);
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    for (const runId of ['b', 'a']) {
      await t.logBatch(
        [result(1), result(2)],
        'd',
        [{ id: `${runId}-x`, input: 'a longer input than before' }, { id: `${runId}-y` }],
        { runId },
      );
    }
    await t.close();
    for (const runId of ['a', 'b']) {
      const records = await read(dir.path, runId);
      expect(records.map((r) => r.data['id'])).toEqual(
        runId === 'a'
          ? ['a0', 'a1', 'a2', 'a-single0', 'a-x', 'a-y']
          : ['b0', 'b1', 'b2', 'b-single0', 'b-x', 'b-y'],
      );
      expect(records).toEqual(await scanned(dir.path, runId));
    }
  });

  it('passes over a segment whose bytes changed in place', async () => {
    using dir = tempDir();
    await logRuns(dir.path);
    const file = join(dir.path, RESULTS);
    // Run b's batch of the second round becomes run a's, byte for byte the same length: its
    // segment still says b, and only its digest tells.
    const seg = indexOf(dir.path).segments.filter(
      (x) => x.r.length === 1 && x.r[0]?.[0] === 'b',
    )[2];
    if (!seg) throw new Error('no such segment');
    const bytes = readFileSync(file);
    const part = bytes.subarray(seg.f, seg.t).toString('latin1');
    expect(part.startsWith('b,')).toBe(true);
    const changed = ('a' + part.slice(1)).replaceAll('\r\nb,', '\r\na,');
    bytes.write(changed, seg.f, 'latin1');
    writeFileSync(file, bytes);
    for (const runId of ['a', 'b'])
      expect(await read(dir.path, runId)).toEqual(await scanned(dir.path, runId));
    expect((await read(dir.path, 'a')).length).toBe(15);
  });

  it('a record changed in place in the middle of a segment (its edges the same) stops the read through the index, which goes on by scanning', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const ids = Array.from({ length: 40 }, (_, i) => i);
    await t.logBatch(
      ids.map(result),
      'd',
      ids.map((i) => ({ id: `a${i}` })),
      { runId: 'a' },
    );
    await t.logBatch(
      ids.map(result),
      'd',
      ids.map((i) => ({ id: `b${i}` })),
      { runId: 'b' },
    );
    await t.close();
    const file = join(dir.path, RESULTS);
    const bytes = readFileSync(file);
    // Run a's 20th record becomes run b's: inside a's segment, far from its edges.
    const at = bytes.indexOf('\r\na,', bytes.indexOf('a19,')) + 2;
    expect(bytes.toString('latin1', at, at + 2)).toBe('a,');
    bytes.write('b', at, 'latin1');
    writeFileSync(file, bytes);
    const a = await read(dir.path, 'a');
    // What a scan gives, in its order: the records before the changed one came through the
    // index, the rest through the scan that took over.
    expect(a).toEqual(await scanned(dir.path, 'a'));
    expect(a.map((r) => r.data['id'])).toEqual(ids.filter((i) => i !== 20).map((i) => `a${i}`));
    // The scan wrote the index anew: b's new record is in it now.
    expect(covered(dir.path)).toBe(size(dir.path));
    expect(await read(dir.path, 'b')).toEqual(await scanned(dir.path, 'b'));
    expect((await read(dir.path, 'b')).length).toBe(41);
  });

  it('getResult and flaky samples read through it too', async () => {
    using dir = tempDir();
    await logRuns(dir.path);
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const records = await t.getRunResults('a');
    const last = records[records.length - 1] as ResultRecord;
    expect(await t.getResult('a', last.resultId)).toEqual(last);
    expect(await t.getResult('b', last.resultId)).toBeNull();
    const viaIndex = await t.getFlakySamples();
    await t.close();
    using copy = tempDir();
    copyFileSync(join(dir.path, RESULTS), join(copy.path, RESULTS));
    copyFileSync(join(dir.path, 'leaderboard.csv'), join(copy.path, 'leaderboard.csv'));
    const s = new CSVExperimentTracker('p', { outputDir: copy.path });
    const viaScan = await s.getFlakySamples();
    await s.close();
    expect(viaIndex).toEqual(viaScan);
  });
});
