// The dashboard's live updates on a large SQLite store: how soon a result committed by another
// process shows in open pages (a run's view and the runs view), what the server's CPU is while a
// page is open and nothing changes, and with no page open; and what each store's change marker
// costs. The server and the writer are child processes of their own, as in use.
// `npm run build && node bench/ui-live-only.mjs` (ROWS=100000 scales the store down; IDLE_S=30 is
// the idle window; WRITES=9 the writes timed; KEEP=1 keeps the store, STORE=<file> reuses it).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SqliteExperimentTracker } from 'evaltrack/sqlite';
import { realisticResult } from './realistic-result.mjs';

const SELF = fileURLToPath(import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Milliseconds since the epoch, to the microsecond: comparable across processes. */
const wall = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const [mode, file] = process.argv.slice(2);
if (mode === '--server') await serverMain(file);
else if (mode === '--writer') await writerMain(file);
else await main();

/** The dashboard over `file`; prints its URL, then its CPU time (µs) on each line "cpu". */
async function serverMain(file) {
  const { serveUi } = await import('../dist/ui/serve-ui.js');
  const tracker = new SqliteExperimentTracker('viewer', { file });
  const server = await serveUi(tracker, { port: 0 });
  process.stdout.write(`${server.url}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'cpu') process.stdout.write(`${JSON.stringify(process.cpuUsage())}\n`);
  }
  await server.close();
  await tracker.close();
}

/** Logs one result into run `live` on each line read; prints the total and when log() returned. */
async function writerMain(file) {
  const tracker = new SqliteExperimentTracker('writer', { file });
  let total = 0;
  for await (const _ of createInterface({ input: process.stdin })) {
    const r = realisticResult(total);
    // SQLite commits inside log(): when it returns, another connection can read the result.
    tracker.log(r.evaluationResult, 'rag', { ...r.data, id: `live-${total}` }, { runId: 'live' });
    total++;
    process.stdout.write(`${total} ${wall()}\n`);
  }
  await tracker.close();
}

/** A child running this script in `mode`, answering one line per line sent. */
function child(mode, file) {
  const proc = spawn(process.execPath, [SELF, mode, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return {
    next: async () => (await lines.next()).value,
    ask: async (text) => {
      proc.stdin.write(`${text}\n`);
      return (await lines.next()).value;
    },
    end: () => {
      proc.stdin.end();
      return new Promise((resolve) => proc.on('exit', resolve));
    },
  };
}

/** The cost of one `changeMarker()` of `tracker`, in µs (median of 5 rounds of `n` calls). */
async function markerCost(tracker, n) {
  const rounds = [];
  for (let k = 0; k < 5; k++) {
    const start = wall();
    for (let i = 0; i < n; i++) await tracker.changeMarker();
    rounds.push(((wall() - start) * 1000) / n);
  }
  return round(median(rounds), 2);
}

async function main() {
  // Loaded here, not by the server and writer children: they hold what a dashboard holds.
  const { chromium } = await import('playwright-core');
  const { CSVExperimentTracker } = await import('evaltrack/csv');
  const { JsonlExperimentTracker } = await import('evaltrack/jsonl');
  const ROWS = Number(process.env.ROWS ?? 1_000_000);
  const IDLE_S = Number(process.env.IDLE_S ?? 30);
  const WRITES = Number(process.env.WRITES ?? 9);
  const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));
  if (!CHROMIUM) throw new Error('no chromium installed (apt-get install chromium)');
  // STORE=<file> measures an existing store (filled by an earlier run with KEEP=1) without filling.
  const root = mkdtempSync(join(tmpdir(), 'evaltrack-live-'));
  const out = { rows: ROWS, loadBefore: loadavg().map((x) => round(x, 2)) };
  const file = process.env.STORE ?? join(root, 'live.sqlite');
  try {
    // The store: ROWS results in up to 1,000 runs, by logBatch of 1,000.
    const runs = Math.max(1, Math.min(1000, Math.round(ROWS / 1000)));
    const perRun = Math.ceil(ROWS / runs);
    const pool = Array.from({ length: 1000 }, (_, i) => realisticResult(i));
    if (!process.env.STORE) {
      const tracker = new SqliteExperimentTracker('bench', { file });
      const start = wall();
      for (let r = 0; r < runs; r++) {
        for (let from = 0; from < perRun; from += 1000) {
          const batch = Array.from({ length: Math.min(1000, perRun - from) }, (_, k) => k + from);
          await tracker.logBatch(
            batch.map((i) => pool[i % 1000].evaluationResult),
            'rag',
            batch.map((i) => ({ ...pool[i % 1000].data, id: `q${i}` })),
            { runId: `run-${String(r).padStart(4, '0')}` },
          );
        }
      }
      out.fillSeconds = round((wall() - start) / 1000);
      out.fileMB = Math.round(statSync(file).size / 1e6);
      out.runs = runs;
      // What the server does twice a second, and what it reads once the marker changed.
      out.sqliteMarkerUs = await markerCost(tracker, 2000);
      const history = [];
      for (let i = 0; i < 5; i++) {
        const start2 = wall();
        await tracker.getExperimentHistory();
        history.push(wall() - start2);
      }
      out.sqliteHistoryMs = round(median(history));
      await tracker.close();
    } else {
      // The run written live by an earlier measure goes, so that counts start again at 1.
      const db = new (await import('better-sqlite3')).default(file);
      db.exec(`DELETE FROM results WHERE run_id = 'live'; DELETE FROM runs WHERE run_id = 'live'`);
      db.close();
    }
    console.log(JSON.stringify(out));

    // The other stores' markers: a stat per file (their size does not matter), one query.
    for (const [name, open] of [
      ['csv', (dir) => new CSVExperimentTracker('bench', { outputDir: dir })],
      ['jsonl', (dir) => new JsonlExperimentTracker('bench', { outputDir: dir })],
    ]) {
      const tracker = open(join(root, name));
      await tracker.logBatch(
        pool.map((r) => r.evaluationResult),
        'rag',
        pool.map((r) => r.data),
      );
      out[`${name}MarkerUs`] = await markerCost(tracker, 2000);
      await tracker.close();
    }
    const { postgresBinDir, startPostgres } = await import('../scripts/postgres-server.mjs');
    if (postgresBinDir() !== null) {
      const { PostgresExperimentTracker } = await import('evaltrack/postgres');
      const pg = await startPostgres();
      try {
        const tracker = new PostgresExperimentTracker('bench', {
          connectionString: pg.url,
          schema: 'live',
        });
        for (let r = 0; r < 100; r++) {
          await tracker.logBatch(
            pool.map((x) => x.evaluationResult),
            'rag',
            pool.map((x) => x.data),
            { runId: `run-${r}` },
          );
        }
        out.postgresMarkerUs = await markerCost(tracker, 200);
        out.postgresMarkerOn = '100 runs, 100,000 results';
        await tracker.close();
      } finally {
        pg.destroy();
      }
    }
    console.log(JSON.stringify(out));

    const server = child('--server', file);
    const url = await server.next();
    const cpu = async () => {
      const { user, system } = JSON.parse(await server.ask('cpu'));
      return (user + system) / 1000;
    };
    /** The server's CPU time (ms) over IDLE_S seconds, after `settleMs`. */
    const idleCpu = async (settleMs) => {
      await sleep(settleMs);
      const before = await cpu();
      await sleep(IDLE_S * 1000);
      return round((await cpu()) - before);
    };
    // Idle before any page: the server started (V8 tidies its start-up heap within ~15 s, a
    // one-off of some 40 ms), nobody watching.
    out.idleBeforeAnyPageCpuMs = await idleCpu(15_000);
    const writer = child('--writer', file);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      await writer.ask('log');
      const runPage = await browser.newPage();
      await runPage.goto(`${url}/run/live`);
      await runPage.waitForFunction(
        () => document.querySelector('#sample-count')?.textContent === '1 sample',
        undefined,
        { timeout: 60_000 },
      );
      const runsPage = await browser.newPage();
      await runsPage.goto(`${url}/`);
      await runsPage.waitForSelector('#runs tbody tr', { timeout: 60_000 });
      const liveN = (n) =>
        runsPage.waitForFunction(
          (want) =>
            [...document.querySelectorAll('#runs tbody tr')].some(
              (tr) =>
                tr.querySelectorAll('td')[2]?.textContent?.startsWith('live') &&
                tr.querySelectorAll('td')[5]?.textContent === want,
            ),
          String(n),
          { timeout: 60_000, polling: 'raf' },
        );
      const samples = (n) =>
        runPage.waitForFunction(
          (want) => document.querySelector('#sample-count')?.textContent === want,
          `${n} samples`,
          { timeout: 60_000, polling: 'raf' },
        );
      await liveN(1);

      // One result at a time, 3 s apart (each write on its own, not caught by the one before).
      const runView = [];
      const runsView = [];
      for (let i = 0; i < WRITES; i++) {
        await sleep(3000);
        const [total, committedAt] = (await writer.ask('log')).split(' ').map(Number);
        await Promise.all([
          samples(total).then(() => runView.push(wall() - committedAt)),
          liveN(total).then(() => runsView.push(wall() - committedAt)),
        ]);
      }
      out.runViewMs = runView.map((x) => Math.round(x));
      out.runsViewMs = runsView.map((x) => Math.round(x));
      out.runViewMedianMs = Math.round(median(runView));
      out.runsViewMedianMs = Math.round(median(runsView));
      await writer.end();
      console.log(JSON.stringify(out));

      // Idle: the run stopped (its running mark goes after 10 s), pages open, nothing changes.
      out.idlePagesOpenCpuMs = await idleCpu(12_000);
      await runPage.close();
      await runsPage.close();
      // The pages gone: V8 collects what serving them left, then nothing runs.
      out.idleAfterPagesCpuMs = await idleCpu(10_000);
      out.idleSeconds = IDLE_S;
    } finally {
      await browser.close();
      await server.end();
    }
    out.loadAfter = loadavg().map((x) => round(x, 2));
    console.log(JSON.stringify(out));
  } finally {
    if (process.env.KEEP) console.log(`kept ${file}`);
    else rmSync(root, { recursive: true, force: true });
  }
}
