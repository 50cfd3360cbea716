// What the CSV format and the store's guarantees add to the raw JSONL logger, part by part,
// timed outside the profiler (issue 18): the whole log() and the baseline, then each part alone on
// the same realistic results, all alternating round by round in one process; medians, µs per row.
//
//   npm run build && node --expose-gc bench/csv-log-parts.mjs
//
// ROUNDS= and ROWS= change the size. The parts:
// - quotes: the JSON cells (data, metadata, evaluator output) written quoted with their quotes
//   doubled, minus the same text written as it is (what the baseline's line costs to encode);
// - index: the index line (its ranges, the edge digest of the rows' bytes, the line's digest)
//   and its write() to a second file;
// - stat: the stat of the results path after the write (where the rows landed, and that no
//   rewrite replaced the file);
// - tracker: log() into a store that keeps nothing: the tracker's checks of the arguments, the
//   flattening, the result id and time (its rules, which every store pays);
// - fold: the result folded into its run's aggregates in memory (the leaderboard's sums);
// - small cells: the fixed and metric cells of a row (formula escaping, repeated cells cached).
// The floor is the baseline plus the parts: the fastest log() these leave possible.
import {
  closeSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseExperimentTracker } from 'evaltrack';
import { CSVExperimentTracker } from 'evaltrack/csv';
import { baselineLog, trackerLog } from './log-baseline.mjs';
import { realisticResult } from './realistic-result.mjs';

const dist = new URL('../dist/', import.meta.url);
const internal = async (path) => import(new URL(path, dist).href);
const { prepareResults } = await internal('tracker/prepare-results.js');
const { resolveTrackerOptions } = await internal('tracker/tracker-options.js');
const { storeRules } = await internal('tracker/store-rules.js');
const { RowEncoder, writeQuoted } = await internal('stores/csv/row-encoder.js');
const { bufferEdgeDigest, segmentLine, addRange } = await internal('stores/csv/results-index.js');

const rounds = Number(process.env.ROUNDS ?? 9);
const n = Number(process.env.ROWS ?? 10_000);
const pool = Array.from({ length: 20_000 }, (_, i) => realisticResult(i));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e3;
const gc = globalThis.gc ?? (() => {});
const root = mkdtempSync(join(tmpdir(), 'evaltrack-csvparts-'));
let dirs = 0;
const freshDir = () => {
  const d = join(root, `d${++dirs}`);
  mkdirSync(d);
  return d;
};

const options = resolveTrackerOptions({}, 'options');
const rules = storeRules(options);
const ctx = {
  runId: 'log-run',
  datasetName: 'rag',
  projectName: 'bench',
  options,
  batch: false,
  measures: undefined,
};
const prepared = pool
  .slice(0, 2000)
  .map((r) => prepareResults([r.evaluationResult], [r.data], { ...ctx, metadata: r.metadata }));

/** A tracker whose store keeps nothing: what log() costs before any store. */
class NullTracker extends BaseExperimentTracker {
  constructor() {
    super('bench', {
      store: {
        append() {},
        patchRun() {},
        async sync() {},
        async listRuns() {
          return [];
        },
        async *readRun() {},
        async close() {},
      },
    });
  }
}

/** µs per row of `fn(i)` over `n` rows. */
const perRow = (fn) => {
  gc();
  const start = now();
  for (let i = 0; i < n; i++) fn(i);
  return (now() - start) / n;
};

const buf = Buffer.allocUnsafe(64 * 1024);
// Serialised beforehand: serialising is the baseline's work too, only the quoting is the format's.
const json = pool
  .slice(0, 2000)
  .map((r) => [
    JSON.stringify(r.data),
    JSON.stringify(r.metadata),
    JSON.stringify(r.evaluationResult),
  ]);
const jsonCells = (i) => json[i % json.length];
const parts = {
  quotedJson: () =>
    perRow((i) => {
      let pos = 0;
      for (const json of jsonCells(i)) pos += writeQuoted(buf, pos, json);
    }),
  plainJson: () =>
    perRow((i) => {
      let pos = 0;
      for (const json of jsonCells(i)) pos += buf.write(json, pos);
    }),
  index: () => {
    const fd = openSync(join(freshDir(), 'index.jsonl'), 'a');
    let at = 5000;
    const rows = Buffer.alloc(4400, 'x');
    const t = perRow((i) => {
      // The writer's check that the index is still at its path, every 16 lines.
      if (i % 16 === 15) fstatSync(fd);
      const runs = new Map();
      addRange(runs, 'log-run', at, at + rows.length);
      writeSync(fd, segmentLine(at, at + rows.length, bufferEdgeDigest(rows), runs));
      at += rows.length;
    });
    closeSync(fd);
    return t;
  },
  stat: () => {
    const file = join(freshDir(), 'results.csv');
    closeSync(openSync(file, 'a'));
    return perRow(() => statSync(file, { throwIfNoEntry: false }));
  },
  tracker: () => {
    const t = new NullTracker();
    return perRow((i) => {
      const r = pool[i % pool.length];
      t.log(r.evaluationResult, 'rag', r.data, { runId: 'log-run', metadata: r.metadata });
    });
  },
  fold: () => {
    let run;
    return perRow((i) => {
      run = rules.fold(run, prepared[i % prepared.length][0]);
    });
  },
  smallCells: () => {
    const encoder = new RowEncoder('results.csv', () => {});
    return perRow((i) => encoder.cellsOf(prepared[i % prepared.length][0]));
  },
};

const times = { log: [], baseline: [] };
for (const name of Object.keys(parts)) times[name] = [];
// A first round, not counted, so that every part is compiled before it is timed.
for (let rep = -1; rep < rounds; rep++) {
  const d = freshDir();
  gc();
  times.baseline.push(1e6 / baselineLog(pool, join(d, 'baseline.jsonl'), n));
  gc();
  times.log.push(1e6 / (await trackerLog(CSVExperimentTracker, pool, d, n)));
  rmSync(d, { recursive: true });
  const names = Object.keys(parts);
  if (rep % 2 === 1) names.reverse();
  for (const name of names) {
    const t = parts[name]();
    if (rep >= 0) times[name].push(t);
  }
  if (rep < 0) for (const v of Object.values(times)) v.length = 0;
}
rmSync(root, { recursive: true, force: true });

const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const spread = Object.fromEntries(
  Object.entries(times).map(([k, v]) => [
    k,
    [Math.min(...v), Math.max(...v)].map((x) => +x.toFixed(1)),
  ]),
);
const forced = {
  quotes: m.quotedJson - m.plainJson,
  index: m.index,
  stat: m.stat,
  tracker: m.tracker,
  fold: m.fold,
  smallCells: m.smallCells,
};
const floor = m.baseline + Object.values(forced).reduce((a, b) => a + b, 0);
const fixed = (x) => +x.toFixed(1);
console.log(
  JSON.stringify({
    rows: n,
    rounds,
    usPerRow: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, fixed(v)])),
    spread,
    forced: Object.fromEntries(Object.entries(forced).map(([k, v]) => [k, fixed(v)])),
    floorUsPerRow: fixed(floor),
    floorRatio: +(m.baseline / floor).toFixed(3),
    ratio: +(m.baseline / m.log).toFixed(3),
    unexplained: fixed(m.log - floor),
  }),
);
