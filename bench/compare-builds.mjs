// Two builds of evaltrack side by side, in one process, alternating round by round, so that a
// busy machine slows both alike: CSV log() per second (beside the raw JSONL logger of
// `npm run bench`) and evaluate()'s overhead per sample beyond logBatch() alone.
//
//   node --expose-gc bench/compare-builds.mjs <dist of build A> <dist of build B>
//
// e.g. a build of an older commit (`git worktree add /tmp/old <rev>`, `npm ci`, `npx tsc -p
// tsconfig.build.json`) against this one's `dist`.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { realisticResult } from './realistic-result.mjs';

const dists = process.argv.slice(2, 4).map((d) => resolve(d));
if (dists.length !== 2) throw new Error('usage: compare-builds.mjs <distA> <distB>');
const builds = [];
for (const dist of dists) {
  const url = (f) => pathToFileURL(join(dist, f)).href;
  builds.push({ dist, ...(await import(url('index.js'))), ...(await import(url('csv.js'))) });
}
const pool = Array.from({ length: 5000 }, (_, i) => realisticResult(i));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const root = mkdtempSync(join(tmpdir(), 'evaltrack-builds-'));
let dirs = 0;
const freshDir = () => {
  const d = join(root, `d${++dirs}`);
  mkdirSync(d);
  return d;
};

async function logPerSec(b, n) {
  const t = new b.CSVExperimentTracker('bench', { outputDir: freshDir() });
  t.log(pool[0].evaluationResult, 'rag', pool[0].data, { runId: 'r' });
  const start = now();
  for (let i = 1; i <= n; i++) {
    const r = pool[i % pool.length];
    t.log(r.evaluationResult, 'rag', r.data, { runId: 'r', metadata: r.metadata });
  }
  const perSec = n / ((now() - start) / 1000);
  await t.close();
  return perSec;
}

function baselinePerSec(n) {
  const fd = openSync(join(freshDir(), 'baseline.jsonl'), 'a');
  const start = now();
  for (let i = 0; i < n; i++) {
    const r = pool[i % pool.length];
    const line = { runId: 'b', datasetName: 'rag', timestamp: new Date().toISOString(), ...r };
    writeSync(fd, `${JSON.stringify(line)}\n`);
  }
  const perSec = n / ((now() - start) / 1000);
  closeSync(fd);
  return perSec;
}

const samples = 10_000;
const data = Array.from({ length: samples }, (_, i) => ({
  ...pool[i % pool.length].data,
  id: `e${i}`,
}));
const outputs = new Map(data.map((d, i) => [d.id, pool[i % pool.length].evaluationResult]));
const instant = (sample) => outputs.get(sample.id);

const answers = new Map(data.map((d) => [d.id, d.actual_output]));
const task = (sample) => answers.get(sample.id);
const TRIALS = 2;

/** evaluate() of the samples; with `withTask`, a task that returns at once and 2 trials. */
async function evaluateMs(b, withTask = false) {
  const t = new b.CSVExperimentTracker('bench', { outputDir: freshDir() });
  const start = now();
  await b.evaluate({
    data,
    ...(withTask ? { task, trials: TRIALS } : {}),
    evaluators: [instant],
    tracker: t,
    datasetName: 'rag',
    batchSize: 50,
    progress: false,
    handleSignals: false,
  });
  const ms = now() - start;
  await t.close();
  return ms;
}

async function logBatchMs(b) {
  const t = new b.CSVExperimentTracker('bench', { outputDir: freshDir() });
  const runId = t.newRunId('rag');
  const start = now();
  for (let from = 0; from < samples; from += 50) {
    const chunk = data.slice(from, from + 50);
    await t.logBatch(
      chunk.map((d) => outputs.get(d.id)),
      'rag',
      chunk,
      { runId },
    );
  }
  const ms = now() - start;
  await t.close();
  return ms;
}

const rounds = 9;
const figures = builds.map(() => ({ log: [], evaluate: [], logBatch: [], task: [] }));
// A build from before the task step refuses the option: its task figures are left out.
const taskable = [];
for (const b of builds)
  taskable.push(
    await evaluateMs(b, true).then(
      () => true,
      () => false,
    ),
  );
const base = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? [1, 0] : [0, 1];
  execFileSync('sync');
  base.push(baselinePerSec(5000));
  for (const k of order) figures[k].log.push(await logPerSec(builds[k], 5000));
  for (const k of order) {
    figures[k].evaluate.push(await evaluateMs(builds[k]));
    figures[k].logBatch.push(await logBatchMs(builds[k]));
    if (taskable[k]) figures[k].task.push(await evaluateMs(builds[k], true));
  }
}
rmSync(root, { recursive: true, force: true });
const baseline = median(base);
builds.forEach((b, k) => {
  const f = figures[k];
  console.log(
    JSON.stringify({
      build: b.dist,
      logPerSec: Math.round(median(f.log)),
      baselinePerSec: Math.round(baseline),
      logRatio: +(median(f.log) / baseline).toFixed(2),
      evaluateOverheadUs: +(((median(f.evaluate) - median(f.logBatch)) * 1000) / samples).toFixed(
        1,
      ),
      // evaluate() with the task and trials, per sample trial, beyond logBatch() of one sample
      // (the trials' logging, TRIALS results per sample, is counted as TRIALS logBatch() runs).
      ...(taskable[k] && {
        taskEvaluateMs: +median(f.task).toFixed(0),
        taskOverheadUsPerTrial: +(
          ((median(f.task) - TRIALS * median(f.logBatch)) * 1000) /
          (samples * TRIALS)
        ).toFixed(1),
      }),
    }),
  );
});
