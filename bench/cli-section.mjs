// The command line on a large store: the figures of its issue, measured on the 1,000,000-result
// SQLite database the SQLite section built.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli } from '../dist/cli/run-cli.js';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';

const now = () => Number(process.hrtime.bigint()) / 1e6;
const sink = { write: () => true };
const io = { stdout: sink, stderr: sink, env: {}, isTTY: false };

async function timed(argv) {
  const start = now();
  const code = await runCli(argv, io);
  if (code !== 0) throw new Error(`evaltrack ${argv.join(' ')} exited ${code}`);
  return now() - start;
}

/** Median of `rounds` alternating timings of the command and of its library baseline. */
async function versus(argv, baseline, rounds = 7) {
  const ours = [];
  const base = [];
  for (let i = 0; i < rounds; i++) {
    ours.push(await timed(argv));
    const start = now();
    await baseline();
    base.push(now() - start);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { ms: median(ours), baselineMs: median(base), ratio: median(base) / median(ours) };
}

export async function cliSection({ root, pool, bigFile, scale, note }) {
  const store = `sqlite:${bigFile}`;
  const big = new SqliteExperimentTracker('bench', { file: bigFile });
  note('evaltrack runs on 1,000,000 results in 1,000 runs (SQLite)', {
    ...(await versus(['runs', '--json', '--store', store], () => big.getExperimentHistory())),
    target: '< 500 ms',
  });
  note('evaltrack show of a 1,000-row run there', {
    ...(await versus(['show', 'run-100', '--json', '--store', store], () =>
      big.getRunResults('run-100'),
    )),
    target: '< 500 ms',
  });
  await big.close();
  // Two runs of 10,000 samples, the same samples, for compare (2,000 bootstrap resamples).
  const n = Math.round(10_000 * scale);
  const file = join(root, 'compare.sqlite');
  const t = new SqliteExperimentTracker('bench', { file });
  for (const runId of ['baseline', 'candidate']) {
    for (let from = 0; from < n; from += 1000) {
      const batch = Array.from(
        { length: Math.min(1000, n - from) },
        (_, k) => pool[(from + k + (runId === 'candidate' ? 7 : 0)) % pool.length],
      );
      await t.logBatch(
        batch.map((r) => r.evaluationResult),
        'rag',
        batch.map((r, k) => ({ ...r.data, id: `s${from + k}` })),
        { runId },
      );
    }
  }
  note(`evaltrack compare of two ${n}-sample runs (2,000 resamples)`, {
    ...(await versus(
      ['compare', 'baseline', 'candidate', '--json', '--store', `sqlite:${file}`],
      () => Promise.all([t.getRunResults('baseline'), t.getRunResults('candidate')]),
    )),
    target: '< 2000 ms',
  });
  await t.close();
  // Export in a process of its own, so that its peak memory is the export's.
  const out = join(root, 'export.jsonl');
  const script = `const { runCli } = await import(${JSON.stringify(new URL('../dist/cli/run-cli.js', import.meta.url).pathname)});
    const before = process.memoryUsage().rss;
    const sink = { write: () => true };
    const code = await runCli(['export', '--all', '--format', 'jsonl', '--out', ${JSON.stringify(out)}, '--store', ${JSON.stringify(store)}], { stdout: sink, stderr: sink, env: {}, isTTY: false });
    console.log(JSON.stringify({ code, peakAbove: process.resourceUsage().maxRSS * 1024 - before }));`;
  const start = now();
  const r = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  );
  note('evaltrack export --all (jsonl) of the 1,000,000 results', {
    seconds: (now() - start) / 1000,
    peakMBAboveBaseline: r.peakAbove / 1e6,
    target: '< 200 MB',
  });
}
