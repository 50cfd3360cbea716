// Limits of what Python readers take from our files: a cell past Python's csv field limit is
// warned about (naming the setting to raise), exactly at Python's own threshold; the deepest
// nesting the tracker stores is one Python's json reads.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { tempDir } from '../helpers/temp-dir.js';

/** What Python's csv module (default field limit) and json make of the results file. */
function readWithDefaultPython(folder: string): string {
  const script = [
    'import csv, json, sys',
    'try:',
    '    with open(sys.argv[1], newline="", encoding="utf-8") as f:',
    '        rows = list(csv.DictReader(f))',
    '    depth = 0',
    '    node = json.loads(rows[-1]["data"])',
    '    while isinstance(node, dict) and "a" in node:',
    '        node, depth = node["a"], depth + 1',
    '    print("read", len(rows), "rows; data nested", depth + 1)',
    'except csv.Error as e:',
    '    print("csv.Error:", e)',
  ].join('\n');
  return execFileSync('python3', ['-c', script, join(folder, 'experiment_results.csv')], {
    encoding: 'utf8',
  }).trim();
}

const LIMIT = 131_072;
// `{"id":"x","t":""}`: the data cell's JSON text around the text `t`.
const dataOfCell = (chars: number) => ({ id: 'x', t: 'a'.repeat(chars - 17) });

describe('limits Python readers have', () => {
  it('warns, once per column, of a cell larger than Python csv reads by default', async () => {
    for (const [cellChars, fill, warned, python] of [
      [LIMIT, 'a', false, 'read 1 rows; data nested 1'],
      // Python counts code points: 131,072 of them in more UTF-16 units still read.
      [LIMIT + 1, '🎉', false, 'read 1 rows; data nested 1'],
      [LIMIT + 1, 'a', true, 'csv.Error: field larger than field limit (131072)'],
    ] as const) {
      using dir = tempDir();
      const warnings: [string, string][] = [];
      const t = new CSVExperimentTracker('p', {
        outputDir: dir.path,
        onWarning: (message, code) => warnings.push([code, message]),
      });
      const data =
        fill === 'a'
          ? dataOfCell(cellChars)
          : { id: 'x', t: `${'a'.repeat(LIMIT - 17 - 1)}${fill}` };
      expect(JSON.stringify(data).length).toBe(cellChars);
      t.log({ m: { score: 1 } }, 'd', data);
      t.log({ m: { score: 1 } }, 'd', data); // the same column again: no second warning
      await t.close();
      expect(warnings.map(([code]) => code)).toEqual(warned ? ['EVALTRACK_LARGE_CELL'] : []);
      if (warned) {
        expect(warnings[0]?.[1]).toMatch(
          /^a cell of column "data" .* more than 131,072 characters, .*csv\.field_size_limit\(sys\.maxsize\)/,
        );
      }
      expect(readWithDefaultPython(dir.path)).toBe(python.replace('1 rows', '2 rows'));
    }
  });

  it('goes through process.emitWarning by default', () => {
    using dir = tempDir();
    const script = `
      import { CSVExperimentTracker } from 'evaltrack/csv';
      const t = new CSVExperimentTracker('p', { outputDir: ${JSON.stringify(dir.path)} });
      t.log({ m: { score: 1, explanation: 'x'.repeat(200000) } }, 'd', { id: 'x' });
      await t.close();`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(child.status).toBe(0);
    expect(child.stderr).toMatch(
      /\[EVALTRACK_LARGE_CELL\] EvaltrackWarning: a cell of column "evaluation_result" .*csv\.field_size_limit/,
    );
  });

  it('stores 500 levels of nesting, which Python json reads back', async () => {
    using dir = tempDir();
    let data: Record<string, unknown> = { leaf: true };
    for (let i = 1; i < 500; i++) data = { a: data };
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    t.log({ m: { score: 1 } }, 'd', data);
    await t.close();
    expect(readWithDefaultPython(dir.path)).toBe('read 1 rows; data nested 500');
  });
});
