// Stored text reaches a person's terminal only as visible escapes: no clipboard write, no clear
// screen, no carriage return over the model name. --json stays exact.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { tempDir } from '../helpers/temp-dir.js';

const BIN = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../dist/cli/bin.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });

const CLIPBOARD = '\u001b]52;c;ZXZpbA==\u0007';
const CLEAR = '\u001b[2J\u001b[H';
// Every control character of C0 and C1, DEL, and a right-to-left override.
// eslint-disable-next-line no-control-regex
const ALL_CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

describe('text from a store on a terminal', () => {
  it('shows control characters as visible escapes in runs, show, compare and gate', async () => {
    using dir = tempDir();
    const t = new CSVExperimentTracker('p', { outputDir: dir.path });
    const data = [
      {
        id: `s1${CLEAR}`,
        input: `${CLIPBOARD}What is the refund policy?\u202e`,
        actual_output: 'x',
      },
      { id: 's2', input: 'plain', actual_output: 'y' },
    ];
    for (const [runId, pass] of [
      ['base', true],
      ['cand', false],
    ] as const) {
      await t.logBatch(
        data.map(() => ({ judge: { aggregate_success: pass } })),
        'faq',
        data,
        { runId, metadata: { model_name: `gpt-4\rEVIL-MODEL` } },
      );
    }
    await t.close();
    const outputs = [
      run('runs', '--store', dir.path),
      run('show', 'cand', '--store', dir.path),
      run('compare', 'base', 'cand', '--store', dir.path),
      run('gate', 'base', 'cand', '--max-regressions', '0', '--store', dir.path),
    ];
    for (const o of outputs) {
      expect(o.stdout).not.toMatch(ALL_CONTROLS);
      expect(o.stderr).toBe('');
    }
    expect(outputs[0]?.stdout).toContain('gpt-4\\rEVIL-MODEL');
    expect(outputs[1]?.stdout).toContain('s1\\u001b[2J\\u001b[H');
    expect(outputs[1]?.stdout).toContain('\\u001b]52;c;ZXZpbA==\\u0007What');
    expect(outputs[3]?.stdout).toContain(
      '- 2 regressions on judge.aggregate_success (at most 0): s1\\u001b[2J\\u001b[H, s2',
    );
    // Machines get the text exactly as stored.
    const json = JSON.parse(run('runs', '--json', '--store', dir.path).stdout) as {
      modelName: string;
    }[];
    expect(json.map((r) => r.modelName)).toEqual(['gpt-4\rEVIL-MODEL', 'gpt-4\rEVIL-MODEL']);
  });
});
