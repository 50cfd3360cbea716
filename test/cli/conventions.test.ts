// Command-line conventions people know, checked on the built binary: --version, help <command>,
// "did you mean", refused extra arguments, runs named by prefix, suffix or latest~N, read commands
// that never create a store, one error prefix, warnings as one line, and the exit codes.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const BIN = join(ROOT, 'dist/cli/bin.js');
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

function evaltrack(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', EVALTRACK_STORE: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Three runs of `faq` and one of `billing`, logged in this order (the latest last). */
async function store(dir: string): Promise<string[]> {
  const t = new CSVExperimentTracker('bot', { outputDir: join(dir, 'store') });
  const ids: string[] = [];
  for (const dataset of ['faq', 'faq', 'billing', 'faq']) {
    const runId = t.newRunId(dataset);
    await t.logBatch([{ judge: { aggregate_success: true } }], dataset, [{ id: 'q1' }], { runId });
    ids.push(runId);
    await new Promise((r) => setTimeout(r, 5));
  }
  await t.close();
  return ids;
}

const firstLine = (s: string): string => s.split('\n')[0] ?? '';

describe('evaltrack conventions', () => {
  it('prints its version, and help for one command', () => {
    using dir = tempDir();
    expect(evaltrack(dir.path, '--version')).toEqual({
      code: 0,
      stdout: `${VERSION}\n`,
      stderr: '',
    });
    const help = evaltrack(dir.path, 'help', 'gate');
    expect(help.code).toBe(0);
    expect(firstLine(help.stdout)).toBe(
      'exit 1 when the candidate breaks a rule against the baseline (for CI)',
    );
    expect(help.stdout).toContain('\nusage: evaltrack gate <baseline> <candidate>');
    expect(evaltrack(dir.path, 'gate', '--help').stdout).toBe(help.stdout);
    for (const command of ['history', 'flaky']) {
      const about = evaltrack(dir.path, 'help', command);
      expect([about.code, about.stdout.includes(`\nusage: evaltrack ${command} `)]).toEqual([
        0,
        true,
      ]);
      expect(evaltrack(dir.path, '--help').stdout).toContain(`\n  ${command.padEnd(22)}`);
    }
  });

  it('suggests the command or flag that was meant, in one line, with exit code 2', () => {
    using dir = tempDir();
    expect(evaltrack(dir.path, 'shwo', 'x')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'evaltrack: unknown command "shwo"; did you mean "show"? (evaltrack --help lists them)\n',
    });
    expect(evaltrack(dir.path, 'histroy', 'q1').stderr).toBe(
      'evaltrack: unknown command "histroy"; did you mean "history"? (evaltrack --help lists them)\n',
    );
    expect(evaltrack(dir.path, 'help', 'comapre').stderr).toBe(
      'evaltrack: unknown command "comapre"; did you mean "compare"? (evaltrack --help lists them)\n',
    );
    const flag = evaltrack(dir.path, 'runs', '--stroe', 'x');
    expect([flag.code, flag.stderr]).toEqual([
      2,
      'evaltrack runs: unknown option --stroe; did you mean --store?\n' +
        'usage: evaltrack runs [--metric COLUMN] [--dataset NAME] [--model NAME] [--sort updated|score] [--limit N]\n' +
        '(evaltrack help runs says more)\n',
    ]);
    expect(firstLine(evaltrack(dir.path, 'runs', '--limit').stderr)).toBe(
      'evaltrack runs: --limit needs a value',
    );
    expect(firstLine(evaltrack(dir.path, 'runs', '--json=yes').stderr)).toBe(
      'evaltrack runs: --json takes no value',
    );
  });

  it('refuses arguments a command does not take', async () => {
    using dir = tempDir();
    await store(dir.path);
    const at = ['--store', join(dir.path, 'store')];
    const r = evaltrack(dir.path, 'runs', 'extra', ...at);
    expect([r.code, firstLine(r.stderr)]).toEqual([
      2,
      'evaltrack runs: runs takes no arguments; unexpected "extra"',
    ]);
    expect(firstLine(evaltrack(dir.path, 'show', 'latest', 'latest~1', ...at).stderr)).toBe(
      'evaltrack show: show takes at most 1 argument; unexpected "latest~1"',
    );
  });

  it('names a run by id, unique prefix, 8-hex suffix, latest or latest~N, within --dataset', async () => {
    using dir = tempDir();
    const [faq1, faq2, billing, faq3] = (await store(dir.path)) as [string, string, string, string];
    const at = ['--store', join(dir.path, 'store')];
    const shown = (...name: string[]) =>
      firstLine(evaltrack(dir.path, 'show', ...name, ...at).stdout).split(' ')[0];
    expect(shown(faq2)).toBe(faq2);
    expect(shown(faq2.slice(-8))).toBe(faq2);
    expect(shown('bot_billing')).toBe(billing);
    expect(shown('latest')).toBe(faq3);
    expect(shown('latest~1')).toBe(billing);
    expect(shown('latest~1', '--dataset', 'faq')).toBe(faq2);
    expect(shown('latest~2', '--dataset', 'faq')).toBe(faq1);
    const ambiguous = evaltrack(dir.path, 'show', 'bot_faq', ...at);
    expect([ambiguous.code, ambiguous.stdout, ambiguous.stderr]).toEqual([
      1,
      '',
      `evaltrack show: "bot_faq" names 3 runs: ${faq3}, ${faq2}, ${faq1}\n`,
    ]);
    const typo = evaltrack(dir.path, 'show', `x${billing.slice(1)}`, ...at);
    expect([
      typo.code,
      typo.stderr.startsWith(
        `evaltrack show: no run "x${billing.slice(1)}"; the closest: ${billing}, `,
      ),
    ]).toEqual([1, true]);
    const far = evaltrack(dir.path, 'compare', 'latest~9', 'latest', ...at);
    expect([far.code, far.stderr]).toEqual([
      1,
      'evaltrack compare: no run latest~9: there are 4 runs\n',
    ]);
    // gate names runs the same way, and so does flaky --run.
    expect(evaltrack(dir.path, 'gate', 'latest~1', 'latest', '--dataset', 'faq', ...at).code).toBe(
      0,
    );
    expect(
      firstLine(
        evaltrack(dir.path, 'flaky', '--run', 'latest~1', '--dataset', 'faq', ...at).stdout,
      ),
    ).toBe(
      `On judge.aggregate_success, across the trials of run ${faq2}: 1 sample, 0 with two outcomes or more, 0 flaky`,
    );
    expect(evaltrack(dir.path, 'flaky', '--run', 'latest~9', ...at)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'evaltrack flaky: no run latest~9: there are 4 runs\n',
    });
  });

  it('never creates a store to read: a missing folder or file exits 2', () => {
    using dir = tempDir();
    for (const where of [
      join(dir.path, 'nothing-here'),
      `sqlite:${join(dir.path, 'new', 'x.db')}`,
    ]) {
      for (const command of [
        ['runs'],
        ['show', 'latest'],
        ['history', 'q1'],
        ['flaky'],
        ['rebuild'],
        ['export', '--all'],
        ['report', 'latest~1', 'latest'],
      ]) {
        const r = evaltrack(dir.path, ...command, '--store', where);
        expect([r.code, r.stdout, r.stderr]).toEqual([
          2,
          '',
          `evaltrack ${command[0]}: no store at ${where}\n`,
        ]);
      }
    }
    // The default store too, from a folder that has none.
    expect(evaltrack(dir.path, 'runs').stderr).toBe(
      'evaltrack runs: no store at ./gllm_evals/experiments\n',
    );
    expect(existsSync(join(dir.path, 'nothing-here'))).toBe(false);
    expect(existsSync(join(dir.path, 'new'))).toBe(false);
    expect(existsSync(join(dir.path, 'gllm_evals'))).toBe(false);
  });

  it('says each error once, with one prefix, and warnings as one line that --quiet silences', async () => {
    using dir = tempDir();
    await store(dir.path);
    const folder = join(dir.path, 'store');
    const r = evaltrack(
      dir.path,
      'gate',
      'latest',
      'latest',
      '--metric',
      'nope',
      '--store',
      folder,
    );
    expect(r.stderr).not.toContain('[evaltrack]');
    // A damaged record (a row cut short by a crash) is reported, not silently skipped.
    writeFileSync(
      join(folder, 'experiment_results.csv'),
      readFileSync(join(folder, 'experiment_results.csv'), 'utf8') + 'bot_faq_cut,faq,"2026',
    );
    const damaged = evaltrack(dir.path, 'runs', '--store', folder);
    expect(damaged.code).toBe(0);
    const warnings = damaged.stderr.split('\n').filter((l) => l !== '');
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) expect(w).toMatch(/^evaltrack: warning: /);
    expect(damaged.stderr).not.toContain('--trace-warnings');
    expect(evaltrack(dir.path, 'runs', '--quiet', '--store', folder).stderr).toBe('');
    expect(evaltrack(dir.path, 'runs', '-q', '--store', folder).stdout).toBe(damaged.stdout);
  });
});
