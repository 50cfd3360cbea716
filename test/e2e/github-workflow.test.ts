// The GitHub Actions workflow of examples/github-actions/evaluation.yml (shown in the README), run
// as far as it can be without GitHub: its "Gate, report and comment" script in bash, with
// `npx evaltrack` resolving to the built binary, a real store, and `gh` (GitHub's CLI, which
// cannot reach GitHub here) replaced by a script that records what it was asked.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EvaluationOutput, MetricInput } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { BIN } from '../helpers/evaltrack-binary.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const WORKFLOW = readFileSync(join(ROOT, 'examples/github-actions/evaluation.yml'), 'utf8');

/** The `run: |` script of the step named `name`, dedented. */
function stepScript(name: string): string {
  const lines = WORKFLOW.split('\n');
  const at = lines.findIndex((l) => l.trim() === `- name: ${name}`);
  const run = lines.findIndex((l, i) => i > at && l.trim() === 'run: |');
  const indent = (lines[run + 1] ?? '').search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(run + 1)) {
    if (line.trim() !== '' && line.search(/\S/) < indent) break;
    body.push(line.slice(indent));
  }
  return body.join('\n');
}

const samples: MetricInput[] = Array.from({ length: 6 }, (_, i) => ({
  id: `q${i}`,
  input: `question ${i}`,
  actual_output: `answer ${i}`,
}));
const judged = (pass: boolean): EvaluationOutput => ({
  judge: { aggregate_success: pass, aggregate_score: pass ? 1 : 0 },
});

/** A checkout with `npx evaltrack` installed, a store with the main branch's run and the PR's. */
async function project(dir: string, candidatePasses: boolean[]): Promise<void> {
  const bin = join(dir, 'node_modules/.bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'evaltrack'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(bin, 'evaltrack'), 0o755);
  mkdirSync(join(dir, 'fake-bin'));
  // gh: records its arguments; lists a comment with id $EXISTING_COMMENT when that is set.
  writeFileSync(
    join(dir, 'fake-bin/gh'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> "${dir}/gh-calls"\n` +
      `case "$*" in *--paginate*) [ -n "$EXISTING_COMMENT" ] && echo "$EXISTING_COMMENT";; esac\nexit 0\n`,
  );
  chmodSync(join(dir, 'fake-bin/gh'), 0o755);
  const t = new CSVExperimentTracker('p', { outputDir: join(dir, 'store') });
  await t.logBatch(
    samples.map(() => judged(true)),
    'faq',
    samples,
    { runId: 'main-baseline' },
  );
  await t.logBatch(
    candidatePasses.map((p) => judged(p)),
    'faq',
    samples,
    { runId: 'pr-abc123' },
  );
  await t.close();
}

function runStep(dir: string, env: Record<string, string> = {}) {
  const summary = join(dir, 'step-summary.md');
  writeFileSync(summary, '');
  const r = spawnSync('bash', ['-c', stepScript('Gate, report and comment')], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      PATH: `${join(dir, 'fake-bin')}:${process.env['PATH'] ?? ''}`,
      HOME: dir,
      GITHUB_SHA: 'abc123',
      GITHUB_REPOSITORY: 'acme/rag-bot',
      GITHUB_STEP_SUMMARY: summary,
      PR: '7',
      EVALTRACK_STORE: join(dir, 'store'),
      NO_COLOR: '1',
      ...env,
    },
  });
  const calls = existsSync(join(dir, 'gh-calls'))
    ? readFileSync(join(dir, 'gh-calls'), 'utf8').trim().split('\n')
    : [];
  return { code: r.status, stderr: r.stderr, summary: readFileSync(summary, 'utf8'), calls };
}

describe('the README GitHub Actions workflow', () => {
  it('is the one the README shows', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`yaml\n${WORKFLOW}\`\`\``);
  });

  it('fails the job on a regression, with the report in the summary and a new comment', async () => {
    using dir = tempDir();
    await project(dir.path, [true, true, false, true, true, true]);
    const r = runStep(dir.path);
    expect(r.code).toBe(1);
    const report = readFileSync(join(dir.path, 'report.md'), 'utf8');
    expect(r.summary).toBe(report);
    expect(report.split('\n').slice(0, 4)).toEqual([
      '<!-- evaltrack-report -->',
      '### ❌ evaltrack gate failed on `judge.aggregate_success`',
      '',
      '- `1 regressions on judge.aggregate_success (at most 0): q2`',
    ]);
    expect(r.calls).toEqual([
      'api repos/acme/rag-bot/issues/7/comments --paginate --jq .[] | select(.body | startswith("<!-- evaltrack-report -->")) | .id',
      'pr comment 7 --body-file report.md',
    ]);
  });

  it('passes when nothing got worse, updating the comment it posted before', async () => {
    using dir = tempDir();
    await project(dir.path, [true, true, true, true, true, true]);
    const r = runStep(dir.path, { EXISTING_COMMENT: '4242' });
    expect(r.code).toBe(0);
    expect(r.summary.split('\n')[1]).toBe(
      '### ✅ evaltrack gate passed on `judge.aggregate_success`',
    );
    expect(r.calls[1]).toBe(
      'api -X PATCH repos/acme/rag-bot/issues/comments/4242 -F body=@report.md',
    );
  });

  it("fails with evaltrack's message and posts nothing when there is no run to report on", async () => {
    using dir = tempDir();
    await project(dir.path, [true, true, true, true, true, true]);
    const r = runStep(dir.path, { GITHUB_SHA: 'fff999' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('evaltrack report: no run "pr-fff999"');
    expect(r.summary).toBe('');
    expect(r.calls).toEqual([]);
  });
});
