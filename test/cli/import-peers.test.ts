// `evaltrack import` of promptfoo and evalite files as a user runs it: the built binary, a real
// SQLite store; what it prints, its exit codes, and the store counted around each refusal.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { BIN } from '../helpers/evaltrack-binary.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../fixtures/peers');

function evaltrack(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const stored = (store: string): number => {
  const r = evaltrack('runs', '--store', store, '--json');
  return r.code === 0
    ? (JSON.parse(r.stdout) as { totalData: number }[]).reduce((n, x) => n + x.totalData, 0)
    : 0;
};

it('imports promptfoo and evalite files told by their shape, once', () => {
  using dir = tempDir('evaltrack-cli-peers-');
  const store = `sqlite:${join(dir.path, 'evals.sqlite')}`;
  const first = evaltrack('import', join(FIXTURES, 'promptfoo/results.json'), '--store', store);
  expect(first.code).toBe(0);
  expect(first.stdout).toMatch(
    /^imported 24 results, 0 already there \(24 in the promptfoo 0\.123\.1 file\)\n {2}model-a: run evaltrack_support-qa_[0-9a-f]{8} \(dataset support-qa\)\n {2}model-b: run evaltrack_support-qa_[0-9a-f]{8} \(dataset support-qa\)\n$/,
  );
  const again = evaltrack(
    'import',
    join(FIXTURES, 'promptfoo/export.json'),
    '--store',
    store,
    '--json',
  );
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ tool: 'promptfoo', imported: 0, skipped: 24 });
  const jsonl = evaltrack(
    'import',
    join(FIXTURES, 'promptfoo/results.jsonl'),
    '--dataset',
    'support-qa-jsonl',
    '--store',
    store,
    '--json',
  );
  expect(JSON.parse(jsonl.stdout)).toMatchObject({ format: 'promptfoo-jsonl', imported: 24 });
  const evalite = evaltrack(
    'import',
    join(FIXTURES, 'evalite/results.json'),
    '--from',
    'evalite',
    '--store',
    store,
    '--json',
  );
  expect(JSON.parse(evalite.stdout)).toMatchObject({ tool: 'evalite', imported: 24, skipped: 0 });
  expect(stored(store)).toBe(72);
});

it('refuses a file of another shape or tool with one line, exit 1, storing nothing', () => {
  using dir = tempDir('evaltrack-cli-peers-');
  const store = `sqlite:${join(dir.path, 'evals.sqlite')}`;
  const other = join(dir.path, 'package.json');
  writeFileSync(other, '{"name":"x"}');
  const r = evaltrack('import', other, '--store', store);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(
    /^evaltrack import: .*package\.json: is not a results file of promptfoo or evalite; expected a promptfoo results\.json .*; nothing was imported\n$/,
  );
  const wrongTool = evaltrack(
    'import',
    join(FIXTURES, 'evalite/results.json'),
    '--from',
    'promptfoo',
    '--store',
    store,
  );
  expect(wrongTool.code).toBe(1);
  expect(wrongTool.stderr).toMatch(
    /results\.json: is an evalite file; expected a promptfoo results\.json/,
  );
  const cut = join(dir.path, 'results.jsonl');
  const text = readFileSync(join(FIXTURES, 'promptfoo/results.jsonl'), 'utf8');
  writeFileSync(cut, text.slice(0, text.length - 50));
  const cutShort = evaltrack('import', cut, '--store', store);
  expect(cutShort.code).toBe(1);
  expect(cutShort.stderr).toMatch(
    /results\.jsonl: line 24 is not JSON .*: the file is cut short, or not JSON Lines/,
  );
  const badFlag = evaltrack('import', cut, '--from', 'braintrust', '--store', store);
  expect(badFlag.code).toBe(2);
  expect(badFlag.stderr).toMatch(/--from must be promptfoo or evalite, not "braintrust"/);
  expect(stored(store)).toBe(0);
});
